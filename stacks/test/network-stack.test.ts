import { App, Testing } from 'cdktf';
import { expect } from 'chai';
import type { TerraformJson } from '../lib/module-readme';
import { synthesizeStack } from '../lib/module-synthesis';
import { INTERFACE_ENDPOINT_SERVICES, NetworkStack } from '../network/network-stack';

type Block = Record<string, unknown>;

describe('NetworkStack', function () {
  let tf: TerraformJson;
  const resource = (type: string, name: string): Block => {
    const block = tf.resource?.[type]?.[name];
    expect(block, `${type}.${name}`).to.not.equal(undefined);
    return block as Block;
  };

  before(function () {
    tf = synthesizeStack(new NetworkStack(new App({ skipValidation: true }), 'network'));
  });

  it('is valid CDKTF (construct validations pass)', function () {
    const stack = new NetworkStack(new App({ skipValidation: true }), 'network');
    expect(() => Testing.synth(stack, true)).to.not.throw();
  });

  it('exposes the outputs the cluster, data and live layers rely on', function () {
    expect(Object.keys(tf.output ?? {})).to.include.members([
      'vpc_id',
      'vpc_cidr_block',
      'azs',
      'public_subnet_ids',
      'private_subnet_ids',
      'data_subnet_ids',
      'data_subnet_cidr_blocks',
      'public_subnet_cidr_blocks',
    ]);
    for (const [name, output] of Object.entries(tf.output ?? {})) {
      expect(output.description ?? '', `output ${name}`).to.have.length.greaterThan(10);
    }
  });

  it('validates the VPC CIDR with cidrnetmask and the zone count (2–3)', function () {
    const cidr = JSON.stringify(tf.variable?.vpc_cidr?.validation);
    expect(cidr).to.contain('can(cidrnetmask(var.vpc_cidr))');
    const azs = JSON.stringify(tf.variable?.azs?.validation);
    expect(azs).to.contain('length(var.azs) >= 2 && length(var.azs) <= 3');
    expect(tf.variable?.azs?.default, 'zones are required, never looked up').to.equal(undefined);
    expect(tf.data?.aws_availability_zones).to.equal(undefined);
  });

  it('spreads three subnet tiers over every zone', function () {
    for (const tier of ['public', 'private', 'data']) {
      expect(resource('aws_subnet', tier).count).to.equal('${length(var.azs)}');
    }
  });

  it('tags subnets for the AWS Load Balancer Controller and EKS', function () {
    const publicTags = resource('aws_subnet', 'public').tags as Record<string, string>;
    const privateTags = resource('aws_subnet', 'private').tags as Record<string, string>;
    const dataTags = resource('aws_subnet', 'data').tags as Record<string, string>;
    expect(publicTags['kubernetes.io/role/elb']).to.equal('1');
    expect(privateTags['kubernetes.io/role/internal-elb']).to.equal('1');
    const clusterTag = 'kubernetes.io/cluster/${var.project}-${var.environment}';
    expect(publicTags[clusterTag]).to.equal('shared');
    expect(privateTags[clusterTag]).to.equal('shared');
    expect(Object.keys(dataTags).filter((k) => k.startsWith('kubernetes.io/'))).to.deep.equal([]);
  });

  it('switches between one shared NAT gateway and one per zone', function () {
    expect(resource('aws_nat_gateway', 'nat_gateway').count).to.equal(
      '${var.single_nat_gateway ? 1 : length(var.azs)}',
    );
    expect(resource('aws_route', 'private_internet').nat_gateway_id).to.equal(
      '${aws_nat_gateway.nat_gateway[var.single_nat_gateway ? 0 : count.index].id}',
    );
  });

  it("exposes the data subnets' CIDRs from the subnets themselves (live/_units/app.hcl reads them)", function () {
    expect(tf.output?.data_subnet_cidr_blocks?.value).to.deep.equal(
      '${aws_subnet.data[*].cidr_block}',
    );
  });

  it("exposes the public subnets' CIDRs from the subnets themselves (the API network policy admits the ALB from them)", function () {
    expect(tf.output?.public_subnet_cidr_blocks?.value).to.deep.equal(
      '${aws_subnet.public[*].cidr_block}',
    );
  });

  it('gives the data subnets no route out of the VPC', function () {
    const routes = Object.values(tf.resource?.aws_route ?? {}) as Block[];
    expect(routes.map((r) => r.route_table_id)).to.not.include('${aws_route_table.data_routes.id}');
  });

  it('empties the default security group', function () {
    const sg = resource('aws_default_security_group', 'default');
    expect(sg.ingress).to.deep.equal([]);
    expect(sg.egress).to.deep.equal([]);
  });

  it('creates interface endpoints behind a switch, reachable on 443 from the VPC only', function () {
    for (const service of INTERFACE_ENDPOINT_SERVICES) {
      const endpoint = resource('aws_vpc_endpoint', service.replace('.', '_'));
      expect(endpoint.count).to.equal('${var.enable_interface_endpoints ? 1 : 0}');
      expect(endpoint.service_name).to.equal(`com.amazonaws.\${var.region}.${service}`);
    }
    const sg = resource('aws_security_group', 'interface_endpoints');
    expect(sg.ingress).to.deep.equal([
      {
        cidr_blocks: ['${aws_vpc.this.cidr_block}'],
        description: 'HTTPS from the VPC only',
        from_port: 443,
        ipv6_cidr_blocks: [],
        prefix_list_ids: [],
        protocol: 'tcp',
        security_groups: [],
        self: false,
        to_port: 443,
      },
    ]);
    expect(resource('aws_vpc_endpoint', 's3').vpc_endpoint_type).to.equal('Gateway');
  });

  it('keeps the cluster tunnel inside the VPC: Systems Manager endpoints, their group an output', function () {
    expect(INTERFACE_ENDPOINT_SERVICES).to.include.members(['ssm', 'ssmmessages', 'ec2messages']);
    expect(tf.output?.interface_endpoints_security_group_id?.value).to.equal(
      '${join("", aws_security_group.interface_endpoints[*].id)}',
    );
  });

  it('sends all flow logs to a KMS-encrypted log group with a retention input', function () {
    const flowLog = resource('aws_flow_log', 'flow_log');
    expect(flowLog.traffic_type).to.equal('ALL');
    const group = resource('aws_cloudwatch_log_group', 'flow_logs_group');
    expect(group.retention_in_days).to.equal('${var.flow_log_retention_days}');
    expect(group.kms_key_id).to.equal('${aws_kms_key.flow_logs.arn}');
    expect(resource('aws_kms_key', 'flow_logs').enable_key_rotation).to.equal(true);
  });

  it('scopes the flow log role to its log group', function () {
    const policy = JSON.parse(resource('aws_iam_role_policy', 'flow_logs_write').policy as string);
    for (const statement of policy.Statement) {
      for (const arn of statement.Resource) {
        expect(arn).to.match(/^\$\{aws_cloudwatch_log_group\.flow_logs_group\.arn\}/);
      }
      expect(statement.Action).to.not.include('logs:*');
    }
  });
});
