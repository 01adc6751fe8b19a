import { DataAwsCallerIdentity } from '@cdktf/provider-aws/lib/data-aws-caller-identity';
import type { DataAwsIamPolicyDocumentStatement } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';
import { DataAwsPartition } from '@cdktf/provider-aws/lib/data-aws-partition';
import { Fn, Op, Token } from 'cdktf';
import type { Construct } from 'constructs';
import {
  clusterTunnelStatements,
  tunnelInstanceDeployStatements,
} from '../cluster/cluster-access-instance';
import { Input, Rule } from '../lib/inputs';
import { ModuleStack } from '../lib/module-stack';
import { sharedInputs } from './shared-inputs';
import { RDS_MANAGED_SECRET_PATTERN, dataSecretNames } from '../data/secret-names';
import { PUBLIC_HOST_PREFIXES } from '../edge/public-hostnames';
import { ContainerRepository } from './container-repository';
import { GithubActionsIdentity } from './github-actions-identity';
import { PermissionsBoundary } from './permissions-boundary';

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

/**
 * IAM actions on a role that change what it may do: the deploy role may call them only with
 * `iam:PermissionsBoundary` = the project's boundary (the role carries it, or gets it).
 */
export const BOUNDED_ROLE_ACTIONS = [
  'iam:AttachRolePolicy',
  'iam:CreateRole',
  'iam:DeleteRolePolicy',
  'iam:DetachRolePolicy',
  'iam:PutRolePermissionsBoundary',
  'iam:PutRolePolicy',
];

/** What would change the boundary policy itself: denied to the deploy role. */
export const BOUNDARY_POLICY_WRITES = [
  'iam:CreatePolicyVersion',
  'iam:DeletePolicy',
  'iam:DeletePolicyVersion',
  'iam:SetDefaultPolicyVersion',
  'iam:TagPolicy',
  'iam:UntagPolicy',
];

/**
 * What the whole AWS account shares across environments: the API's container registry and
 * the identity GitHub Actions uses to plan and deploy (OIDC, no stored access keys).
 */
