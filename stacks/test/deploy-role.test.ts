// "The deploy role can deploy" (issue 13) and "cannot escalate" (issue 15): every IAM call of
// stacks/test/deploy-role-calls.ts, for every resource the modules of live/<env>/ create in
// every environment, on the exact ARN that resource gets there, is allowed by the GitHub deploy
// role's synthesized policy (modules/shared), evaluated by @cloud-copilot/iam-simulate (a real
// IAM policy evaluator: actions and ARNs validated against the Service Authorization Reference,
// every condition operator). Names and ARNs come from the synthesized modules evaluated by
// Terraform with each unit's inputs (module-instances.ts).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isWildcardOnlyAction, runSimulation } from '@cloud-copilot/iam-simulate';
import { expect } from 'chai';
import { parse as parseYaml } from 'yaml';
import {
  type Call,
  type CallSpec,
  DEPLOY_ROLE_CALLS,
  type ResourceInstance,
  type ResourceTypeCalls,
  callsOf,
} from './deploy-role-calls';
import {
  type Hcl,
  type LiveTree,
  DependencyOutput,
  Unresolved,
  evaluate,
  loadLiveTree,
  localsOf,
  resolveUnit,
} from '../../live/test/live-contract';
import { type ModuleJson, ModuleInstances, evaluateExpressions } from './module-instances';
import { PROJECT_ROLE_BOUNDARY_ACTIONS } from '../shared/permissions-boundary';
import { ENVIRONMENTS } from '../lib/module-stack';
import { policyDocuments } from './policies/iam-documents';
import { loadAwsModules, resources } from './policies/terraform-config';
import { terraformAvailable } from './platform-terraform-evaluation';

const REPOSITORY = join(__dirname, '..', '..');
/** The account of an environment whose env.hcl pins none (the deployer's at deploy time). */
const EXAMPLE_ACCOUNT = '123456789012';
/** root.hcl's tags (a merge() this evaluator leaves alone); the modules add Project and Environment. */
const ROOT_TAGS = { ManagedBy: 'terragrunt' };
const SHARED_UNIT = 'live/shared/global';
const PARTITION = 'aws';
/** IAM is global: its calls are signed for us-east-1 in the aws partition. */
const IAM_REGION = 'us-east-1';

const moduleJson = (name: string): ModuleJson =>
  JSON.parse(readFileSync(join(REPOSITORY, 'modules', name, 'main.tf.json'), 'utf8')) as ModuleJson;

/** ARNs of the shared module's resources that the deploy role's policy and outputs name. */
const SHARED_MODULE_ARNS: Record<string, ResourceTypeCalls> = {
  aws_iam_policy: {
    arn: (r) => `arn:${r.partition}:iam::${r.account}:policy/${r.attribute('name')}`,
    ...noCalls(),
  },
  aws_ecr_repository: {
    arn: (r) => `arn:${r.partition}:ecr:${r.region}:${r.account}:repository/${r.attribute('name')}`,
    attributes: {
      repository_url: (r) =>
        `${r.account}.dkr.ecr.${r.region}.amazonaws.com/${r.attribute('name')}`,
    },
    ...noCalls(),
  },
};
function noCalls() {
  return { create: [], read: [], update: [], delete: [], tag: [] };
}

interface Request {
  readonly where: string;
  readonly action: string;
  readonly resource: string;
  readonly context: Record<string, string | string[]>;
}

const spec = (call: Call): CallSpec => (typeof call === 'string' ? { action: call } : call);

/** The key policy statement that lets IAM policies of the key's account grant its use. */
const accountDelegation = (keyArn: string) => ({
  Version: '2012-10-17',
  Statement: [
    {
      Sid: 'AccountAdministersTheKey',
      Effect: 'Allow',
      Principal: { AWS: `arn:aws:iam::${keyArn.split(':')[4] ?? ''}:root` },
      Action: 'kms:*',
      Resource: '*',
    },
  ],
});

