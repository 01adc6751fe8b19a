// The policies of the GitHub Actions roles (github-actions-identity.ts). The deploy policy is
// checked call by call by stacks/test/deploy-role.test.ts.
import type { DataAwsIamPolicyDocumentStatement } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';
import { Fn } from 'cdktf';
import { RDS_MANAGED_SECRET_PATTERN, dataSecretNames } from '../data/secret-names';
import { PUBLIC_HOST_PREFIXES } from '../edge/public-hostnames';
import { BOUNDARY_POLICY_WRITES, BOUNDED_ROLE_ACTIONS } from './permissions-boundary';

/** Services the deploy role drives through Terragrunt, limited to the deployment region. */
export const DEPLOYED_REGIONAL_SERVICES = [
  'acm',
  'autoscaling',
  'cloudwatch',
  'ec2',
  'eks',
  'elasticache',
  'logs',
  'wafv2',
] as const;

/**
 * Record names the deploy role may change in Route 53 (normalized: lowercase, no final dot): the
 * public names of every environment (stacks/edge/public-hostnames.ts) and the records ACM asks
 * for to validate their certificate (`_<token>.<name>`). Never the zone's other records.
 */
export const PUBLIC_RECORD_NAMES = Object.values(PUBLIC_HOST_PREFIXES).flatMap((prefix) => [
  `${prefix}.*`,
  `_*.${prefix}.*`,
]);

/**
 * Services the deploy role drives in the deployment region and in `additional_regions`: the data
 * layer's RDS automated backup replication and its KMS key live in the disaster-recovery region
 * (`db_backup_replication_region`), created through a second provider in that region.
 */
export const BACKUP_REPLICATION_SERVICES = ['kms', 'rds'] as const;

/** Where the roles act: the account, the project's names and the Terragrunt state store. */
export interface GithubRoleScope {
  readonly partition: string;
  readonly region: string;
  readonly account: string;
  readonly project: string;
  /** Prefix of the GitHub roles' own names (`<namePrefix>-github-*`). */
  readonly namePrefix: string;
  readonly stateBucketArn: string;
  readonly lockTableArn: string;
}

/** What only the deploy role needs beyond the scope. */
export interface DeployRoleTargets {
  /** Regions besides the deployment region (backup replication): KMS and RDS there too. */
  readonly additionalRegions: string[];
  readonly boundaryPolicyArn: string;
  /** The API image repository, the only one the role may push to. */
  readonly repositoryArn: string;
}

/**
 * Plan: ReadOnlyAccess reads every resource; on top, what `terragrunt plan` writes: the S3
 * lockfile next to the state (use_lockfile) and the DynamoDB lock item. No secret value: no
 * module keeps one in its state or reads one at plan time (docs/adr/013-no-secret-values-in-state.md).
 */
export function planRoleStatements(scope: GithubRoleScope): DataAwsIamPolicyDocumentStatement[] {
  const { stateBucketArn, lockTableArn } = scope;
  return [
    {
      sid: 'ListStateBuckets',
      actions: ['s3:ListBucket', 's3:GetBucketVersioning'],
      resources: [stateBucketArn],
    },
    { sid: 'ReadState', actions: ['s3:GetObject'], resources: [`${stateBucketArn}/*`] },
    {
      sid: 'WriteTheLockfileOnly',
      actions: ['s3:PutObject', 's3:DeleteObject'],
      resources: [`${stateBucketArn}/*.tflock`],
    },
    {
      sid: 'LockTable',
      actions: [
        'dynamodb:DescribeTable',
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:DeleteItem',
      ],
      resources: [lockTableArn],
    },
  ];
}