export class SharedStack extends ModuleStack {
  constructor(scope: Construct, id: string) {
    super(scope, id, {
      purpose:
        'Once per AWS account: the ECR repository of the API image (immutable tags, scan on push, KMS) and ' +
        '(create_github_roles) the GitHub Actions OIDC provider with a read-only plan role and a deploy ' +
        "role pinned to the repository's deploy branches and GitHub environments.",
    });
    if (!this.region) throw new Error('SharedStack is an AWS module: it needs the region input');
    const region = this.region.stringValue;
    const project = this.project.stringValue;

    const inputs = sharedInputs(this);

    const caller = new DataAwsCallerIdentity(this, 'caller');
    const partition = new DataAwsPartition(this, 'partition').partition;
    const account = caller.accountId;
    // The state bucket and the lock table: a name or pattern the CI roles may use, by
    // default ("") the names root.hcl gives them, "<project>-<kind>-<account>-<region>".
    const stateStore = (
      name: string,
      kind: 'tfstate' | 'tflock',
      plural: string,
      singular: string,
      regex: string,
    ): string => {
      const pattern = Input.string(this, name, {
        description: `Name (or pattern with *) of the ${plural}; "" means root.hcl's "<project>-${kind}-<account>-*".`,
        default: '',
        validation: [
          Rule.custom(
            (v) => `${v} == "" || can(regex(${JSON.stringify(regex)}, ${v}))`,
            `Must be "" or ${singular}, optionally with * wildcards.`,
          ),
        ],
      });
      return Token.asString(
        Fn.conditional(
          Op.gte(Fn.lengthOf(pattern.stringValue), 1),
          pattern.stringValue,
          `${project}-${kind}-${account}-*`,
        ),
      );
    };
    const stateBucket = stateStore(
      'state_bucket_name_pattern',
      'tfstate',
      'Terragrunt state buckets',
      'an S3 bucket name',
      '^[a-z0-9*][a-z0-9.*-]{2,62}$',
    );
    const lockTable = stateStore(
      'state_lock_table_name_pattern',
      'tflock',
      'DynamoDB lock tables',
      'a DynamoDB table name',
      '^[A-Za-z0-9_.*-]{3,255}$',
    );

    const registry = new ContainerRepository(this, 'ecr', {
      repositoryName: `${project}/api`,
      kmsAlias: `alias/${project}-ecr`,
      keepCommitImages: inputs.keepCommitImages.numberValue,
      untaggedExpiryDays: inputs.untaggedExpiry.numberValue,
    });

    // Account-wide, like the registry: the roles of every environment carry it.
    const boundary = new PermissionsBoundary(this, 'project_roles_boundary', {
      policyName: `${project}-permissions-boundary`,
    });

    const stateBucketArn = `arn:${partition}:s3:::${stateBucket}`;
    const lockTableArn = `arn:${partition}:dynamodb:*:${account}:table/${lockTable}`;
    const repo = inputs.repository.stringValue;

    // Plan: ReadOnlyAccess reads every resource; on top, what `terragrunt plan` writes: the
    // S3 lockfile next to the state (use_lockfile) and the DynamoDB lock item. No secret value:
    // no module keeps one in its state or reads one at plan time (docs/adr/013-no-secret-values-in-state.md).
    const planStatements: DataAwsIamPolicyDocumentStatement[] = [
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

    // Deploy: what `terragrunt run --all apply` of network, cluster, data, edge, platform, app, dns
    // does, plus the image push. Services without useful resource-level permissions for
    // create calls are granted per service in the deployment region only (KMS and RDS also in
    // additional_regions, for the backup replication); everything with names is limited to the
    // project's prefix; IAM cannot touch the GitHub roles themselves.
    const projectRole = `arn:${partition}:iam::${account}:role/${project}-*`;
    const githubRoles = `arn:${partition}:iam::${account}:role/${this.namePrefix}-github-*`;
    const deployStatements: DataAwsIamPolicyDocumentStatement[] = [
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
            values: Fn.concat([[region], inputs.additionalRegions.listValue]),
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
            values: [boundary.policy.arn],
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
        resources: [boundary.policy.arn],
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
        resources: [registry.repository.arn],
      },
    ];

    // ---- cluster tunnel: both roles reach the private Kubernetes APIs through the SSM tunnel
    // instance of each environment (stacks/cluster/cluster-access-instance.ts); what they may do
    // there is decided by their EKS access entries (deploy: admin, plan: viewer).
    const tunnelScope = { partition, region, accountId: account, project };
    const clusterTunnel = clusterTunnelStatements(tunnelScope);

    const github = new GithubActionsIdentity(this, 'github', {
      enabled: inputs.createGithubRoles.booleanValue,
      namePrefix: this.namePrefix,
      partition,
      thumbprints: inputs.thumbprints.listValue,
      planSubjects: Fn.concat([
        [`repo:${repo}:ref:*`, `repo:${repo}:pull_request`],
        Fn.formatlist('repo:%s:environment:%s', [repo, inputs.environments.listValue]),
      ]),
      deploySubjects: Fn.concat([
        Fn.formatlist('repo:%s:ref:refs/heads/%s', [repo, inputs.deployBranches.listValue]),
        Fn.formatlist('repo:%s:environment:%s', [repo, inputs.environments.listValue]),
      ]),
      planStatements: [...planStatements, ...clusterTunnel],
      deployStatements: [
        ...deployStatements,
        ...clusterTunnel,
        ...tunnelInstanceDeployStatements(tunnelScope),
      ],
    });

    this.output('ecr_repository_url', {
      value: registry.repository.repositoryUrl,
      description:
        'Registry URL of the API image (<account>.dkr.ecr.<region>.amazonaws.com/<project>/api).',
    });
    this.output('ecr_repository_arn', {
      value: registry.repository.arn,
      description: 'ARN of the API image repository (the deploy role may push only here).',
    });
    this.output('permissions_boundary_arn', {
      value: boundary.policy.arn,
      description:
        'Managed policy every role of the network, cluster and data modules carries as permissions boundary (their input `permissions_boundary_arn`).',
    });
    this.output('github_oidc_provider_arn', {
      value: github.providerArn,
      description:
        'IAM OIDC provider of token.actions.githubusercontent.com ("" without GitHub roles).',
    });
    this.output('github_plan_role_arn', {
      value: github.planRoleArn,
      description:
        'Role for `terragrunt plan` in GitHub Actions (repository variable AWS_PLAN_ROLE_ARN; "" without GitHub roles).',
    });
    this.output('github_deploy_role_arn', {
      value: github.deployRoleArn,
      description:
        'Role for `terragrunt apply` and image push (repository variable AWS_DEPLOY_ROLE_ARN; "" without GitHub roles).',
    });
  }
}