/** A deploy-role request, `Allowed` or why not. */
async function decide(policy: unknown, request: Request): Promise<string> {
  const [service = '', action = ''] = request.action.split(':');
  const wildcardOnly = await isWildcardOnlyAction(service, action);
  const result = await runSimulation(
    {
      request: {
        principal: 'arn:aws:iam::123456789012:role/payflow-production-github-deploy',
        action: request.action,
        resource: {
          resource: wildcardOnly ? '*' : request.resource,
          accountId: '123456789012',
        },
        contextVariables: request.context,
      },
      identityPolicies: [{ name: 'terragrunt-deploy', policy }],
      // A KMS key obeys its key policy first; every key of the modules delegates to the
      // account's IAM policies (checked below), as AWS's default key policy does.
      ...(service === 'kms' ? { resourcePolicy: accountDelegation(request.resource) } : {}),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
    },
    {},
  );
  if (result.resultType === 'error') return `invalid request: ${JSON.stringify(result.errors)}`;
  return result.overallResult;
}

/** The live tree and every environment's evaluated instances and the deploy policy. */
interface Evaluated {
  readonly policy: unknown;
  readonly requests: Request[];
  readonly boundaryArn: string;
  readonly ownRoleArns: string[];
}

function unitInputs(
  tree: LiveTree,
  dir: string,
  outputsOf: Map<string, Record<string, unknown>>,
  examples: Record<string, unknown>,
): Record<string, unknown> {
  const unit = resolveUnit(tree, dir);
  const resolve = (value: unknown, name: string): unknown => {
    if (value instanceof DependencyOutput) {
      const dependency = unit.dependencies.get(value.dependency);
      const evaluated = dependency?.target ? outputsOf.get(dependency.target) : undefined;
      if (evaluated && value.output in evaluated) return evaluated[value.output];
      return dependency?.mockOutputs?.[value.output];
    }
    if (value instanceof Unresolved) {
      if (!(name in examples)) throw new Error(`${dir}: input ${name} cannot be evaluated here`);
      return examples[name];
    }
    if (Array.isArray(value)) return value.map((v) => resolve(v, name));
    return value;
  };
  return Object.fromEntries(
    [...unit.inputs].map(([name, { value }]) => [name, resolve(value, name)]),
  );
}

/** The deploy role's statements as IAM JSON, values still Terraform expressions. */
function deployPolicyDocument(shared: ModuleJson): Hcl {
  const document = shared.data?.['aws_iam_policy_document']?.['github_deploy_permissions'];
  const statements = (document?.['statement'] ?? []) as Hcl[];
  return {
    Version: '2012-10-17',
    Statement: statements.map((s) => {
      const conditions: Record<string, Hcl> = {};
      for (const c of (s['condition'] ?? []) as Hcl[]) {
        const test = String(c['test']);
        conditions[test] = { ...(conditions[test] ?? {}), [String(c['variable'])]: c['values'] };
      }
      return {
        Sid: s['sid'],
        Effect: s['effect'] ?? 'Allow',
        Action: s['actions'],
        Resource: s['resources'],
        ...(Object.keys(conditions).length ? { Condition: conditions } : {}),
      };
    }),
  };
}

