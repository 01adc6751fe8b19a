import { DataAwsCallerIdentity } from '@cdktf/provider-aws/lib/data-aws-caller-identity';
import { DataAwsPartition } from '@cdktf/provider-aws/lib/data-aws-partition';
import { DefaultSecurityGroup } from '@cdktf/provider-aws/lib/default-security-group';
import { Eip } from '@cdktf/provider-aws/lib/eip';
import { FlowLog } from '@cdktf/provider-aws/lib/flow-log';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { InternetGateway } from '@cdktf/provider-aws/lib/internet-gateway';
import { NatGateway } from '@cdktf/provider-aws/lib/nat-gateway';
import { Route } from '@cdktf/provider-aws/lib/route';
import { RouteTable } from '@cdktf/provider-aws/lib/route-table';
import { RouteTableAssociation } from '@cdktf/provider-aws/lib/route-table-association';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import { Subnet } from '@cdktf/provider-aws/lib/subnet';
import { Vpc } from '@cdktf/provider-aws/lib/vpc';
import { VpcEndpoint } from '@cdktf/provider-aws/lib/vpc-endpoint';
import { Fn, Op, TerraformCount, Token } from 'cdktf';
import type { Construct } from 'constructs';
import { CLOUDWATCH_RETENTION_DAYS, Input, Rule } from '../lib/inputs';
import { encryptedLogGroup } from '../lib/encrypted-log-group';
import { ModuleStack } from '../lib/module-stack';
import { everyInstance, instance } from '../lib/references';

/**
 * Interface endpoints that keep image pulls, IRSA/Pod Identity and secret reads off the NAT, and
 * the three Systems Manager endpoints the cluster's tunnel instance talks to (cluster layer,
 * ClusterAccessInstance), so that the tunnel to the Kubernetes API never leaves the VPC.
 */
export const INTERFACE_ENDPOINT_SERVICES = [
  'ecr.api',
  'ecr.dkr',
  'sts',
  'secretsmanager',
  'ssm',
  'ssmmessages',
  'ec2messages',
] as const;

/**
 * The network of one environment: a VPC over 2–3 availability zones with three tiers of
 * subnets — public (load balancers, NAT gateways), private (EKS nodes and pods, outbound
 * through NAT) and data (RDS, ElastiCache: no route to the internet at all).
 *
 * Address plan for a /16 (scales with the VPC prefix, /16 to /20 accepted):
 *   private  cidrsubnet(vpc, 2, i)                     3 × /18 (EKS pods take VPC addresses)
 *   public   cidrsubnet(cidrsubnet(vpc, 2, 3), 4, i)   3 × /22
 *   data     cidrsubnet(cidrsubnet(vpc, 2, 3), 4, 4+i) 3 × /22
 */
