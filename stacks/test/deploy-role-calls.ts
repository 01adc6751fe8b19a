// What the GitHub deploy role's policy (github-role-policies.ts) must allow: for every AWS
// resource type (and data source) that the modules it applies synthesize, the IAM actions
// Terraform's AWS provider calls to create, read, update, delete and tag one, and the ARN each
// call acts on.
// Sources: the provider's resource code and the AWS Service Authorization Reference.
// stacks/test/deploy-role.test.ts evaluates every call against the synthesized policy with a real
// IAM policy evaluator, on the ARNs each module creates in each environment, and fails when a
// module synthesizes a type this table has no row for.

import { AMAZON_LINUX_PARAMETER } from '../cluster/cluster-access-instance';
import { hclQuoted } from './hcl-template';

/** One resource instance of a module, as Terraform templates (`${var.x}`) of the module. */
export interface ResourceInstance {
  readonly partition: string;
  /** The region of the instance's provider (the data layer's backup replica has its own). */
  readonly region: string;
  readonly account: string;
  /** An attribute as the module writes it, references to other resources resolved. */
  readonly attribute: (name: string) => string;
}

/** An IAM action, the ARN it acts on when not the resource's own, and its request context. */
export interface CallSpec {
  readonly action: string;
  readonly on?: (r: ResourceInstance) => string;
  /** Condition keys the request carries (e.g. iam:PermissionsBoundary), as templates. */
  readonly context?: (r: ResourceInstance) => Record<string, string>;
}
export type Call = string | CallSpec;

export interface ResourceTypeCalls {
  /** ARN of one instance ("*" for what has none). */
  readonly arn: (r: ResourceInstance) => string;
  /** Attributes other resources reference (`aws_s3_bucket.x.id`), when not written in the module. */
  readonly attributes?: Readonly<Record<string, (r: ResourceInstance) => string>>;
  readonly create: readonly Call[];
  readonly read: readonly Call[];
  readonly update: readonly Call[];
  readonly delete: readonly Call[];
  readonly tag: readonly Call[];
}

/** Every call of a row, whatever its kind. */
export const callsOf = (row: ResourceTypeCalls): Call[] => [
  ...row.create,
  ...row.read,
  ...row.update,
  ...row.delete,
  ...row.tag,
];

const NONE: readonly Call[] = [];

// Identifiers AWS assigns at creation: any value of the documented shape makes the same ARN
// match the same policy statements.
const ID = {
  vpc: 'vpc-0a1b2c3d4e5f60718',
  subnet: 'subnet-0a1b2c3d4e5f60718',
  securityGroup: 'sg-0a1b2c3d4e5f60718',
  securityGroupRule: 'sgr-0a1b2c3d4e5f60718',
  internetGateway: 'igw-0a1b2c3d4e5f60718',
  eip: 'eipalloc-0a1b2c3d4e5f60718',
  natGateway: 'nat-0a1b2c3d4e5f60718',
  routeTable: 'rtb-0a1b2c3d4e5f60718',
  vpcEndpoint: 'vpce-0a1b2c3d4e5f60718',
  flowLog: 'fl-0a1b2c3d4e5f60718',
  launchTemplate: 'lt-0a1b2c3d4e5f60718',
  kmsKey: '1234abcd-12ab-34cd-56ef-1234567890ab',
  uuid: '0ac8a1b2-1234-5678-9abc-def012345678',
  podIdentityAssociation: 'a-0a1b2c3d4e5f60718',
  automatedBackup: 'ab-0a1b2c3d4e5f60718a1b2c3d4e5f',
  secretSuffix: 'AbCdEf',
  rdsResourceId: 'db-ABCDEFGHIJKLMNOPQRSTUVWXY0',
  instance: 'i-0a1b2c3d4e5f60718',
  hostedZone: 'Z0123456789ABCDEFGHIJ',
  loadBalancer: 'app/k8s-payflow-0a1b2c3d4e/0a1b2c3d4e5f6071',
} as const;

const ec2 = (type: string, id: string) => (r: ResourceInstance) =>
  `arn:${r.partition}:ec2:${r.region}:${r.account}:${type}/${id}`;
const role = (r: ResourceInstance, name: string) =>
  `arn:${r.partition}:iam::${r.account}:role/${name}`;
const kmsKeyArn = (r: ResourceInstance) =>
  `arn:${r.partition}:kms:${r.region}:${r.account}:key/${ID.kmsKey}`;
const eksCluster = (r: ResourceInstance, name: string) =>
  `arn:${r.partition}:eks:${r.region}:${r.account}:cluster/${name}`;
const secretArn = (r: ResourceInstance, name: string) =>
  `arn:${r.partition}:secretsmanager:${r.region}:${r.account}:secret:${name}-${ID.secretSuffix}`;
/** The secret RDS creates, as the caller, for a managed master password. */
const rdsMasterSecret = (r: ResourceInstance) =>
  `arn:${r.partition}:secretsmanager:${r.region}:${r.account}:secret:rds!${ID.rdsResourceId.toLowerCase()}-${ID.uuid}-${ID.secretSuffix}`;