function evaluateEnvironment(tree: LiveTree, environment: string): Evaluated {
  const envLocals = evaluate(localsOf(tree.files.get(`live/${environment}/env.hcl`)), {
    unitDir: `live/${environment}`,
    locals: localsOf(tree.files.get(`live/${environment}/env.hcl`)),
    tree,
  }) as Hcl;
  // An env.hcl without account_id (development) deploys to the caller's account: any will do.
  const facts = {
    partition: PARTITION,
    account: String(envLocals['account_id'] ?? EXAMPLE_ACCOUNT),
  };
  const outputsOf = new Map<string, Record<string, unknown>>();
  const requests: Request[] = [];

  // The shared module: the deploy role's policy, and the outputs units read (boundary ARN…).
  const sharedJson = moduleJson('shared');
  const shared = new ModuleInstances(
    'shared',
    sharedJson,
    { ...DEPLOY_ROLE_CALLS, ...SHARED_MODULE_ARNS },
    facts,
  );
  const sharedOutputs = [
    'permissions_boundary_arn',
    'github_deploy_role_arn',
    'github_plan_role_arn',
    'ecr_repository_arn',
  ];
  const sharedValues = evaluateExpressions(
    shared,
    {
      policy: shared.hcl(deployPolicyDocument(sharedJson)),
      ...Object.fromEntries(
        sharedOutputs.map((o) => [o, shared.hcl(sharedJson.output?.[o]?.value)]),
      ),
    },
    {
      ...unitInputs(tree, SHARED_UNIT, outputsOf, {
        // root.hcl: [the account of env.hcl, or the caller's] (an element of the list); GitHub
        // roles when root.hcl names a repository.
        allowed_account_ids: facts.account,
        create_github_roles: true,
        tags: ROOT_TAGS,
      }),
      // As in an account deployed from GitHub Actions (root.hcl's github_repository is "" until set).
      github_repository: 'acme/payflow-platform',
    },
  );
  outputsOf.set(SHARED_UNIT, sharedValues);

  // Image push (ci.yml) and the deployed/release tags (_deploy.yml) on the API repository.
  const repository = String(sharedValues['ecr_repository_arn']);
  const region = String(envLocals['region']);
  for (const action of IMAGE_CALLS) {
    requests.push({
      where: `workflows: ${action}`,
      action,
      resource: repository,
      context: { 'aws:RequestedRegion': region },
    });
  }

  for (const dir of [...tree.files.keys()]
    .filter((p) => p.startsWith(`live/${environment}/`) && p.endsWith('/terragrunt.hcl'))
    .map((p) => p.replace(/\/terragrunt\.hcl$/, ''))
    .sort(byLayerOrder)) {
    const unit = resolveUnit(tree, dir);
    const name = unit.module ?? '';
    requests.push(...backendRequests(tree, dir, region, facts.account));
    const json = moduleJson(name);
    // platform and app: Kubernetes only (the deploy role's access entry), nothing on AWS.
    if (!Object.keys(json.resource ?? {}).some((type) => type.startsWith('aws_'))) continue;
    // CI deploys with the deploy role: the cluster module's deployer (grant_deployer_admin).
    const module = new ModuleInstances(name, json, DEPLOY_ROLE_CALLS, {
      ...facts,
      deployerArn: String(sharedValues['github_deploy_role_arn']),
    });
    const resources = Object.entries(json.resource ?? {}).flatMap(([type, byName]) =>
      Object.keys(byName).map((resourceName) => ({ type, resourceName })),
    );
    const calls = (type: string) =>
      callsOf(DEPLOY_ROLE_CALLS[type] ?? { arn: () => '*', ...noCalls() }).map(spec);
    const expressions = Object.fromEntries(
      resources.map(({ type, resourceName }) => [
        `${type}__${resourceName}`,
        module.instancesExpression(
          type,
          resourceName,
          calls(type).map((c) => ({
            on: c.on ?? ((r: ResourceInstance) => DEPLOY_ROLE_CALLS[type]?.arn(r) ?? '*'),
            context: c.context ?? (() => ({})),
          })),
        ),
      ]),
    );
    const outputs = Object.fromEntries(
      Object.entries(json.output ?? {}).flatMap(([output, { value }]) => {
        try {
          return [[`output__${output}`, module.hcl(value)]];
        } catch {
          return []; // ids AWS assigns: the dependents' mock outputs stand in for them
        }
      }),
    );
    const values = evaluateExpressions(
      module,
      { ...expressions, ...outputs },
      unitInputs(tree, dir, outputsOf, {
        allowed_account_ids: facts.account, // the one element of root.hcl's [local.account_id]
        tags: ROOT_TAGS,
        // live/_units/cluster.hcl: compact(concat(env.hcl's administrators, [the deploy role])).
        admin_principal_arns: [
          ...(((envLocals['cluster'] as Hcl | undefined)?.['admin_principal_arns'] as
            string[] | undefined) ?? []),
          sharedValues['github_deploy_role_arn'],
        ],
        viewer_principal_arns: [sharedValues['github_plan_role_arn']],
        // live/_units/data.hcl: DECOMMISSION=true only for make destroy; a deploy unsets it.
        decommission: false,
      }),
    );
    outputsOf.set(
      dir,
      Object.fromEntries(
        Object.entries(values)
          .filter(([k]) => k.startsWith('output__'))
          .map(([k, v]) => [k.slice('output__'.length), v]),
      ),
    );
    for (const { type, resourceName } of resources) {
      const instances = values[`${type}__${resourceName}`] as {
        arn: string;
        region: string;
        calls: { on: string; context: Record<string, string> }[];
      }[];
      instances.forEach((instance, index) => {
        calls(type).forEach((call, i) => {
          const evaluated = instance.calls[i];
          requests.push({
            where: `${dir}: ${type}.${resourceName}[${index}]`,
            action: call.action,
            resource: evaluated?.on ?? instance.arn,
            context: {
              'aws:RequestedRegion': call.action.startsWith('iam:') ? IAM_REGION : instance.region,
              ...(evaluated?.context ?? {}),
            },
          });
        });
      });
    }
    for (const type of Object.keys(json.data ?? {})) {
      for (const call of callsOf(
        DEPLOY_ROLE_CALLS[`data.${type}`] ?? { arn: () => '*', ...noCalls() },
      ).map(spec)) {
        // A data source has no ARN of its own; a call may still name what it reads (`on`).
        const dataSource: ResourceInstance = {
          ...facts,
          region,
          attribute: (attribute) => {
            throw new Error(`data.${type}: a data source call reads no attribute (${attribute})`);
          },
        };
        requests.push({
          where: `${dir}: data.${type}`,
          action: call.action,
          resource: call.on ? call.on(dataSource) : '*',
          context: { 'aws:RequestedRegion': region },
        });
      }
    }
  }
  return {
    policy: sharedValues['policy'],
    requests,
    boundaryArn: String(sharedValues['permissions_boundary_arn']),
    ownRoleArns: [
      String(sharedValues['github_deploy_role_arn']),
      String(sharedValues['github_plan_role_arn']),
    ],
  };
}

