import { DataAwsCallerIdentity } from '@cdktf/provider-aws/lib/data-aws-caller-identity';
import { DataAwsPartition } from '@cdktf/provider-aws/lib/data-aws-partition';
import { DefaultSecurityGroup } from '@cdktf/provider-aws/lib/default-security-group';
import { Eip } from '@cdktf/provider-aws/lib/eip';
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
import { networkInputs } from './network-inputs';
import { networkOutputs } from './network-outputs';
import { vpcFlowLogs } from './vpc-flow-logs';
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

    const inputs = networkInputs(this);

    const azCount = Token.asNumber(Fn.lengthOf(inputs.azs.listValue));
    const perZone = TerraformCount.of(azCount);
    const clusterName = this.namePrefix; // the cluster stack names its EKS cluster the same way
    const partition = new DataAwsPartition(this, 'current');
    const caller = new DataAwsCallerIdentity(this, 'current_account');

    const vpc = new Vpc(this, 'this', {
      cidrBlock: inputs.vpcCidr.stringValue,
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

    const tierBlock = Fn.cidrsubnet(inputs.vpcCidr.stringValue, 2, 3);
    const publicSubnets = new Subnet(this, 'public', {
      count: perZone,
      vpcId: vpc.id,
      availabilityZone: Fn.element(inputs.azs.listValue, perZone.index),
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
      availabilityZone: Fn.element(inputs.azs.listValue, perZone.index),
      cidrBlock: Fn.cidrsubnet(inputs.vpcCidr.stringValue, 2, perZone.index),
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
      availabilityZone: Fn.element(inputs.azs.listValue, perZone.index),
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
      Token.asNumber(Fn.conditional(inputs.singleNat.booleanValue, 1, azCount)),
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
      Token.asNumber(Fn.conditional(inputs.interfaceEndpoints.booleanValue, 1, 0)),
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

    const logGroup = vpcFlowLogs(this, {
      vpcId: vpc.id,
      namePrefix: this.namePrefix,
      retentionInDays: inputs.flowLogRetention.numberValue,
      partition: partition.partition,
      region: this.region.stringValue,
      accountId: caller.accountId,
    });

    networkOutputs(this, {
      vpc,
      azs: inputs.azs,
      publicSubnets,
      privateSubnets,
      dataSubnets,
      privateRoutes,
      natIps,
      endpointsSg,
      logGroup,
    });
  }
}