const s3Bucket = (r: ResourceInstance, name: string) => `arn:${r.partition}:s3:::${name}`;
const ec2Tags = ['ec2:CreateTags', 'ec2:DeleteTags'];
/** A role passed to a service: iam:PassRole on the role, naming the service. */
const passRole = (service: string, roleArn: (r: ResourceInstance) => string): CallSpec => ({
  action: 'iam:PassRole',
  on: roleArn,
  context: () => ({ 'iam:PassedToService': service }),
});
/** The role a resource names in `attribute` (a role name, or a role ARN). */
const roleNamedIn = (attribute: string) => (r: ResourceInstance) => {
  const value = r.attribute(attribute);
  return value.startsWith('arn:') ? value : role(r, value);
};
/** Role changes that the deploy role may only make within the project's permissions boundary. */
const bounded = (action: string, roleArn: (r: ResourceInstance) => string): CallSpec => ({
  action,
  on: roleArn,
  context: (r) => ({ 'iam:PermissionsBoundary': r.attribute('permissions_boundary') }),
});
/** The permissions boundary of the role a policy or attachment belongs to. */
const boundaryOfRole = (r: ResourceInstance) => ({
  'iam:PermissionsBoundary': r.attribute('role.permissions_boundary'),
});

/** A stand-alone rule of a security group: authorized and revoked on its group. */
const securityGroupRule = (direction: 'Ingress' | 'Egress'): ResourceTypeCalls => ({
  arn: ec2('security-group-rule', ID.securityGroupRule),
  create: [
    {
      action: `ec2:AuthorizeSecurityGroup${direction}`,
      on: ec2('security-group', ID.securityGroup),
    },
  ],
  read: ['ec2:DescribeSecurityGroupRules'],
  update: [{ action: 'ec2:ModifySecurityGroupRules', on: ec2('security-group', ID.securityGroup) }],
  delete: [
    { action: `ec2:RevokeSecurityGroup${direction}`, on: ec2('security-group', ID.securityGroup) },
  ],
  tag: ec2Tags,
});

/** A Route 53 hosted zone: the resource of every record change. */
const hostedZone = (zoneId: string) => `arn:aws:route53:::hostedzone/${zoneId}`;

/**
 * A change of a record set, with the request context Route 53 gives IAM: the record's name
 * (normalized: lowercase, no final dot) and type. The deploy role may only change the public
 * names and their certificate's validation records (github-role-policies.ts).
 */
const recordChange = (action: 'CREATE' | 'UPSERT' | 'DELETE'): CallSpec => ({
  action: 'route53:ChangeResourceRecordSets',
  on: (r) => hostedZone(r.attribute('zone_id')),
  context: (r) => ({
    'route53:ChangeResourceRecordSetsNormalizedRecordNames': r.attribute('name'),
    'route53:ChangeResourceRecordSetsRecordTypes': r.attribute('type'),
    'route53:ChangeResourceRecordSetsActions': action,
  }),
});

/** What Terraform reads for a data source, and needs no other call. */
const dataSource = (read: readonly Call[]): ResourceTypeCalls => ({
  arn: () => '*',
  create: NONE,
  read,
  update: NONE,
  delete: NONE,
  tag: NONE,
});

