import type { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import type { Eip } from '@cdktf/provider-aws/lib/eip';
import type { RouteTable } from '@cdktf/provider-aws/lib/route-table';
import type { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import type { Subnet } from '@cdktf/provider-aws/lib/subnet';
import type { Vpc } from '@cdktf/provider-aws/lib/vpc';
import { Fn, type TerraformVariable } from 'cdktf';
import type { ModuleStack } from '../lib/module-stack';
import { everyInstance } from '../lib/references';

interface Outputs {
  vpc: Vpc;
  azs: TerraformVariable;
  publicSubnets: Subnet;
  privateSubnets: Subnet;
  dataSubnets: Subnet;
  privateRoutes: RouteTable;
  natIps: Eip;
  endpointsSg: SecurityGroup;
  logGroup: CloudwatchLogGroup;
}

/** The network module's outputs (outputs.tf): a contract with the cluster and data layers and live/. */
export function networkOutputs(
  stack: ModuleStack,
  {
    vpc,
    azs,
    publicSubnets,
    privateSubnets,
    dataSubnets,
    privateRoutes,
    natIps,
    endpointsSg,
    logGroup,
  }: Outputs,
): void {
  stack.output('vpc_id', { value: vpc.id, description: 'ID of the VPC.' });
  stack.output('vpc_cidr_block', { value: vpc.cidrBlock, description: 'IPv4 range of the VPC.' });
  stack.output('azs', {
    value: azs.listValue,
    description: 'Availability zones used, in the same order as every subnet list.',
  });
  stack.output('public_subnet_ids', {
    value: everyInstance(publicSubnets, 'id'),
    description: 'Public subnets (internet-facing load balancers, NAT gateways), one per zone.',
  });
  stack.output('public_subnet_cidr_blocks', {
    value: everyInstance(publicSubnets, 'cidr_block'),
    description:
      'IPv4 ranges of the public subnets, one per zone: the addresses the ALB connects to pods from (the API network policy admits only them).',
  });
  stack.output('private_subnet_ids', {
    value: everyInstance(privateSubnets, 'id'),
    description: 'Private subnets for EKS nodes and pods (outbound through NAT), one per zone.',
  });
  stack.output('data_subnet_ids', {
    value: everyInstance(dataSubnets, 'id'),
    description: 'Isolated subnets for RDS and ElastiCache (no internet route), one per zone.',
  });
  stack.output('data_subnet_cidr_blocks', {
    value: everyInstance(dataSubnets, 'cidr_block'),
    description:
      'IPv4 ranges of the isolated data subnets, one per zone (the API network policy allows egress to them).',
  });
  stack.output('private_route_table_ids', {
    value: everyInstance(privateRoutes, 'id'),
    description: 'Route tables of the private subnets, one per zone.',
  });
  stack.output('nat_public_ips', {
    value: everyInstance(natIps, 'public_ip'),
    description: 'Public IPs the workloads leave through (to allow-list PayFlow at partners).',
  });
  stack.output('interface_endpoints_security_group_id', {
    value: Fn.join('', everyInstance(endpointsSg, 'id')),
    description:
      'Security group of the interface endpoints, "" when enable_interface_endpoints is false: ' +
      'the cluster lets its tunnel instance reach Systems Manager through it.',
  });
  stack.output('flow_log_group_name', {
    value: logGroup.name,
    description: 'CloudWatch log group holding the VPC flow logs.',
  });
}
