// Construct tests of the account-wide layer: the API registry and the GitHub Actions identity.
import { EcrRepository } from '@cdktf/provider-aws/lib/ecr-repository';
import { IamOpenidConnectProvider } from '@cdktf/provider-aws/lib/iam-openid-connect-provider';
import { IamRolePolicyAttachment } from '@cdktf/provider-aws/lib/iam-role-policy-attachment';
import { App, Testing } from 'cdktf';
import { expect } from 'chai';
import {
  AMAZON_LINUX_PARAMETER,
  CLUSTER_TUNNEL_TAG,
  PORT_FORWARDING_DOCUMENT,
} from '../cluster/cluster-access-instance';
import { synthesizeStack } from '../lib/module-synthesis';
import { GITHUB_OIDC_THUMBPRINTS } from '../shared/shared-inputs';
import { SharedStack } from '../shared/shared-stack';

interface PolicyStatement {
  sid?: string;
  effect?: string;
  actions?: string[];
  resources?: string[];
  principals?: { type: string; identifiers: string[] }[];
  condition?: { test: string; variable: string; values: string[] | string }[];
}
type Block = Record<string, unknown>;

describe('SharedStack', function () {
  const stack = new SharedStack(new App({ skipValidation: true }), 'shared');
  const synthesized = Testing.synth(stack);
  const tf = synthesizeStack(stack) as unknown as {
    data: Record<string, Record<string, { statement: PolicyStatement[] }>>;
    variable: Record<string, Block>;
    output: Record<string, Block>;
  };
  const statements = (name: string): PolicyStatement[] =>
    tf.data['aws_iam_policy_document']?.[name]?.statement ?? [];
  const condition = (trust: string, claim: 'sub' | 'aud') =>
    (statements(trust)[0]?.condition ?? []).find(
      (c) => c.variable === `token.actions.githubusercontent.com:${claim}`,
    );

  it('declares exactly the contract outputs, each documented', function () {
    expect(Object.keys(tf.output).sort()).to.deep.equal([
      'ecr_repository_arn',
      'ecr_repository_url',
      'github_deploy_role_arn',
      'github_oidc_provider_arn',
      'github_plan_role_arn',
      'permissions_boundary_arn',
    ]);
    for (const output of Object.values(tf.output)) {
      expect(output['description']).to.be.a('string').with.lengthOf.above(0);
    }
  });

  it('takes the GitHub inputs of the contract with their defaults', function () {
    // The roles exist unless asked otherwise, and then need the repository they trust.
    expect(tf.variable['create_github_roles']?.['default']).to.equal(true);
    expect(tf.variable['github_repository']?.['default']).to.equal('');
    expect(JSON.stringify(tf.variable['github_repository']?.['validation'])).to.include(
      '!var.create_github_roles || var.github_repository != \\"\\"',
    );
    expect(tf.variable['github_deploy_branches']?.['default']).to.deep.equal(['main']);
    expect(tf.variable['github_environments']?.['default']).to.deep.equal([
      'staging',
      'production',
    ]);
    expect(tf.variable['github_oidc_thumbprints']?.['default']).to.deep.equal(
      GITHUB_OIDC_THUMBPRINTS,
    );
  });

  it('creates an immutable, scanned, KMS-encrypted registry', function () {
    expect(
      Testing.toHaveResourceWithProperties(synthesized, EcrRepository.tfResourceType, {
        image_tag_mutability: 'IMMUTABLE',
        image_scanning_configuration: { scan_on_push: true },
        encryption_configuration: [
          { encryption_type: 'KMS', kms_key: '${aws_kms_key.ecr_key.arn}' },
        ],
      }),
    ).to.equal(true);
  });

  it('trusts GitHub for the sts.amazonaws.com audience', function () {
    expect(
      Testing.toHaveResourceWithProperties(synthesized, IamOpenidConnectProvider.tfResourceType, {
        url: 'https://token.actions.githubusercontent.com',
        client_id_list: ['sts.amazonaws.com'],
        thumbprint_list: '${var.github_oidc_thumbprints}',
      }),
    ).to.equal(true);
    for (const trust of ['github_plan_trust', 'github_deploy_trust']) {
      expect(condition(trust, 'aud')).to.deep.equal({
        test: 'StringEquals',
        variable: 'token.actions.githubusercontent.com:aud',
        values: ['sts.amazonaws.com'],
      });
      expect(statements(trust)[0]?.principals).to.deep.equal([
        {
          type: 'Federated',
          identifiers: ['${aws_iam_openid_connect_provider.github_provider[0].arn}'],
        },
      ]);
    }
  });

  it('pins the deploy role to the deploy branches and environments, exactly', function () {
    const sub = condition('github_deploy_trust', 'sub');
    expect(sub?.test).to.equal('StringEquals');
    expect(sub?.values).to.equal(
      '${concat(formatlist("repo:%s:ref:refs/heads/%s", var.github_repository, var.github_deploy_branches), ' +
        'formatlist("repo:%s:environment:%s", var.github_repository, var.github_environments))}',
    );
  });

  it('lets the plan role in from any ref or pull request of the repository only', function () {
    const sub = condition('github_plan_trust', 'sub');
    expect(sub?.test).to.equal('StringLike');
    expect(String(sub?.values)).to.contain('"repo:${var.github_repository}:ref:*"');
    expect(String(sub?.values)).to.contain('"repo:${var.github_repository}:pull_request"');
  });

  it('keeps the plan role read-only apart from the state lock', function () {
    expect(
      Testing.toHaveResourceWithProperties(synthesized, IamRolePolicyAttachment.tfResourceType, {
        role: '${aws_iam_role.github_plan_role[0].name}',
        policy_arn: 'arn:${data.aws_partition.partition.partition}:iam::aws:policy/ReadOnlyAccess',
      }),
    ).to.equal(true);
    const writes = statements('github_plan_permissions').flatMap((s) =>
      (s.actions ?? []).filter((a) => /:(Put|Delete|Create|Update)/.test(a)),
    );
    expect(writes).to.deep.equal([
      's3:PutObject',
      's3:DeleteObject',
      'dynamodb:PutItem',
      'dynamodb:DeleteItem',
    ]);
    const lockfile = statements('github_plan_permissions').find(
      (s) => s.sid === 'WriteTheLockfileOnly',
    );
    expect(lockfile?.resources?.[0]).to.match(/\/\*\.tflock$/);
  });

  it('lets the deploy role push to the API repository only and never edit the GitHub roles', function () {
    const deploy = statements('github_deploy_permissions');
    const push = deploy.find((s) => s.sid === 'PushTheApiImage');
    expect(push?.actions).to.include('ecr:PutImage');
    expect(push?.resources).to.deep.equal(['${aws_ecr_repository.ecr_repository.arn}']);
    expect(deploy.find((s) => s.sid === 'NeverChangeTheGithubRoles')).to.deep.include({
      effect: 'Deny',
      actions: ['iam:*'],
    });
    for (const statement of deploy) {
      const everything = statement.actions?.includes('*') && statement.resources?.includes('*');
      expect(everything, statement.sid).to.not.equal(true);
    }
  });

  it('lets both GitHub roles open the cluster tunnel: port forwarding, on tunnel instances of the project only', function () {
    const region = '${var.region}';
    const account = '${data.aws_caller_identity.caller.account_id}';
    const arn = '${data.aws_partition.partition.partition}';
    for (const role of ['github_plan_permissions', 'github_deploy_permissions']) {
      const granted = statements(role).filter((s) =>
        s.actions?.some((a) => a.startsWith('ssm:StartSession') || a.startsWith('ssmmessages:')),
      );
      expect(granted, role).to.deep.equal([
        {
          sid: 'OpenTheClusterTunnelOfTheProject',
          actions: ['ssm:StartSession'],
          resources: [`arn:${arn}:ec2:${region}:${account}:instance/*`],
          condition: [
            {
              test: 'StringEquals',
              variable: `ssm:resourceTag/${CLUSTER_TUNNEL_TAG.key}`,
              values: [CLUSTER_TUNNEL_TAG.value],
            },
            {
              test: 'StringEquals',
              variable: 'ssm:resourceTag/Project',
              values: ['${var.project}'],
            },
            { test: 'BoolIfExists', variable: 'ssm:SessionDocumentAccessCheck', values: ['true'] },
          ],
        },
        {
          sid: 'OnlyWithThePortForwardingDocument',
          actions: ['ssm:StartSession'],
          resources: [`arn:${arn}:ssm:${region}::document/${PORT_FORWARDING_DOCUMENT}`],
        },
        {
          sid: 'ConnectToTheTunnelSession',
          actions: ['ssmmessages:OpenDataChannel'],
          resources: [`arn:${arn}:ssm:${region}:${account}:session/*`],
        },
      ]);
    }
    // Applying the cluster layer reads the tunnel instance's image from AWS's public parameter.
    expect(
      statements('github_deploy_permissions').find(
        (s) => s.sid === 'ReadTheTunnelInstanceImageParameter',
      )?.resources,
    ).to.deep.equal([`arn:${arn}:ssm:${region}:*:parameter${AMAZON_LINUX_PARAMETER}`]);
  });

  it("lets the deploy role manage the project's SNS topics only (the data layer's alarm topic)", function () {
    const sns = statements('github_deploy_permissions').filter((s) =>
      s.actions?.some((action) => action.startsWith('sns:')),
    );
    expect(sns.map((s) => s.resources)).to.deep.equal([
      [
        'arn:${data.aws_partition.partition.partition}:sns:${var.region}:${data.aws_caller_identity.caller.account_id}:${var.project}-*',
      ],
    ]);
  });

  it('widens the deploy role to additional_regions for KMS and RDS only', function () {
    const requestedRegions = statements('github_deploy_permissions')
      .filter((s) => s.condition?.some((c) => c.variable === 'aws:RequestedRegion'))
      .map((s) => ({
        sid: s.sid,
        actions: s.actions,
        regions: s.condition?.find((c) => c.variable === 'aws:RequestedRegion')?.values,
      }));
    expect(requestedRegions).to.deep.equal([
      {
        sid: 'ProvisionTheLayersInTheRegion',
        actions: [
          'acm:*',
          'autoscaling:*',
          'cloudwatch:*',
          'ec2:*',
          'eks:*',
          'elasticache:*',
          'logs:*',
          'wafv2:*',
        ],
        regions: ['${var.region}'],
      },
      {
        sid: 'ProvisionKeysAndDatabasesInTheRegions',
        actions: ['kms:*', 'rds:*'],
        regions: '${concat([var.region], var.additional_regions)}',
      },
      {
        sid: 'FindTheLoadBalancer',
        actions: [
          'elasticloadbalancing:DescribeLoadBalancerAttributes',
          'elasticloadbalancing:DescribeLoadBalancers',
          'elasticloadbalancing:DescribeTags',
        ],
        regions: ['${var.region}'],
      },
    ]);
  });

  it('takes additional_regions as distinct region names other than region, none by default', function () {
    const input = tf.variable['additional_regions'] as {
      default?: unknown;
      validation?: { condition: string }[];
    };
    expect(input.default).to.deep.equal([]);
    expect((input.validation ?? []).map((v) => v.condition)).to.deep.equal([
      '${alltrue([for x in var.additional_regions : can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", x))])}',
      '${length(distinct(var.additional_regions)) == length(var.additional_regions)}',
      '${!contains(var.additional_regions, var.region)}',
    ]);
  });
});