export class NetworkStack extends ModuleStack {
  constructor(scope: Construct, id: string) {
    super(scope, id, {
      createsRoles: true,
      purpose:
        'The network of one environment: VPC over 2–3 availability zones with public, private ' +
        '(EKS workloads) and isolated data subnets, an internet gateway, NAT gateways (one shared or ' +
        'one per zone), VPC flow logs to a KMS-encrypted CloudWatch log group, an S3 gateway ' +
        'endpoint and optional interface endpoints for ECR, STS, Secrets Manager and Systems Manager. The default ' +
        'security group is emptied so nothing can use it by accident.',
    });

    const vpcCidr = Input.string(this, 'vpc_cidr', {
      description: 'IPv4 range of the VPC, between /16 and /20, e.g. 10.20.0.0/16.',
      validation: [
        Rule.cidr(),
        Rule.custom(
          (v) =>
            `try(tonumber(split("/", ${v})[1]) >= 16 && tonumber(split("/", ${v})[1]) <= 20, false)`,
          'The VPC prefix length must be between /16 and /20.',
        ),
      ],
    });
    const azs = Input.stringList(this, 'azs', {
      description:
        'Availability zones to spread the subnets over (2 or 3), e.g. ["eu-west-3a", "eu-west-3b"]. ' +
        'Given explicitly so a plan never changes when AWS adds a zone.',
      validation: [
        Rule.lengthBetween(2, 3),
        Rule.distinct(),
        Rule.eachMatches(
          '^[a-z]{2}(-[a-z]+)+-[0-9][a-z]$',
          'an availability zone name such as eu-west-3a',
        ),
      ],
    });
    const singleNat = Input.bool(this, 'single_nat_gateway', {
      description:
        'true: one NAT gateway shared by every zone (cheap, development). false: one per zone, so ' +
        'losing a zone does not cut the others from the internet (staging, production).',
      default: false,
    });
    const flowLogRetention = Input.number(this, 'flow_log_retention_days', {
      description: 'Days CloudWatch keeps the VPC flow logs.',
      default: 90,
      validation: [Rule.oneOf(CLOUDWATCH_RETENTION_DAYS)],
    });
    const interfaceEndpoints = Input.bool(this, 'enable_interface_endpoints', {
      description:
        'Create interface endpoints for ECR (api, dkr), STS, Secrets Manager and Systems Manager ' +
        '(ssm, ssmmessages, ec2messages: the cluster tunnel) in the private subnets: traffic stays ' +
        'inside AWS and off the NAT (about 7 USD per endpoint, zone and month).',
      default: true,
    });

    const azCount = Token.asNumber(Fn.lengthOf(azs.listValue));
    const perZone = TerraformCount.of(azCount);
    const clusterName = this.namePrefix; // the cluster stack names its EKS cluster the same way
    const partition = new DataAwsPartition(this, 'current');
    const caller = new DataAwsCallerIdentity(this, 'current_account');

    const vpc = new Vpc(this, 'this', {
      cidrBlock: vpcCidr.stringValue,
      enableDnsHostnames: true,
      enableDnsSupport: true,
      tags: { Name: this.namePrefix },
    });

    // No rule at all: a resource left in the default group can talk to nothing.
    new DefaultSecurityGroup(this, 'default', {
      vpcId: vpc.id,
      ingress: [],
      egress: [],
      tags: { Name: `${this.namePrefix}-default-unused` },
    });

    const igw = new InternetGateway(this, 'igw', {
      vpcId: vpc.id,
      tags: { Name: this.namePrefix },
    });

    const tierBlock = Fn.cidrsubnet(vpcCidr.stringValue, 2, 3);
    const publicSubnets = new Subnet(this, 'public', {
      count: perZone,
      vpcId: vpc.id,
      availabilityZone: Fn.element(azs.listValue, perZone.index),
      cidrBlock: Fn.cidrsubnet(tierBlock, 4, perZone.index),
      // Load balancers get public IPs from the controller; instances here never should.
      mapPublicIpOnLaunch: false,
      tags: {
        Name: `${this.namePrefix}-public-\${element(var.azs, count.index)}`,
        Tier: 'public',
        'kubernetes.io/role/elb': '1',
        [`kubernetes.io/cluster/${clusterName}`]: 'shared',
      },
    });
    const privateSubnets = new Subnet(this, 'private', {
      count: perZone,
      vpcId: vpc.id,
      availabilityZone: Fn.element(azs.listValue, perZone.index),
      cidrBlock: Fn.cidrsubnet(vpcCidr.stringValue, 2, perZone.index),
      tags: {
        Name: `${this.namePrefix}-private-\${element(var.azs, count.index)}`,
        Tier: 'private',
        'kubernetes.io/role/internal-elb': '1',
        [`kubernetes.io/cluster/${clusterName}`]: 'shared',
      },
    });
    const dataSubnets = new Subnet(this, 'data', {
      count: perZone,
      vpcId: vpc.id,
      availabilityZone: Fn.element(azs.listValue, perZone.index),
      cidrBlock: Fn.cidrsubnet(tierBlock, 4, Op.add(4, perZone.index)),
      tags: {
        Name: `${this.namePrefix}-data-\${element(var.azs, count.index)}`,
        Tier: 'data',
      },
    });

    // ---- public routing
    const publicRoutes = new RouteTable(this, 'public_routes', {
      vpcId: vpc.id,
      tags: { Name: `${this.namePrefix}-public` },
    });
    new Route(this, 'public_internet', {
      routeTableId: publicRoutes.id,
      destinationCidrBlock: '0.0.0.0/0',
      gatewayId: igw.id,
    });
    new RouteTableAssociation(this, 'public_routes_association', {
      count: perZone,
      subnetId: instance(publicSubnets, 'count.index', 'id'),
      routeTableId: publicRoutes.id,
    });

    // ---- NAT: one, or one per zone in the zone's public subnet
    const natCount = TerraformCount.of(
      Token.asNumber(Fn.conditional(singleNat.booleanValue, 1, azCount)),
    );
    const natIps = new Eip(this, 'nat', {
      count: natCount,
      domain: 'vpc',
      tags: { Name: `${this.namePrefix}-nat-\${count.index}` },
      dependsOn: [igw],
    });
    const nats = new NatGateway(this, 'nat_gateway', {
      count: natCount,
      allocationId: instance(natIps, 'count.index', 'id'),
      subnetId: instance(publicSubnets, 'count.index', 'id'),
      tags: { Name: `${this.namePrefix}-nat-\${element(var.azs, count.index)}` },
      dependsOn: [igw],
    });

    // ---- private routing: one table per zone, default route through that zone's NAT
    const privateRoutes = new RouteTable(this, 'private_routes', {
      count: perZone,
      vpcId: vpc.id,
      tags: { Name: `${this.namePrefix}-private-\${element(var.azs, count.index)}` },
    });
    new Route(this, 'private_internet', {
      count: perZone,
      routeTableId: instance(privateRoutes, 'count.index', 'id'),
      destinationCidrBlock: '0.0.0.0/0',
      natGatewayId: instance(nats, 'var.single_nat_gateway ? 0 : count.index', 'id'),
    });
    new RouteTableAssociation(this, 'private_routes_association', {
      count: perZone,
      subnetId: instance(privateSubnets, 'count.index', 'id'),
      routeTableId: instance(privateRoutes, 'count.index', 'id'),
    });

    // ---- data routing: local only, the databases have no path to or from the internet
    const dataRoutes = new RouteTable(this, 'data_routes', {
      vpcId: vpc.id,
      tags: { Name: `${this.namePrefix}-data` },
    });
    new RouteTableAssociation(this, 'data_routes_association', {
      count: perZone,
      subnetId: instance(dataSubnets, 'count.index', 'id'),
      routeTableId: dataRoutes.id,
    });

    // ---- endpoints
    new VpcEndpoint(this, 's3', {
      vpcId: vpc.id,
      serviceName: `com.amazonaws.${this.region.stringValue}.s3`,
      vpcEndpointType: 'Gateway',
      routeTableIds: Token.asList(Fn.concat([everyInstance(privateRoutes, 'id'), [dataRoutes.id]])),
      tags: { Name: `${this.namePrefix}-s3` },
    });

    const whenEndpointsEnabled = TerraformCount.of(
      Token.asNumber(Fn.conditional(interfaceEndpoints.booleanValue, 1, 0)),
    );
    const endpointsSg = new SecurityGroup(this, 'interface_endpoints', {
      count: whenEndpointsEnabled,
      name: `${this.namePrefix}-interface-endpoints`,
      description: 'HTTPS from inside the VPC to the AWS interface endpoints',
      vpcId: vpc.id,
      ingress: [
        {
          description: 'HTTPS from the VPC only',
          protocol: 'tcp',
          fromPort: 443,
          toPort: 443,
          cidrBlocks: [vpc.cidrBlock],
          ipv6CidrBlocks: [],
          prefixListIds: [],
          securityGroups: [],
          selfAttribute: false,
        },
      ],
      // Endpoints only answer; connection tracking lets replies out without an egress rule.
      egress: [],
      tags: { Name: `${this.namePrefix}-interface-endpoints` },
    });
    for (const service of INTERFACE_ENDPOINT_SERVICES) {
      new VpcEndpoint(this, service.replace('.', '_'), {
        count: whenEndpointsEnabled,
        vpcId: vpc.id,
        serviceName: `com.amazonaws.${this.region.stringValue}.${service}`,
        vpcEndpointType: 'Interface',
        privateDnsEnabled: true,
        subnetIds: everyInstance(privateSubnets, 'id'),
        securityGroupIds: [instance(endpointsSg, '0', 'id')],
        tags: { Name: `${this.namePrefix}-${service}` },
      });
    }

    // ---- flow logs: KMS-encrypted log group, role that may only write to it
    const logGroupName = `/aws/vpc/${this.namePrefix}/flow-logs`;
    const { logGroup } = encryptedLogGroup(this, {
      ids: { key: 'flow_logs', alias: 'flow_logs_alias', logGroup: 'flow_logs_group' },
      keyDescription: `Encrypts the VPC flow logs of ${this.namePrefix}`,
      aliasName: `alias/${this.namePrefix}-flow-logs`,
      logGroupName,
      retentionInDays: flowLogRetention.numberValue,
      partition: partition.partition,
      region: this.region.stringValue,
      accountId: caller.accountId,
    });
    const flowLogsRole = new IamRole(this, 'flow_logs_role', {
      name: `${this.namePrefix}-vpc-flow-logs`,
      description: 'Lets VPC Flow Logs write to the flow log group of this VPC, nothing else',
      assumeRolePolicy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { Service: 'vpc-flow-logs.amazonaws.com' },
            Action: 'sts:AssumeRole',
            // Confused-deputy guard: only flow logs of this account may use the role.
            Condition: { StringEquals: { 'aws:SourceAccount': caller.accountId } },
          },
        ],
      }),
    });
    new IamRolePolicy(this, 'flow_logs_write', {
      name: 'write-flow-logs',
      role: flowLogsRole.id,
      policy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Action: [
              'logs:CreateLogStream',
              'logs:PutLogEvents',
              'logs:DescribeLogGroups',
              'logs:DescribeLogStreams',
            ],
            Resource: [logGroup.arn, `${logGroup.arn}:*`],
          },
        ],
      }),
    });
    new FlowLog(this, 'flow_log', {
      vpcId: vpc.id,
      trafficType: 'ALL',
      logDestinationType: 'cloud-watch-logs',
      logDestination: logGroup.arn,
      iamRoleArn: flowLogsRole.arn,
      maxAggregationInterval: 60,
      tags: { Name: this.namePrefix },
    });

    // ---- outputs (names are a contract with cluster, data and live/)
    this.output('vpc_id', { value: vpc.id, description: 'ID of the VPC.' });
    this.output('vpc_cidr_block', { value: vpc.cidrBlock, description: 'IPv4 range of the VPC.' });
    this.output('azs', {
      value: azs.listValue,
      description: 'Availability zones used, in the same order as every subnet list.',
    });
    this.output('public_subnet_ids', {
      value: everyInstance(publicSubnets, 'id'),
      description: 'Public subnets (internet-facing load balancers, NAT gateways), one per zone.',
    });
    this.output('public_subnet_cidr_blocks', {
      value: everyInstance(publicSubnets, 'cidr_block'),
      description:
        'IPv4 ranges of the public subnets, one per zone: the addresses the ALB connects to pods from (the API network policy admits only them).',
    });
    this.output('private_subnet_ids', {
      value: everyInstance(privateSubnets, 'id'),
      description: 'Private subnets for EKS nodes and pods (outbound through NAT), one per zone.',
    });
    this.output('data_subnet_ids', {
      value: everyInstance(dataSubnets, 'id'),
      description: 'Isolated subnets for RDS and ElastiCache (no internet route), one per zone.',
    });
    this.output('data_subnet_cidr_blocks', {
      value: everyInstance(dataSubnets, 'cidr_block'),
      description:
        'IPv4 ranges of the isolated data subnets, one per zone (the API network policy allows egress to them).',
    });
    this.output('private_route_table_ids', {
      value: everyInstance(privateRoutes, 'id'),
      description: 'Route tables of the private subnets, one per zone.',
    });
    this.output('nat_public_ips', {
      value: everyInstance(natIps, 'public_ip'),
      description: 'Public IPs the workloads leave through (to allow-list PayFlow at partners).',
    });
    this.output('interface_endpoints_security_group_id', {
      value: Fn.join('', everyInstance(endpointsSg, 'id')),
      description:
        'Security group of the interface endpoints, "" when enable_interface_endpoints is false: ' +
        'the cluster lets its tunnel instance reach Systems Manager through it.',
    });
    this.output('flow_log_group_name', {
      value: logGroup.name,
      description: 'CloudWatch log group holding the VPC flow logs.',
    });
  }
}
