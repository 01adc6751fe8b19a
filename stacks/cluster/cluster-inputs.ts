import { CLOUDWATCH_RETENTION_DAYS, Input, Rule } from '../lib/inputs';
import type { ModuleStack } from '../lib/module-stack';
import { PLAN_READERS_GROUP } from '../lib/plan-readers';
import { offeredKubernetesVersion } from './kubernetes-versions';

/** What an administrator or viewer ARN looks like (also checked on the deployer at plan time). */
export const PRINCIPAL_ARN = '^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/.+$';
const PRINCIPAL_ARN_MEANING =
  'an IAM role or user ARN such as arn:aws:iam::123456789012:role/admin';

/** Every input of the cluster module (variables.tf); vpc_id and the subnets come from the network unit. */
export function clusterInputs(stack: ModuleStack) {
  return {
    // ---- inputs (vpc_id and subnets come from the network unit through Terragrunt)
    vpcId: Input.string(stack, 'vpc_id', {
      description: 'VPC of the cluster (network output vpc_id).',
      validation: [Rule.matches('^vpc-[0-9a-f]+$', 'a VPC id such as vpc-0123456789abcdef0')],
    }),
    privateSubnetIds: Input.stringList(stack, 'private_subnet_ids', {
      description:
        'Private subnets for the control plane ENIs and the nodes, one per zone (network output private_subnet_ids).',
      validation: [
        Rule.lengthBetween(2, 3),
        Rule.eachMatches('^subnet-[0-9a-f]+$', 'a subnet id such as subnet-0123456789abcdef0'),
      ],
    }),
    clusterVersion: Input.string(stack, 'cluster_version', {
      description:
        'Kubernetes minor version of the control plane and the nodes (env.hcl: cluster.cluster_version). ' +
        'EKS upgrades one minor version at a time: raise it by one, apply, then again.',
      validation: [offeredKubernetesVersion()],
    }),
    publicEndpoint: Input.bool(stack, 'endpoint_public_access', {
      description:
        'Also expose the Kubernetes API on the internet, restricted to public_access_cidrs. Off ' +
        '(the default, and every environment): the API is reachable from the VPC only, and ' +
        'make deploy, CI and kubectl reach it through the SSM tunnel of cluster_access_instance_id.',
      default: false,
    }),
    publicCidrs: Input.stringList(stack, 'public_access_cidrs', {
      description:
        'CIDRs allowed to reach the public API endpoint when endpoint_public_access is true.',
      default: [],
      validation: [
        Rule.eachCidr(),
        Rule.custom(
          (v) => `!contains(${v}, "0.0.0.0/0")`,
          'The public endpoint may not be open to 0.0.0.0/0: list the CIDRs that need it.',
        ),
        Rule.custom(
          (v) => `!var.endpoint_public_access || length(${v}) > 0`,
          'endpoint_public_access = true needs at least one CIDR in public_access_cidrs.',
        ),
      ],
    }),
    ssmEndpointsSecurityGroup: Input.string(stack, 'interface_endpoints_security_group_id', {
      description:
        'Security group of the VPC interface endpoints, among them ssm, ssmmessages and ec2messages ' +
        '(network output interface_endpoints_security_group_id). "": the VPC has none, and the ' +
        'tunnel instance reaches Systems Manager through the NAT gateway.',
      default: '',
      validation: [
        Rule.custom(
          (v) => `${v} == "" || can(regex("^sg-[0-9a-f]+$", ${v}))`,
          'Must be "" or a security group id such as sg-0123456789abcdef0.',
        ),
      ],
    }),
    logRetention: Input.number(stack, 'cluster_log_retention_days', {
      description: 'Days CloudWatch keeps the control-plane logs.',
      default: 90,
      validation: [Rule.oneOf(CLOUDWATCH_RETENTION_DAYS)],
    }),
    adminArns: Input.stringList(stack, 'admin_principal_arns', {
      description:
        'IAM roles/users made cluster administrators through access entries ' +
        '(AmazonEKSClusterAdminPolicy), full ARNs with their path. The principal applying the ' +
        'module is added by grant_deployer_admin.',
      default: [],
      validation: [
        Rule.lengthBetween(0, 20),
        Rule.eachMatches(PRINCIPAL_ARN, PRINCIPAL_ARN_MEANING),
        Rule.custom(
          (v) => `var.grant_deployer_admin || length(${v}) > 0`,
          'With grant_deployer_admin = false, list at least one administrator.',
        ),
      ],
    }),
    grantDeployerAdmin: Input.bool(stack, 'grant_deployer_admin', {
      description:
        'Make the IAM principal that applies this module a cluster administrator too: the IAM role ' +
        'behind its assumed-role or SSO session (path included, through aws_iam_session_context) or ' +
        'the IAM user, unless it is one of viewer_principal_arns. The platform and app layers talk ' +
        'to the Kubernetes API as that principal.',
      default: true,
    }),
    viewerArns: Input.stringList(stack, 'viewer_principal_arns', {
      description:
        'IAM roles/users given read-only Kubernetes access through access entries: ' +
        'AmazonEKSViewPolicy on the whole cluster, plus the Kubernetes group ' +
        `${PLAN_READERS_GROUP}, which the platform and app layers let read Helm release Secrets in ` +
        'their namespaces. For the role running terragrunt plan on pull requests.',
      default: [],
      validation: [
        Rule.lengthBetween(0, 20),
        Rule.eachMatches(PRINCIPAL_ARN, PRINCIPAL_ARN_MEANING),
        Rule.custom(
          (v) => `length(setintersection(${v}, var.admin_principal_arns)) == 0`,
          'A principal is either an administrator or a viewer: EKS allows one access entry per principal.',
        ),
      ],
    }),
    instanceTypes: Input.stringList(stack, 'node_instance_types', {
      description:
        'EC2 instance types of the node group; several types make spot capacity more available.',
      default: ['t3.large'],
      validation: [
        Rule.lengthBetween(1, 10),
        Rule.eachMatches('^[a-z][a-z0-9-]*\\.[a-z0-9]+$', 'an instance type such as m6i.large'),
      ],
    }),
    capacityType: Input.string(stack, 'node_capacity_type', {
      description:
        'ON_DEMAND, or SPOT (up to 90% cheaper, nodes can be reclaimed with 2 minutes notice).',
      default: 'ON_DEMAND',
      validation: [Rule.oneOf(['ON_DEMAND', 'SPOT'])],
    }),
    minSize: Input.number(stack, 'node_min_size', {
      description:
        'Fewest nodes the autoscaler keeps (spread over the zones in production: >= zones).',
      default: 2,
      validation: [Rule.between(1, 100)],
    }),
    desiredSize: Input.number(stack, 'node_desired_size', {
      description:
        'Nodes at creation; afterwards the Cluster Autoscaler owns this number (ignored on update).',
      default: 2,
      validation: [
        Rule.custom(
          (v) => `${v} >= var.node_min_size && ${v} <= var.node_max_size`,
          'node_desired_size must be between node_min_size and node_max_size.',
        ),
      ],
    }),
    maxSize: Input.number(stack, 'node_max_size', {
      description: 'Most nodes the autoscaler may start.',
      default: 4,
      validation: [
        Rule.between(1, 100),
        Rule.custom((v) => `${v} >= var.node_min_size`, 'node_max_size must be >= node_min_size.'),
      ],
    }),
    diskSize: Input.number(stack, 'node_disk_size_gb', {
      description: 'Size of each node root volume (encrypted gp3), in GiB.',
      default: 50,
      validation: [Rule.between(20, 1000)],
    }),
    hopLimit: Input.number(stack, 'node_metadata_hop_limit', {
      description:
        'IMDSv2 hop limit. 2 lets pods in their own network namespace read instance metadata ' +
        '(region, instance id: the EBS CSI node plugin and the load balancer controller use it); the ' +
        'node role they could then reach only holds the worker, CNI and ECR read-only policies, and ' +
        'controllers get AWS credentials through Pod Identity. 1 blocks pods entirely (set the ' +
        'controllers region/VPC explicitly then).',
      default: 2,
      validation: [Rule.oneOf([1, 2])],
    }),
  };
}