/** What CI does with the registry as the deploy role: push (ci.yml), add tags (_deploy.yml). */
const IMAGE_CALLS = [
  'ecr:BatchCheckLayerAvailability',
  'ecr:InitiateLayerUpload',
  'ecr:UploadLayerPart',
  'ecr:CompleteLayerUpload',
  'ecr:PutImage',
  'ecr:BatchGetImage',
  'ecr:DescribeImages',
  'ecr:GetAuthorizationToken',
];

const LAYER_ORDER = ['network', 'cluster', 'data', 'edge', 'platform', 'app', 'dns'];
const byLayerOrder = (a: string, b: string) =>
  LAYER_ORDER.indexOf(a.split('/').pop() ?? '') - LAYER_ORDER.indexOf(b.split('/').pop() ?? '');

/** Reading and locking the unit's state (root.hcl's remote_state), as Terragrunt does. */
function backendRequests(tree: LiveTree, dir: string, region: string, account: string): Request[] {
  const root = tree.files.get('root.hcl');
  // root.hcl's account: env.hcl's account_id, or the caller's (get_aws_account_id()).
  const config = evaluate('${local.state_bucket_config}', {
    unitDir: dir,
    locals: { ...localsOf(root), account_id: account },
    tree,
  }) as Hcl;
  const bucket = `arn:${PARTITION}:s3:::${String(config['bucket'])}`;
  const key = `${bucket}/${String(config['key'])}`;
  // root.hcl names the lock table like the bucket, tflock for tfstate (checked below).
  const table = `arn:${PARTITION}:dynamodb:${region}:${account}:table/${String(config['bucket']).replace('-tfstate-', '-tflock-')}`;
  const context = { 'aws:RequestedRegion': region };
  return [
    ...['s3:ListBucket', 's3:GetBucketVersioning'].map((action) => ({ action, resource: bucket })),
    ...['s3:GetObject', 's3:PutObject'].map((action) => ({ action, resource: key })),
    ...['s3:GetObject', 's3:PutObject', 's3:DeleteObject'].map((action) => ({
      action,
      resource: `${key}.tflock`,
    })),
    ...[
      'dynamodb:DescribeTable',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:DeleteItem',
    ].map((action) => ({ action, resource: table })),
  ].map((r) => ({ ...r, where: `${dir}: state (root.hcl)`, context }));
}