export function deployRoleStatements(
  scope: GithubRoleScope,
  { additionalRegions, boundaryPolicyArn, repositoryArn }: DeployRoleTargets,
): DataAwsIamPolicyDocumentStatement[] {
  const { partition, region, account, project, stateBucketArn, lockTableArn } = scope;
  // Deploy: what `terragrunt run --all apply` of network, cluster, data, edge, platform, app, dns
  // does, plus the image push. Services without useful resource-level permissions for
  // create calls are granted per service in the deployment region only (KMS and RDS also in
  // additional_regions, for the backup replication); everything with names is limited to the
  // project's prefix; IAM cannot touch the GitHub roles themselves.
  const projectRole = `arn:${partition}:iam::${account}:role/${project}-*`;
  const githubRoles = `arn:${partition}:iam::${account}:role/${scope.namePrefix}-github-*`;
  return [
    {
      sid: 'ProvisionTheLayersInTheRegion',
      actions: DEPLOYED_REGIONAL_SERVICES.map((service) => `${service}:*`),
      resources: ['*'],
      condition: [{ test: 'StringEquals', variable: 'aws:RequestedRegion', values: [region] }],
    },
    {
      sid: 'ProvisionKeysAndDatabasesInTheRegions',
      actions: BACKUP_REPLICATION_SERVICES.map((service) => `${service}:*`),
      resources: ['*'],
      condition: [
        {
          test: 'StringEquals',
          variable: 'aws:RequestedRegion',
          values: Fn.concat([[region], additionalRegions]),
        },
      ],
    },
    {
      // The data layer's alarm topic (payflow-<env>-data-alarms) and its e-mail subscriptions.
      sid: 'ProjectAlarmTopics',
      actions: ['sns:*'],
      resources: [`arn:${partition}:sns:${region}:${account}:${project}-*`],
    },
    {
      // The data layer's secrets of every environment (names: stacks/data/secret-names.ts), and
      // the one RDS creates, as the caller, for the managed master password.
      sid: 'ProjectSecrets',
      actions: ['secretsmanager:*'],
      resources: [
        ...Object.values(dataSecretNames(project, '*')).map(
          (name) => `arn:${partition}:secretsmanager:${region}:${account}:secret:${name}-*`,
        ),
        `arn:${partition}:secretsmanager:${region}:${account}:secret:${RDS_MANAGED_SECRET_PATTERN}`,
      ],
    },
    {
      sid: 'ProjectBucketsAndState',
      actions: ['s3:*'],
      resources: [
        `arn:${partition}:s3:::${project}-*`,
        `arn:${partition}:s3:::${project}-*/*`,
        stateBucketArn,
        `${stateBucketArn}/*`,
      ],
    },
    { sid: 'StateLockTable', actions: ['dynamodb:*'], resources: [lockTableArn] },
    {
      // The dns layer finds the load balancer the Ingresses made (stacks/dns): reads only.
      sid: 'FindTheLoadBalancer',
      actions: [
        'elasticloadbalancing:DescribeLoadBalancerAttributes',
        'elasticloadbalancing:DescribeLoadBalancers',
        'elasticloadbalancing:DescribeTags',
      ],
      resources: ['*'],
      condition: [{ test: 'StringEquals', variable: 'aws:RequestedRegion', values: [region] }],
    },
    {
      sid: 'ReadHostedZones',
      actions: [
        'route53:GetChange',
        'route53:GetHostedZone',
        'route53:ListHostedZones',
        'route53:ListHostedZonesByName',
        'route53:ListResourceRecordSets',
        'route53:ListTagsForResource',
      ],
      resources: ['*'],
    },
    {
      // The hosted zone may be the company's own: only the public names and their certificate
      // validation records, as alias A records and CNAMEs (Route 53's request context).
      sid: 'WriteThePublicNamesOnly',
      actions: ['route53:ChangeResourceRecordSets'],
      resources: [`arn:${partition}:route53:::hostedzone/*`],
      condition: [
        {
          test: 'Null',
          variable: 'route53:ChangeResourceRecordSetsNormalizedRecordNames',
          values: ['false'],
        },
        {
          test: 'ForAllValues:StringLike',
          variable: 'route53:ChangeResourceRecordSetsNormalizedRecordNames',
          values: PUBLIC_RECORD_NAMES,
        },
        {
          test: 'ForAllValues:StringEquals',
          variable: 'route53:ChangeResourceRecordSetsRecordTypes',
          values: ['A', 'CNAME'],
        },
      ],
    },
    // Roles of the environment modules: created and changed only with the project's permissions
    // boundary (stacks/shared/permissions-boundary.ts), so no role the deploy role makes can do
    // more than the boundary allows. Checked by IAM-DEPLOY-CANNOT-ESCALATE (stacks/test/policies).
    {
      sid: 'ProjectRolesWithinTheBoundary',
      actions: BOUNDED_ROLE_ACTIONS,
      resources: [projectRole],
      condition: [
        {
          test: 'StringEquals',
          variable: 'iam:PermissionsBoundary',
          values: [boundaryPolicyArn],
        },
      ],
    },
    {
      sid: 'ManageProjectRoles',
      actions: [
        'iam:DeleteRole',
        'iam:PassRole',
        'iam:TagRole',
        'iam:UntagRole',
        'iam:UpdateAssumeRolePolicy',
        'iam:UpdateRole',
        'iam:UpdateRoleDescription',
      ],
      resources: [projectRole],
    },
    {
      sid: 'ReadIam',
      actions: ['iam:Get*', 'iam:List*'],
      resources: ['*'],
    },
    {
      sid: 'ServiceLinkedRoles',
      actions: ['iam:CreateServiceLinkedRole'],
      resources: ['*'],
      condition: [
        {
          test: 'StringEquals',
          variable: 'iam:AWSServiceName',
          values: [
            'eks.amazonaws.com',
            'eks-nodegroup.amazonaws.com',
            'autoscaling.amazonaws.com',
            'rds.amazonaws.com',
            'elasticache.amazonaws.com',
            'elasticloadbalancing.amazonaws.com',
          ],
        },
      ],
    },
    {
      sid: 'NeverChangeTheGithubRoles',
      effect: 'Deny',
      actions: ['iam:*'],
      resources: [githubRoles],
    },
    {
      sid: 'NeverRemoveTheBoundary',
      effect: 'Deny',
      actions: ['iam:DeleteRolePermissionsBoundary'],
      resources: ['*'],
    },
    {
      sid: 'NeverChangeTheBoundary',
      effect: 'Deny',
      actions: BOUNDARY_POLICY_WRITES,
      resources: [boundaryPolicyArn],
    },
    { sid: 'RegistryLogin', actions: ['ecr:GetAuthorizationToken'], resources: ['*'] },
    {
      sid: 'PushTheApiImage',
      actions: [
        'ecr:BatchCheckLayerAvailability',
        'ecr:BatchGetImage',
        'ecr:CompleteLayerUpload',
        'ecr:DescribeImageScanFindings',
        'ecr:DescribeImages',
        'ecr:GetDownloadUrlForLayer',
        'ecr:InitiateLayerUpload',
        'ecr:PutImage',
        'ecr:UploadLayerPart',
      ],
      resources: [repositoryArn],
    },
  ];
}