export const DEPLOY_ROLE_CALLS: Readonly<Record<string, ResourceTypeCalls>> = {
  // ------------------------------------------------------------------ data sources
  // sts:GetCallerIdentity needs no permission; aws_partition and aws_iam_policy_document call nothing.
  'data.aws_caller_identity': dataSource(NONE),
  'data.aws_partition': dataSource(NONE),
  'data.aws_iam_policy_document': dataSource(NONE),
  // The cluster module's deployer: the IAM role behind the caller's session (in CI, the deploy
  // role itself), read to know its path (grant_deployer_admin).
  'data.aws_iam_session_context': dataSource(['iam:GetRole']),
  // The provider holds the Elastic Load Balancing account of each region: no call.
  'data.aws_elb_service_account': dataSource(NONE),
  'data.aws_route53_zone': {
    ...dataSource([
      'route53:ListHostedZones',
      'route53:GetHostedZone',
      'route53:ListTagsForResource',
    ]),
    attributes: { zone_id: () => ID.hostedZone },
  },
  // The load balancer the AWS Load Balancer Controller made, found by its tags.
  'data.aws_lbs': {
    ...dataSource([
      'elasticloadbalancing:DescribeLoadBalancers',
      'elasticloadbalancing:DescribeTags',
    ]),
    attributes: {
      arns: (r) =>
        `\${["arn:${r.partition}:elasticloadbalancing:${r.region}:${r.account}:loadbalancer/${ID.loadBalancer}"]}`,
    },
  },
  'data.aws_lb': {
    ...dataSource([
      'elasticloadbalancing:DescribeLoadBalancers',
      'elasticloadbalancing:DescribeLoadBalancerAttributes',
      'elasticloadbalancing:DescribeTags',
    ]),
    attributes: {
      dns_name: (r) => `k8s-payflow-0a1b2c3d4e-0123456789.${r.region}.elb.amazonaws.com`,
      zone_id: () => 'Z3Q77PNBQS71R4',
    },
  },

  // ------------------------------------------------------------------ network
  aws_vpc: {
    arn: ec2('vpc', ID.vpc),
    attributes: { id: () => ID.vpc },
    create: ['ec2:CreateVpc', 'ec2:ModifyVpcAttribute'],
    read: [
      'ec2:DescribeVpcs',
      'ec2:DescribeVpcAttribute',
      'ec2:DescribeNetworkAcls',
      'ec2:DescribeRouteTables',
      'ec2:DescribeSecurityGroups',
    ],
    update: ['ec2:ModifyVpcAttribute'],
    delete: ['ec2:DeleteVpc'],
    tag: ec2Tags,
  },
  aws_subnet: {
    arn: ec2('subnet', ID.subnet),
    create: ['ec2:CreateSubnet', 'ec2:ModifySubnetAttribute'],
    read: ['ec2:DescribeSubnets'],
    update: ['ec2:ModifySubnetAttribute'],
    delete: ['ec2:DeleteSubnet'],
    tag: ec2Tags,
  },
  aws_internet_gateway: {
    arn: ec2('internet-gateway', ID.internetGateway),
    create: ['ec2:CreateInternetGateway', 'ec2:AttachInternetGateway'],
    read: ['ec2:DescribeInternetGateways'],
    update: ['ec2:AttachInternetGateway', 'ec2:DetachInternetGateway'],
    delete: ['ec2:DetachInternetGateway', 'ec2:DeleteInternetGateway'],
    tag: ec2Tags,
  },
  aws_eip: {
    arn: ec2('elastic-ip', ID.eip),
    create: ['ec2:AllocateAddress'],
    read: ['ec2:DescribeAddresses', 'ec2:DescribeAddressesAttribute'],
    update: NONE,
    delete: ['ec2:DisassociateAddress', 'ec2:ReleaseAddress'],
    tag: ec2Tags,
  },
  aws_nat_gateway: {
    arn: ec2('natgateway', ID.natGateway),
    create: ['ec2:CreateNatGateway'],
    read: ['ec2:DescribeNatGateways'],
    update: NONE,
    delete: ['ec2:DeleteNatGateway'],
    tag: ec2Tags,
  },
  aws_route_table: {
    arn: ec2('route-table', ID.routeTable),
    create: ['ec2:CreateRouteTable'],
    read: ['ec2:DescribeRouteTables'],
    update: NONE,
    delete: ['ec2:DeleteRouteTable'],
    tag: ec2Tags,
  },
  aws_route: {
    arn: ec2('route-table', ID.routeTable),
    create: ['ec2:CreateRoute'],
    read: ['ec2:DescribeRouteTables'],
    update: ['ec2:ReplaceRoute'],
    delete: ['ec2:DeleteRoute'],
    tag: NONE,
  },
  aws_route_table_association: {
    arn: ec2('route-table', ID.routeTable),
    create: ['ec2:AssociateRouteTable'],
    read: ['ec2:DescribeRouteTables'],
    update: ['ec2:ReplaceRouteTableAssociation'],
    delete: ['ec2:DisassociateRouteTable'],
    tag: NONE,
  },
  aws_security_group: {
    arn: ec2('security-group', ID.securityGroup),
    create: [
      'ec2:CreateSecurityGroup',
      'ec2:RevokeSecurityGroupEgress',
      'ec2:AuthorizeSecurityGroupIngress',
      'ec2:AuthorizeSecurityGroupEgress',
    ],
    read: ['ec2:DescribeSecurityGroups', 'ec2:DescribeSecurityGroupRules'],
    update: [
      'ec2:AuthorizeSecurityGroupIngress',
      'ec2:RevokeSecurityGroupIngress',
      'ec2:ModifySecurityGroupRules',
    ],
    delete: ['ec2:DescribeNetworkInterfaces', 'ec2:DeleteSecurityGroup'],
    tag: ec2Tags,
  },
  aws_default_security_group: {
    arn: ec2('security-group', ID.securityGroup),
    create: [
      'ec2:DescribeSecurityGroups',
      'ec2:RevokeSecurityGroupIngress',
      'ec2:RevokeSecurityGroupEgress',
    ],
    read: ['ec2:DescribeSecurityGroups'],
    update: ['ec2:AuthorizeSecurityGroupIngress', 'ec2:RevokeSecurityGroupIngress'],
    delete: NONE,
    tag: ec2Tags,
  },
  aws_vpc_security_group_ingress_rule: securityGroupRule('Ingress'),
  aws_vpc_security_group_egress_rule: securityGroupRule('Egress'),
  aws_vpc_endpoint: {
    arn: ec2('vpc-endpoint', ID.vpcEndpoint),
    create: ['ec2:CreateVpcEndpoint'],
    read: ['ec2:DescribeVpcEndpoints', 'ec2:DescribePrefixLists'],
    update: ['ec2:ModifyVpcEndpoint'],
    delete: ['ec2:DeleteVpcEndpoints'],
    tag: ec2Tags,
  },
  aws_flow_log: {
    arn: ec2('vpc-flow-log', ID.flowLog),
    create: [
      'ec2:CreateFlowLogs',
      passRole('vpc-flow-logs.amazonaws.com', roleNamedIn('iam_role_arn')),
      { action: 'logs:CreateLogDelivery', on: () => '*' },
    ],
    read: ['ec2:DescribeFlowLogs'],
    update: NONE,
    delete: ['ec2:DeleteFlowLogs', { action: 'logs:DeleteLogDelivery', on: () => '*' }],
    tag: ec2Tags,
  },
  aws_cloudwatch_log_group: {
    arn: (r) => `arn:${r.partition}:logs:${r.region}:${r.account}:log-group:${r.attribute('name')}`,
    create: ['logs:CreateLogGroup', 'logs:PutRetentionPolicy', 'logs:AssociateKmsKey'],
    read: ['logs:DescribeLogGroups', 'logs:ListTagsForResource'],
    update: ['logs:PutRetentionPolicy', 'logs:AssociateKmsKey', 'logs:DisassociateKmsKey'],
    delete: ['logs:DeleteLogGroup'],
    tag: ['logs:TagResource', 'logs:UntagResource'],
  },
  aws_kms_key: {
    arn: kmsKeyArn,
    attributes: { arn: kmsKeyArn, key_id: () => ID.kmsKey, id: () => ID.kmsKey },
    create: [
      { action: 'kms:CreateKey', on: () => '*' },
      'kms:EnableKeyRotation',
      'kms:PutKeyPolicy',
    ],
    read: [
      'kms:DescribeKey',
      'kms:GetKeyPolicy',
      'kms:GetKeyRotationStatus',
      'kms:ListResourceTags',
    ],
    update: ['kms:PutKeyPolicy', 'kms:UpdateKeyDescription', 'kms:EnableKeyRotation'],
    delete: ['kms:ScheduleKeyDeletion'],
    tag: ['kms:TagResource', 'kms:UntagResource'],
  },
  aws_kms_alias: {
    arn: (r) => `arn:${r.partition}:kms:${r.region}:${r.account}:${r.attribute('name')}`,
    create: ['kms:CreateAlias', { action: 'kms:CreateAlias', on: kmsKeyArn }],
    read: [{ action: 'kms:ListAliases', on: () => '*' }],
    update: ['kms:UpdateAlias', { action: 'kms:UpdateAlias', on: kmsKeyArn }],
    delete: ['kms:DeleteAlias', { action: 'kms:DeleteAlias', on: kmsKeyArn }],
    tag: NONE,
  },

  // ------------------------------------------------------------------ IAM (every module's roles)
  aws_iam_role: {
    arn: (r) => role(r, r.attribute('name')),
    attributes: {
      id: (r) => r.attribute('name'),
      arn: (r) => role(r, r.attribute('name')),
    },
    create: [
      bounded('iam:CreateRole', (r) => role(r, r.attribute('name'))),
      bounded('iam:PutRolePermissionsBoundary', (r) => role(r, r.attribute('name'))),
    ],
    read: ['iam:GetRole', 'iam:ListRolePolicies', 'iam:ListAttachedRolePolicies'],
    update: ['iam:UpdateRole', 'iam:UpdateRoleDescription', 'iam:UpdateAssumeRolePolicy'],
    delete: ['iam:ListInstanceProfilesForRole', 'iam:DeleteRole'],
    tag: ['iam:TagRole', 'iam:UntagRole'],
  },
  aws_iam_role_policy: {
    arn: roleNamedIn('role'),
    create: [{ action: 'iam:PutRolePolicy', context: boundaryOfRole }],
    read: ['iam:GetRolePolicy'],
    update: [{ action: 'iam:PutRolePolicy', context: boundaryOfRole }],
    delete: [{ action: 'iam:DeleteRolePolicy', context: boundaryOfRole }],
    tag: NONE,
  },
  aws_iam_role_policy_attachment: {
    arn: roleNamedIn('role'),
    create: [
      {
        action: 'iam:AttachRolePolicy',
        context: (r) => ({ ...boundaryOfRole(r), 'iam:PolicyARN': r.attribute('policy_arn') }),
      },
    ],
    read: ['iam:ListAttachedRolePolicies'],
    update: NONE,
    delete: [
      {
        action: 'iam:DetachRolePolicy',
        context: (r) => ({ ...boundaryOfRole(r), 'iam:PolicyARN': r.attribute('policy_arn') }),
      },
    ],
    tag: NONE,
  },

  // ------------------------------------------------------------------ cluster
  aws_eks_cluster: {
    arn: (r) => eksCluster(r, r.attribute('name')),
    attributes: {
      name: (r) => r.attribute('name'),
      id: (r) => r.attribute('name'),
      arn: (r) => eksCluster(r, r.attribute('name')),
    },
    create: [
      'eks:CreateCluster',
      passRole('eks.amazonaws.com', roleNamedIn('role_arn')),
      { action: 'kms:DescribeKey', on: kmsKeyArn },
      { action: 'kms:CreateGrant', on: kmsKeyArn },
      {
        action: 'iam:CreateServiceLinkedRole',
        on: (r) =>
          `arn:${r.partition}:iam::${r.account}:role/aws-service-role/eks.amazonaws.com/AWSServiceRoleForAmazonEKS`,
        context: () => ({ 'iam:AWSServiceName': 'eks.amazonaws.com' }),
      },
    ],
    read: ['eks:DescribeCluster', 'eks:DescribeUpdate'],
    update: ['eks:UpdateClusterConfig', 'eks:UpdateClusterVersion'],
    delete: ['eks:DeleteCluster'],
    tag: ['eks:TagResource', 'eks:UntagResource'],
  },
  aws_eks_node_group: {
    arn: (r) =>
      `arn:${r.partition}:eks:${r.region}:${r.account}:nodegroup/${r.attribute('cluster_name')}/${r.attribute('node_group_name')}/${ID.uuid}`,
    create: [
      { action: 'eks:CreateNodegroup', on: (r) => eksCluster(r, r.attribute('cluster_name')) },
      passRole('eks.amazonaws.com', roleNamedIn('node_role_arn')),
      { action: 'ec2:RunInstances', on: ec2('launch-template', ID.launchTemplate) },
      { action: 'ec2:DescribeLaunchTemplateVersions', on: () => '*' },
      {
        action: 'iam:CreateServiceLinkedRole',
        on: (r) =>
          `arn:${r.partition}:iam::${r.account}:role/aws-service-role/eks-nodegroup.amazonaws.com/AWSServiceRoleForAmazonEKSNodegroup`,
        context: () => ({ 'iam:AWSServiceName': 'eks-nodegroup.amazonaws.com' }),
      },
    ],
    read: ['eks:DescribeNodegroup'],
    update: ['eks:UpdateNodegroupConfig', 'eks:UpdateNodegroupVersion'],
    delete: ['eks:DeleteNodegroup'],
    tag: ['eks:TagResource', 'eks:UntagResource'],
  },
  aws_eks_addon: {
    arn: (r) =>
      `arn:${r.partition}:eks:${r.region}:${r.account}:addon/${r.attribute('cluster_name')}/${r.attribute('addon_name')}/${ID.uuid}`,
    create: [
      { action: 'eks:CreateAddon', on: (r) => eksCluster(r, r.attribute('cluster_name')) },
      { action: 'eks:DescribeAddonVersions', on: () => '*' },
    ],
    read: ['eks:DescribeAddon'],
    update: ['eks:UpdateAddon'],
    delete: ['eks:DeleteAddon'],
    tag: ['eks:TagResource', 'eks:UntagResource'],
  },
  aws_eks_access_entry: {
    arn: (r) =>
      `arn:${r.partition}:eks:${r.region}:${r.account}:access-entry/${r.attribute('cluster_name')}/role/${r.account}/${r.attribute('principal_arn').replace(/^.*:role\//, '')}/${ID.uuid}`,
    create: [
      { action: 'eks:CreateAccessEntry', on: (r) => eksCluster(r, r.attribute('cluster_name')) },
    ],
    read: ['eks:DescribeAccessEntry'],
    update: ['eks:UpdateAccessEntry'],
    delete: ['eks:DeleteAccessEntry'],
    tag: ['eks:TagResource', 'eks:UntagResource'],
  },
  aws_eks_access_policy_association: {
    arn: (r) =>
      `arn:${r.partition}:eks:${r.region}:${r.account}:access-entry/${r.attribute('cluster_name')}/role/${r.account}/${r.attribute('principal_arn').replace(/^.*:role\//, '')}/${ID.uuid}`,
    create: ['eks:AssociateAccessPolicy'],
    read: ['eks:ListAssociatedAccessPolicies'],
    update: NONE,
    delete: ['eks:DisassociateAccessPolicy'],
    tag: NONE,
  },
  aws_eks_pod_identity_association: {
    arn: (r) =>
      `arn:${r.partition}:eks:${r.region}:${r.account}:podidentityassociation/${r.attribute('cluster_name')}/${ID.podIdentityAssociation}`,
    create: [
      {
        action: 'eks:CreatePodIdentityAssociation',
        on: (r) => eksCluster(r, r.attribute('cluster_name')),
      },
      passRole('pods.eks.amazonaws.com', roleNamedIn('role_arn')),
    ],
    read: ['eks:DescribePodIdentityAssociation'],
    update: [
      'eks:UpdatePodIdentityAssociation',
      passRole('pods.eks.amazonaws.com', roleNamedIn('role_arn')),
    ],
    delete: ['eks:DeletePodIdentityAssociation'],
    tag: ['eks:TagResource', 'eks:UntagResource'],
  },
  aws_launch_template: {
    arn: ec2('launch-template', ID.launchTemplate),
    attributes: { id: () => ID.launchTemplate },
    create: ['ec2:CreateLaunchTemplate'],
    read: [
      { action: 'ec2:DescribeLaunchTemplates', on: () => '*' },
      { action: 'ec2:DescribeLaunchTemplateVersions', on: () => '*' },
    ],
    update: ['ec2:CreateLaunchTemplateVersion', 'ec2:ModifyLaunchTemplate'],
    delete: ['ec2:DeleteLaunchTemplate'],
    tag: ec2Tags,
  },

  // ------------------------------------------------------------------ the cluster's SSM tunnel
  // (stacks/cluster/cluster-access-instance.ts; add-on versions: cluster-stack.ts)
  'data.aws_ssm_parameter': dataSource([
    {
      // AWS's ARN of a public parameter has no account; the evaluator requires one.
      action: 'ssm:GetParameter',
      on: (r) =>
        `arn:${r.partition}:ssm:${r.region}:${r.account}:parameter${AMAZON_LINUX_PARAMETER}`,
    },
  ]),
  'data.aws_eks_addon_version': dataSource(['eks:DescribeAddonVersions']),
  aws_iam_instance_profile: {
    arn: (r) => `arn:${r.partition}:iam::${r.account}:instance-profile/${r.attribute('name')}`,
    create: [
      'iam:CreateInstanceProfile',
      'iam:AddRoleToInstanceProfile',
      { action: 'iam:PassRole', on: roleNamedIn('role') },
    ],
    read: ['iam:GetInstanceProfile'],
    update: ['iam:AddRoleToInstanceProfile', 'iam:RemoveRoleFromInstanceProfile'],
    delete: ['iam:RemoveRoleFromInstanceProfile', 'iam:DeleteInstanceProfile'],
    tag: ['iam:TagInstanceProfile', 'iam:UntagInstanceProfile'],
  },
  aws_instance: {
    arn: ec2('instance', ID.instance),
    attributes: { id: () => ID.instance },
    create: [
      'ec2:RunInstances',
      { action: 'ec2:RunInstances', on: ec2('subnet', ID.subnet) },
      { action: 'ec2:RunInstances', on: ec2('security-group', ID.securityGroup) },
      // The instance profile is named like its role (ClusterAccessInstance).
      passRole('ec2.amazonaws.com', roleNamedIn('iam_instance_profile')),
    ],
    read: [
      'ec2:DescribeInstances',
      'ec2:DescribeInstanceAttribute',
      'ec2:DescribeInstanceCreditSpecifications',
      { action: 'ec2:DescribeVolumes', on: () => '*' },
    ],
    update: ['ec2:ModifyInstanceAttribute', 'ec2:ModifyInstanceMetadataOptions'],
    delete: ['ec2:TerminateInstances'],
    tag: ec2Tags,
  },

  // ------------------------------------------------------------------ data
  aws_db_subnet_group: {
    arn: (r) => `arn:${r.partition}:rds:${r.region}:${r.account}:subgrp:${r.attribute('name')}`,
    create: ['rds:CreateDBSubnetGroup'],
    read: ['rds:DescribeDBSubnetGroups', 'rds:ListTagsForResource'],
    update: ['rds:ModifyDBSubnetGroup'],
    delete: ['rds:DeleteDBSubnetGroup'],
    tag: ['rds:AddTagsToResource', 'rds:RemoveTagsFromResource'],
  },
  aws_db_parameter_group: {
    // name_prefix: Terraform appends a unique suffix.
    arn: (r) =>
      `arn:${r.partition}:rds:${r.region}:${r.account}:pg:${r.attribute('name_prefix')}20260101000000000000000001`,
    create: ['rds:CreateDBParameterGroup', 'rds:ModifyDBParameterGroup'],
    read: ['rds:DescribeDBParameterGroups', 'rds:DescribeDBParameters', 'rds:ListTagsForResource'],
    update: ['rds:ModifyDBParameterGroup', 'rds:ResetDBParameterGroup'],
    delete: ['rds:DeleteDBParameterGroup'],
    tag: ['rds:AddTagsToResource', 'rds:RemoveTagsFromResource'],
  },
  aws_db_instance: {
    arn: (r) => `arn:${r.partition}:rds:${r.region}:${r.account}:db:${r.attribute('identifier')}`,
    attributes: {
      arn: (r) => `arn:${r.partition}:rds:${r.region}:${r.account}:db:${r.attribute('identifier')}`,
    },
    create: [
      'rds:CreateDBInstance',
      { action: 'kms:DescribeKey', on: kmsKeyArn },
      { action: 'kms:CreateGrant', on: kmsKeyArn },
      // manage_master_user_password: RDS creates and tags the secret as the caller.
      { action: 'secretsmanager:CreateSecret', on: rdsMasterSecret },
      { action: 'secretsmanager:TagResource', on: rdsMasterSecret },
      { action: 'secretsmanager:RotateSecret', on: rdsMasterSecret },
      {
        action: 'iam:CreateServiceLinkedRole',
        on: (r) =>
          `arn:${r.partition}:iam::${r.account}:role/aws-service-role/rds.amazonaws.com/AWSServiceRoleForRDS`,
        context: () => ({ 'iam:AWSServiceName': 'rds.amazonaws.com' }),
      },
    ],
    read: ['rds:DescribeDBInstances', 'rds:ListTagsForResource'],
    update: [
      'rds:ModifyDBInstance',
      { action: 'secretsmanager:RotateSecret', on: rdsMasterSecret },
    ],
    delete: [
      'rds:DeleteDBInstance',
      { action: 'secretsmanager:DeleteSecret', on: rdsMasterSecret },
    ],
    tag: ['rds:AddTagsToResource', 'rds:RemoveTagsFromResource'],
  },
  aws_db_instance_automated_backups_replication: {
    // Created through the provider of the replica region: the calls happen there.
    arn: (r) => `arn:${r.partition}:rds:${r.region}:${r.account}:auto-backup:${ID.automatedBackup}`,
    create: [
      {
        action: 'rds:StartDBInstanceAutomatedBackupsReplication',
        on: (r) => r.attribute('source_db_instance_arn'),
      },
      { action: 'kms:DescribeKey', on: kmsKeyArn },
      { action: 'kms:CreateGrant', on: kmsKeyArn },
    ],
    read: [{ action: 'rds:DescribeDBInstanceAutomatedBackups', on: () => '*' }],
    update: NONE,
    delete: [
      {
        action: 'rds:StopDBInstanceAutomatedBackupsReplication',
        on: (r) => r.attribute('source_db_instance_arn'),
      },
    ],
    tag: NONE,
  },
  aws_elasticache_subnet_group: {
    arn: (r) =>
      `arn:${r.partition}:elasticache:${r.region}:${r.account}:subnetgroup:${r.attribute('name')}`,
    create: ['elasticache:CreateCacheSubnetGroup'],
    read: ['elasticache:DescribeCacheSubnetGroups', 'elasticache:ListTagsForResource'],
    update: ['elasticache:ModifyCacheSubnetGroup'],
    delete: ['elasticache:DeleteCacheSubnetGroup'],
    tag: ['elasticache:AddTagsToResource', 'elasticache:RemoveTagsFromResource'],
  },
  aws_elasticache_replication_group: {
    arn: (r) =>
      `arn:${r.partition}:elasticache:${r.region}:${r.account}:replicationgroup:${r.attribute('replication_group_id')}`,
    create: [
      'elasticache:CreateReplicationGroup',
      { action: 'kms:DescribeKey', on: kmsKeyArn },
      { action: 'kms:CreateGrant', on: kmsKeyArn },
      {
        action: 'iam:CreateServiceLinkedRole',
        on: (r) =>
          `arn:${r.partition}:iam::${r.account}:role/aws-service-role/elasticache.amazonaws.com/AWSServiceRoleForElastiCache`,
        context: () => ({ 'iam:AWSServiceName': 'elasticache.amazonaws.com' }),
      },
    ],
    read: [
      'elasticache:DescribeReplicationGroups',
      { action: 'elasticache:DescribeCacheClusters', on: () => '*' },
    ],
    update: ['elasticache:ModifyReplicationGroup'],
    delete: ['elasticache:DeleteReplicationGroup'],
    tag: ['elasticache:AddTagsToResource', 'elasticache:RemoveTagsFromResource'],
  },
  aws_elasticache_user: {
    arn: (r) =>
      `arn:${r.partition}:elasticache:${r.region}:${r.account}:user:${r.attribute('user_id')}`,
    attributes: {
      arn: (r) =>
        `arn:${r.partition}:elasticache:${r.region}:${r.account}:user:${r.attribute('user_id')}`,
    },
    create: ['elasticache:CreateUser'],
    read: ['elasticache:DescribeUsers', 'elasticache:ListTagsForResource'],
    update: ['elasticache:ModifyUser'],
    delete: ['elasticache:DeleteUser'],
    tag: ['elasticache:AddTagsToResource', 'elasticache:RemoveTagsFromResource'],
  },
  aws_elasticache_user_group: {
    arn: (r) =>
      `arn:${r.partition}:elasticache:${r.region}:${r.account}:usergroup:${r.attribute('user_group_id')}`,
    create: ['elasticache:CreateUserGroup'],
    read: ['elasticache:DescribeUserGroups', 'elasticache:ListTagsForResource'],
    update: ['elasticache:ModifyUserGroup'],
    delete: ['elasticache:DeleteUserGroup'],
    tag: ['elasticache:AddTagsToResource', 'elasticache:RemoveTagsFromResource'],
  },
  aws_secretsmanager_secret: {
    arn: (r) => secretArn(r, r.attribute('name')),
    attributes: {
      arn: (r) => secretArn(r, r.attribute('name')),
      id: (r) => secretArn(r, r.attribute('name')),
    },
    create: ['secretsmanager:CreateSecret', { action: 'kms:GenerateDataKey', on: kmsKeyArn }],
    read: ['secretsmanager:DescribeSecret', 'secretsmanager:GetResourcePolicy'],
    update: ['secretsmanager:UpdateSecret'],
    delete: ['secretsmanager:DeleteSecret'],
    tag: ['secretsmanager:TagResource', 'secretsmanager:UntagResource'],
  },
  aws_sns_topic: {
    arn: (r) => `arn:${r.partition}:sns:${r.region}:${r.account}:${r.attribute('name')}`,
    attributes: {
      arn: (r) => `arn:${r.partition}:sns:${r.region}:${r.account}:${r.attribute('name')}`,
    },
    create: ['sns:CreateTopic', 'sns:SetTopicAttributes'],
    read: ['sns:GetTopicAttributes', 'sns:ListTagsForResource'],
    update: ['sns:SetTopicAttributes'],
    delete: ['sns:DeleteTopic'],
    tag: ['sns:TagResource', 'sns:UntagResource'],
  },
  aws_sns_topic_policy: {
    arn: (r) => r.attribute('arn'),
    create: ['sns:SetTopicAttributes'],
    read: ['sns:GetTopicAttributes'],
    update: ['sns:SetTopicAttributes'],
    delete: ['sns:SetTopicAttributes'],
    tag: NONE,
  },
  aws_sns_topic_subscription: {
    arn: (r) => r.attribute('topic_arn'),
    create: ['sns:Subscribe'],
    read: [
      { action: 'sns:GetSubscriptionAttributes', on: () => '*' },
      'sns:ListSubscriptionsByTopic',
    ],
    update: [{ action: 'sns:SetSubscriptionAttributes', on: () => '*' }],
    delete: [{ action: 'sns:Unsubscribe', on: () => '*' }],
    tag: NONE,
  },
  aws_cloudwatch_metric_alarm: {
    arn: (r) =>
      `arn:${r.partition}:cloudwatch:${r.region}:${r.account}:alarm:${r.attribute('alarm_name')}`,
    create: ['cloudwatch:PutMetricAlarm'],
    read: [
      { action: 'cloudwatch:DescribeAlarms', on: () => '*' },
      'cloudwatch:ListTagsForResource',
    ],
    update: ['cloudwatch:PutMetricAlarm'],
    delete: ['cloudwatch:DeleteAlarms'],
    tag: ['cloudwatch:TagResource', 'cloudwatch:UntagResource'],
  },
  // ------------------------------------------------------------------ public entry (edge, dns)
  aws_acm_certificate: {
    arn: (r) => `arn:${r.partition}:acm:${r.region}:${r.account}:certificate/${ID.uuid}`,
    attributes: {
      // What ACM asks for: one CNAME per name of the certificate.
      domain_validation_options: (r) =>
        `\${[for name in concat([${hclQuoted(r.attribute('domain_name'))}], ${hclQuoted(r.attribute('subject_alternative_names'))}) : { domain_name = name, resource_record_name = "_0a1b2c3d4e5f60718.\${name}", resource_record_type = "CNAME", resource_record_value = "_0a1b2c3d4e5f60718.acm-validations.aws" }]}`,
    },
    create: ['acm:RequestCertificate', 'acm:AddTagsToCertificate'],
    read: ['acm:DescribeCertificate', 'acm:ListTagsForCertificate'],
    update: NONE,
    delete: ['acm:DeleteCertificate'],
    tag: ['acm:AddTagsToCertificate', 'acm:RemoveTagsFromCertificate'],
  },
  aws_acm_certificate_validation: {
    arn: (r) => r.attribute('certificate_arn'),
    create: ['acm:DescribeCertificate'],
    read: ['acm:DescribeCertificate'],
    update: NONE,
    delete: NONE,
    tag: NONE,
  },
  aws_route53_record: {
    arn: (r) => hostedZone(r.attribute('zone_id')),
    create: [
      recordChange('CREATE'),
      { action: 'route53:GetChange', on: () => 'arn:aws:route53:::change/*' },
    ],
    read: ['route53:ListResourceRecordSets', 'route53:GetHostedZone'],
    update: [
      recordChange('UPSERT'),
      { action: 'route53:GetChange', on: () => 'arn:aws:route53:::change/*' },
    ],
    delete: [
      recordChange('DELETE'),
      { action: 'route53:GetChange', on: () => 'arn:aws:route53:::change/*' },
    ],
    tag: NONE,
  },
  aws_wafv2_web_acl: {
    arn: (r) =>
      `arn:${r.partition}:wafv2:${r.region}:${r.account}:regional/webacl/${r.attribute('name')}/${ID.uuid}`,
    create: ['wafv2:CreateWebACL'],
    read: ['wafv2:GetWebACL', 'wafv2:ListTagsForResource'],
    update: ['wafv2:UpdateWebACL'],
    delete: ['wafv2:DeleteWebACL'],
    tag: ['wafv2:TagResource', 'wafv2:UntagResource'],
  },

  aws_s3_bucket: {
    arn: (r) => s3Bucket(r, r.attribute('bucket')),
    attributes: {
      id: (r) => r.attribute('bucket'),
      bucket: (r) => r.attribute('bucket'),
      arn: (r) => s3Bucket(r, r.attribute('bucket')),
    },
    create: ['s3:CreateBucket'],
    read: [
      's3:ListBucket',
      's3:GetBucketAcl',
      's3:GetBucketCORS',
      's3:GetBucketLogging',
      's3:GetBucketObjectLockConfiguration',
      's3:GetBucketPolicy',
      's3:GetBucketRequestPayment',
      's3:GetBucketTagging',
      's3:GetBucketVersioning',
      's3:GetBucketWebsite',
      's3:GetAccelerateConfiguration',
      's3:GetEncryptionConfiguration',
      's3:GetLifecycleConfiguration',
      's3:GetReplicationConfiguration',
    ],
    update: NONE,
    // force_destroy (decommission) empties the bucket, versions included.
    delete: [
      's3:DeleteBucket',
      's3:ListBucketVersions',
      {
        action: 's3:DeleteObjectVersion',
        on: (r) => `${s3Bucket(r, r.attribute('bucket'))}/chunk`,
      },
    ],
    tag: ['s3:PutBucketTagging'],
  },
  aws_s3_bucket_versioning: {
    arn: (r) => s3Bucket(r, r.attribute('bucket')),
    create: ['s3:PutBucketVersioning'],
    read: ['s3:GetBucketVersioning'],
    update: ['s3:PutBucketVersioning'],
    delete: ['s3:PutBucketVersioning'],
    tag: NONE,
  },
  aws_s3_bucket_server_side_encryption_configuration: {
    arn: (r) => s3Bucket(r, r.attribute('bucket')),
    create: ['s3:PutEncryptionConfiguration'],
    read: ['s3:GetEncryptionConfiguration'],
    update: ['s3:PutEncryptionConfiguration'],
    delete: ['s3:PutEncryptionConfiguration'],
    tag: NONE,
  },
  aws_s3_bucket_public_access_block: {
    arn: (r) => s3Bucket(r, r.attribute('bucket')),
    create: ['s3:PutBucketPublicAccessBlock'],
    read: ['s3:GetBucketPublicAccessBlock'],
    update: ['s3:PutBucketPublicAccessBlock'],
    delete: ['s3:PutBucketPublicAccessBlock'],
    tag: NONE,
  },
  aws_s3_bucket_ownership_controls: {
    arn: (r) => s3Bucket(r, r.attribute('bucket')),
    create: ['s3:PutBucketOwnershipControls'],
    read: ['s3:GetBucketOwnershipControls'],
    update: ['s3:PutBucketOwnershipControls'],
    delete: ['s3:PutBucketOwnershipControls'],
    tag: NONE,
  },
  aws_s3_bucket_policy: {
    arn: (r) => s3Bucket(r, r.attribute('bucket')),
    create: ['s3:PutBucketPolicy'],
    read: ['s3:GetBucketPolicy'],
    update: ['s3:PutBucketPolicy'],
    delete: ['s3:DeleteBucketPolicy'],
    tag: NONE,
  },
  aws_s3_bucket_lifecycle_configuration: {
    arn: (r) => s3Bucket(r, r.attribute('bucket')),
    create: ['s3:PutLifecycleConfiguration'],
    read: ['s3:GetLifecycleConfiguration'],
    update: ['s3:PutLifecycleConfiguration'],
    delete: ['s3:PutLifecycleConfiguration'],
    tag: NONE,
  },
};