describe('the GitHub deploy role can deploy (stacks/test/deploy-role-calls.ts)', function () {
  this.timeout(600_000);
  let tree: LiveTree;
  const evaluated = new Map<string, Evaluated>();

  before(async function () {
    tree = await loadLiveTree(REPOSITORY);
  });

  it('applies exactly the modules of live/<env>/ (CI leaves live/shared to an administrator)', function () {
    const workflow = parseYaml(
      readFileSync(join(REPOSITORY, '.github/workflows/_deploy.yml'), 'utf8'),
    ) as {
      jobs: { deploy: { env: Record<string, string> } };
    };
    expect(workflow.jobs.deploy.env['SKIP_SHARED']).to.equal('1');
    for (const environment of ENVIRONMENTS) {
      const modules = [...tree.files.keys()]
        .filter((p) => p.startsWith(`live/${environment}/`) && p.endsWith('/terragrunt.hcl'))
        .map((p) => resolveUnit(tree, p.replace(/\/terragrunt\.hcl$/, '')).module)
        .sort();
      expect(modules, environment).to.deep.equal([
        'app',
        'cluster',
        'data',
        'dns',
        'edge',
        'network',
        'platform',
      ]);
    }
  });

  it('names the lock table like the state bucket (root.hcl), as the backend calls assume', function () {
    const root = readFileSync(join(REPOSITORY, 'root.hcl'), 'utf8');
    expect(root).to.contain(
      'bucket         = "${local.project}-tfstate-${local.account_id}-${local.region}"',
    );
    expect(root).to.contain(
      'dynamodb_table                 = "${local.project}-tflock-${local.account_id}-${local.region}"',
    );
  });

  it('has a row for every resource type and data source those modules synthesize', function () {
    const missing = LAYER_ORDER.flatMap((name) =>
      new ModuleInstances(name, moduleJson(name), DEPLOY_ROLE_CALLS, {
        partition: PARTITION,
        account: '0',
      })
        .types()
        .filter((type) => type.includes('aws_') && !(type in DEPLOY_ROLE_CALLS))
        .map((type) => `${name}: ${type}`),
    );
    expect(missing, 'types without a row in DEPLOY_ROLE_CALLS').to.deep.equal([]);
  });

  for (const environment of ENVIRONMENTS) {
    it(`allows every call on the ARNs the modules create in ${environment}`, async function () {
      if (!terraformAvailable()) {
        if (process.env['CI']) throw new Error('terraform is required in CI');
        this.skip();
      }
      const result = evaluateEnvironment(tree, environment);
      evaluated.set(environment, result);
      expect(result.requests.length).to.be.greaterThan(300);
      if (environment !== 'development') {
        // The public entry is really evaluated: the names and their validation records.
        expect(
          result.requests.filter((r) => r.action === 'route53:ChangeResourceRecordSets').length,
        ).to.be.greaterThan(5);
      }
      const denied: string[] = [];
      for (const request of result.requests) {
        const decision = await decide(result.policy, request);
        if (decision !== 'Allowed') {
          denied.push(
            `${request.where}: ${request.action} on ${request.resource} ${JSON.stringify(request.context)}: ${decision}`,
          );
        }
      }
      expect(
        denied.length,
        `${denied.length} denied calls:\n${denied.slice(0, 40).join('\n')}`,
      ).to.equal(0);
    });
  }

  it('cannot escalate: no role without the boundary, no boundary removed or changed, no change to its own roles', async function () {
    const production = evaluated.get('production');
    if (!production) this.skip();
    const { policy, boundaryArn, ownRoleArns } = production;
    const account = boundaryArn.split(':')[4] ?? '';
    const projectRole = `arn:aws:iam::${account}:role/payflow-production-anything`;
    const otherBoundary = `arn:aws:iam::${account}:policy/payflow-wide-open`;
    const iam = { 'aws:RequestedRegion': IAM_REGION };
    const attempts: [string, string, Record<string, string>][] = [
      ['iam:CreateRole', projectRole, iam],
      ['iam:CreateRole', projectRole, { ...iam, 'iam:PermissionsBoundary': otherBoundary }],
      [
        'iam:PutRolePermissionsBoundary',
        projectRole,
        { ...iam, 'iam:PermissionsBoundary': otherBoundary },
      ],
      ['iam:PutRolePolicy', projectRole, iam],
      [
        'iam:AttachRolePolicy',
        projectRole,
        { ...iam, 'iam:PolicyARN': 'arn:aws:iam::aws:policy/AdministratorAccess' },
      ],
      [
        'iam:DeleteRolePermissionsBoundary',
        projectRole,
        { ...iam, 'iam:PermissionsBoundary': boundaryArn },
      ],
      ['iam:CreatePolicyVersion', boundaryArn, iam],
      ['iam:SetDefaultPolicyVersion', boundaryArn, iam],
      ['iam:DeletePolicy', boundaryArn, iam],
      ['iam:CreateUser', `arn:aws:iam::${account}:user/payflow-someone`, iam],
      ...ownRoleArns.flatMap((role): [string, string, Record<string, string>][] => [
        ['iam:PutRolePolicy', role, { ...iam, 'iam:PermissionsBoundary': boundaryArn }],
        ['iam:AttachRolePolicy', role, { ...iam, 'iam:PermissionsBoundary': boundaryArn }],
        ['iam:UpdateAssumeRolePolicy', role, iam],
        ['iam:DeleteRolePermissionsBoundary', role, iam],
      ]),
    ];
    const allowed: string[] = [];
    for (const [action, resource, context] of attempts) {
      const decision = await decide(policy, { where: 'escalation', action, resource, context });
      if (decision === 'Allowed')
        allowed.push(`${action} on ${resource} ${JSON.stringify(context)}`);
      expect(decision, `${action} on ${resource}`).to.not.match(/^invalid/);
    }
    expect(allowed, 'escalations the policy allows').to.deep.equal([]);
    // …while the same calls within the boundary are allowed (the attempts above are not denied by accident).
    expect(
      await decide(policy, {
        where: 'within the boundary',
        action: 'iam:CreateRole',
        resource: projectRole,
        context: { ...iam, 'iam:PermissionsBoundary': boundaryArn },
      }),
    ).to.equal('Allowed');
  });

  it("changes in Route 53 only the public names and their certificate's validation records, never the zone's other records", async function () {
    const production = evaluated.get('production');
    if (!production) this.skip();
    const change = (name: string, type: string, extra: Record<string, string> = {}) =>
      decide(production.policy, {
        where: 'route53',
        action: 'route53:ChangeResourceRecordSets',
        resource: 'arn:aws:route53:::hostedzone/Z0123456789ABCDEFGHIJ',
        context: {
          'route53:ChangeResourceRecordSetsNormalizedRecordNames': name,
          'route53:ChangeResourceRecordSetsRecordTypes': type,
          'route53:ChangeResourceRecordSetsActions': 'UPSERT',
          ...extra,
        },
      });
    expect(await change('api.example.com', 'A')).to.equal('Allowed');
    expect(await change('grafana.staging.example.com', 'A')).to.equal('Allowed');
    expect(await change('_0a1b2c3d.api.example.com', 'CNAME')).to.equal('Allowed');
    for (const [name, type] of [
      ['example.com', 'A'],
      ['example.com', 'MX'],
      ['www.example.com', 'CNAME'],
      ['api.example.com', 'TXT'],
      ['mail.example.com', 'A'],
    ] as const) {
      expect(await change(name, type), `${type} ${name}`).to.not.equal('Allowed');
    }
    // Without Route 53's context (no record names at all) nothing passes.
    const bare = await decide(production.policy, {
      where: 'route53',
      action: 'route53:ChangeResourceRecordSets',
      resource: 'arn:aws:route53:::hostedzone/Z0123456789ABCDEFGHIJ',
      context: {},
    });
    expect(bare).to.not.equal('Allowed');
  });

  it('leaves every role of the modules the actions of its own policies (the boundary breaks none)', function () {
    const modules = loadAwsModules(join(REPOSITORY, 'modules')).filter((m) => m.name !== 'shared');
    const glob = (pattern: string) =>
      new RegExp(
        `^${pattern
          .split('*')
          .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
          .join('.*')}$`,
      );
    const bounded = (action: string) =>
      PROJECT_ROLE_BOUNDARY_ACTIONS.some((allowed) => glob(allowed).test(action));
    const outside = policyDocuments(modules)
      .filter((d) => d.kind === 'identity')
      .flatMap((d) =>
        (d.statements ?? [])
          .filter((st) => st.effect === 'Allow')
          .flatMap((st) => (typeof st.actions === 'string' ? [st.actions] : st.actions))
          .filter((action) => !bounded(action))
          .map((action) => `${d.address}: ${action}`),
      );
    expect(outside, 'actions the boundary would deny').to.deep.equal([]);
    // AWS managed policies: their services are in the boundary (permissions-boundary.ts);
    // attaching another one needs a look at the boundary first.
    const managed = resources(modules, 'aws_iam_role_policy_attachment')
      .map((a) => String(a.body['policy_arn']).replace(/^.*:policy\//, ''))
      .sort();
    expect([...new Set(managed)]).to.deep.equal([
      'AmazonEC2ContainerRegistryReadOnly',
      'AmazonEKSClusterPolicy',
      'AmazonEKSWorkerNodePolicy',
      'AmazonEKS_CNI_Policy',
      'AmazonSSMManagedInstanceCore',
      'service-role/AmazonEBSCSIDriverPolicy',
      'service-role/AmazonRDSEnhancedMonitoringRole',
    ]);
  });
});
