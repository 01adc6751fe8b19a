import { DataAwsCallerIdentity } from '@cdktf/provider-aws/lib/data-aws-caller-identity';
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
import { ContainerRepository } from './container-repository';
import { GithubActionsIdentity } from './github-actions-identity';
import {
  type GithubRoleScope,
  deployRoleStatements,
  planRoleStatements,
} from './github-role-policies';
import { PermissionsBoundary } from './permissions-boundary';

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

    const repo = inputs.repository.stringValue;

    const roleScope: GithubRoleScope = {
      partition,
      region,
      account,
      project,
      namePrefix: this.namePrefix,
      stateBucketArn: `arn:${partition}:s3:::${stateBucket}`,
      lockTableArn: `arn:${partition}:dynamodb:*:${account}:table/${lockTable}`,
    };

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
      planStatements: [...planRoleStatements(roleScope), ...clusterTunnel],
      deployStatements: [
        ...deployRoleStatements(roleScope, {
          additionalRegions: inputs.additionalRegions.listValue,
          boundaryPolicyArn: boundary.policy.arn,
          repositoryArn: registry.repository.arn,
        }),
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
