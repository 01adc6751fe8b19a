// The Terragrunt live tree against the synthesized modules (issue 6): every rule of
// live-contract.ts holds on the repository, and every rule is shown to fail on a broken copy.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { AWS_REGION_PATTERN, ENVIRONMENTS } from '../../stacks/lib/module-stack';
import { readSettings } from '../environment-settings';
import {
  type ContractSpec,
  type Hcl,
  type LiveTree,
  type ProductionRule,
  type Violation,
  buildLiveTree,
  checkContract,
  cloneTree,
  firstBlock,
  labelledBlocks,
  MERGED_SECTIONS,
  loadLiveTree,
  localsOf,
  resolveUnit,
  rules,
  unitDirs,
} from './live-contract';

const repoRoot = join(__dirname, '..', '..');
const num = (value: unknown): number => (typeof value === 'number' ? value : Number.NaN);
const longerThanDevelopment = (production: unknown, development: unknown): boolean =>
  num(production) > num(development);

const productionRules: ProductionRule[] = [
  {
    description: '3 availability zones',
    layer: 'network',
    variable: 'azs',
    holds: (p) => Array.isArray(p) && p.length === 3,
  },
  {
    description: 'one NAT gateway per AZ',
    layer: 'network',
    variable: 'single_nat_gateway',
    holds: (p) => p === false,
  },
  {
    description: 'flow logs kept longer than in development',
    layer: 'network',
    variable: 'flow_log_retention_days',
    holds: longerThanDevelopment,
  },
  { description: 'Multi-AZ RDS', layer: 'data', variable: 'db_multi_az', holds: (p) => p === true },
  {
    description: 'RDS deletion protection',
    layer: 'data',
    variable: 'db_deletion_protection',
    holds: (p) => p === true,
  },
  {
    description: 'a final snapshot before deletion',
    layer: 'data',
    variable: 'db_skip_final_snapshot',
    holds: (p) => p === false,
  },
  {
    description: 'backups of at least 7 days, longer than development',
    layer: 'data',
    variable: 'db_backup_retention_days',
    holds: (p, d) => num(p) >= 7 && longerThanDevelopment(p, d),
  },
  {
    description: 'RDS backups replicated to a second region',
    layer: 'data',
    variable: 'db_backup_replication_region',
    holds: (p) => typeof p === 'string' && new RegExp(AWS_REGION_PATTERN).test(p),
  },
  {
    description: 'Redis automatic failover',
    layer: 'data',
    variable: 'redis_automatic_failover',
    holds: (p) => p === true,
  },
  {
    description: 'Redis Multi-AZ',
    layer: 'data',
    variable: 'redis_multi_az',
    holds: (p) => p === true,
  },
  {
    description: 'at least 2 Redis replicas',
    layer: 'data',
    variable: 'redis_replica_count',
    holds: (p) => num(p) >= 2,
  },
  {
    description: 'logs kept longer than in development',
    layer: 'data',
    variable: 'log_retention_days',
    holds: longerThanDevelopment,
  },
  {
    description: 'Loki retention longer than in development',
    layer: 'data',
    variable: 'loki_retention_days',
    holds: longerThanDevelopment,
  },
  {
    description: 'telemetry buckets never force-destroyed',
    layer: 'data',
    variable: 'buckets_force_destroy',
    holds: (p) => p === false,
  },
  {
    description: 'the API over HTTPS: a DNS zone for its name and certificate',
    layer: 'edge',
    variable: 'dns_zone',
    holds: (p) => typeof p === 'string' && p !== '',
  },
  {
    description: 'AWS WAF in front of the load balancer',
    layer: 'edge',
    variable: 'waf',
    holds: (p) => p === true,
  },
  {
    description: 'load balancer deletion protection',
    layer: 'edge',
    variable: 'deletion_protection',
    holds: (p) => p === true,
  },
  {
    description: 'load balancer access logs kept a year',
    layer: 'edge',
    variable: 'access_log_days',
    holds: (p) => num(p) >= 365,
  },
  {
    description: 'Grafana off the internet',
    layer: 'platform',
    variable: 'grafana_public',
    holds: (p) => p === false,
  },
  {
    description: 'API pods spread over zones, strictly',
    layer: 'app',
    variable: 'zone_spread_policy',
    holds: (p) => p === 'DoNotSchedule',
  },
  {
    description: 'at least 2 API pods',
    layer: 'app',
    variable: 'min_replicas',
    holds: (p) => num(p) >= 2,
  },
];

const spec: ContractSpec = {
  environments: [...ENVIRONMENTS],
  layers: ['network', 'cluster', 'data', 'edge', 'platform', 'app', 'dns'],
  accountUnits: ['shared/global'],
  // The Kubernetes layers share their cluster connection and load balancer settings
  // (dependency "cluster", dependency "edge" and their inputs).
  layerIncludes: {
    platform: {
      cluster: 'live/_units/_cluster-dependency.hcl',
      edge: 'live/_units/_edge-dependency.hcl',
    },
    app: {
      cluster: 'live/_units/_cluster-dependency.hcl',
      edge: 'live/_units/_edge-dependency.hcl',
    },
  },
  productionRules,
  // The GitHub deploy role (modules/shared) uses KMS and RDS only in region + additional_regions.
  regionGrants: [
    {
      layer: 'data',
      variable: 'db_backup_replication_region',
      accountUnit: 'shared/global',
      grantedBy: 'additional_regions',
    },
  ],
  production: 'production',
  development: 'development',
};

const describeViolations = (violations: Violation[]): string =>
  violations.map((v) => `  [${v.rule}] ${v.unit}: ${v.message}`).join('\n');

function file(tree: LiveTree, path: string): Hcl {
  const found = tree.files.get(path);
  if (!found) throw new Error(`${path} is not in the tree`);
  return found;
}

/** The (single) object of `block "label" {}` in a parsed file. */
function block(tree: LiveTree, path: string, type: string, label: string): Hcl {
  const found = labelledBlocks(file(tree, path), type).get(label);
  if (!found) throw new Error(`${path} has no ${type} "${label}"`);
  return found;
}

function locals(tree: LiveTree, path: string): Hcl {
  const found = ((file(tree, path).locals as Hcl[] | undefined) ?? [])[0];
  if (!found) throw new Error(`${path} has no locals block`);
  return found;
}

function inputs(tree: LiveTree, path: string): Hcl {
  const parsed = file(tree, path);
  parsed.inputs ??= {};
  return parsed.inputs as Hcl;
}

describe('Terragrunt live tree (live/, root.hcl) against modules/', function () {
  let tree: LiveTree;

  before(async function () {
    tree = await loadLiveTree(repoRoot);
  });

  describe('the repository satisfies every rule', function () {
    for (const name of Object.keys(rules)) {
      it(name, function () {
        const rule = rules[name];
        if (!rule) throw new Error(name);
        const violations = rule(tree, spec);
        expect(violations, `\n${describeViolations(violations)}`).to.deep.equal([]);
      });
    }

    it('covers 3 environments x 7 layers plus the account-wide unit', function () {
      expect(unitDirs(tree)).to.have.length(22);
      expect(unitDirs(tree)).to.include('live/shared/global');
    });

    for (const shared of [
      {
        what: 'cluster connection',
        dependency: 'cluster',
        from: 'live/_units/_cluster-dependency.hcl',
        inputs: ['cluster_name', 'cluster_endpoint', 'cluster_certificate_authority_data'],
      },
      {
        what: 'load balancer settings',
        dependency: 'edge',
        from: 'live/_units/_edge-dependency.hcl',
        inputs: [
          'api_hostname',
          'certificate_arn',
          'tls_policy',
          'load_balancer_attributes',
          'web_acl_arn',
        ],
      },
    ]) {
      it(`the platform and app layers take their ${shared.what} from one shared file`, function () {
        for (const environment of spec.environments) {
          for (const layer of ['platform', 'app']) {
            const unit = resolveUnit(tree, `live/${environment}/${layer}`);
            expect(unit.dependencies.get(shared.dependency)?.target).to.equal(
              `live/${environment}/${shared.dependency}`,
            );
            for (const input of shared.inputs) {
              expect(unit.inputs.get(input), `${layer} ${input}`).to.deep.include({
                from: shared.from,
              });
            }
          }
        }
      });
    }

    it('units are tiny: an environment unit only includes (root.hcl, its layer file, shared wiring)', function () {
      for (const dir of unitDirs(tree).filter((d) => !d.startsWith('live/shared/'))) {
        const unit = file(tree, `${dir}/terragrunt.hcl`);
        expect(Object.keys(unit), dir).to.deep.equal(['include']);
      }
    });

    it('the app takes its image tag from IMAGE_TAG, by default the commit make deploy pushes', function () {
      // CI passes the SHA it pushed; without IMAGE_TAG, the same `git rev-parse` as
      // push_image in live/environment.sh, so a hand-run Terragrunt deploys that image.
      const imageTag = String(inputs(tree, 'live/_units/app.hcl').image_tag);
      const match =
        /^\$\{get_env\("IMAGE_TAG", trimspace\(run_cmd\("--terragrunt-quiet", ((?:"[^"]+"(?:, )?)+)\)\)\)\}$/.exec(
          imageTag,
        );
      expect(match, `image_tag = ${imageTag}`).to.not.equal(null);
      const defaultCommand = [...(match?.[1] ?? '').matchAll(/"([^"]+)"/g)].map((m) => m[1]);
      expect(defaultCommand).to.deep.equal(['git', 'rev-parse', 'HEAD']);
      const script = readFileSync(join(repoRoot, 'live', 'environment.sh'), 'utf8');
      const pushImage = /^push_image\(\) \{[\s\S]*?^\}/m.exec(script)?.[0] ?? '';
      expect(pushImage).to.match(/tag="\$\(git -C "\$repo_root" rev-parse HEAD\)"/);
      expect(imageTag).to.not.include('latest');
    });

    it('the dependency graph is network <- cluster <- data <- edge <- platform <- app <- dns, shared beside (permissions boundary, roles, registry)', function () {
      const graph = Object.fromEntries(
        spec.layers.map((layer) => [
          layer,
          [...resolveUnit(tree, `live/production/${layer}`).dependencies.values()]
            .map((d) => d.target?.replace(/^live\/(production\/)?/, ''))
            .sort(),
        ]),
      );
      expect(graph).to.deep.equal({
        network: ['shared/global'],
        cluster: ['network', 'shared/global'],
        data: ['cluster', 'network', 'shared/global'],
        // Order only (dependencies block): the edge needs nothing of the data layer.
        edge: ['data'],
        platform: ['cluster', 'data', 'edge', 'network'],
        app: ['cluster', 'data', 'edge', 'network', 'platform', 'shared/global'],
        // After the app (order only): its Ingress makes the load balancer the names point to.
        dns: ['app', 'cluster', 'edge', 'platform'],
      });
    });

    it('the app takes the data subnet CIDRs from the network output, not from a copy of its address plan', function () {
      // The rule "every dependency output exists and is mocked" checks the output and its mock.
      expect(inputs(tree, 'live/_units/app.hcl').data_subnet_cidr_blocks).to.equal(
        '${dependency.network.outputs.data_subnet_cidr_blocks}',
      );
    });

    it('the app admits on its port only the public subnets (ALB), from the network output', function () {
      const app = inputs(tree, 'live/_units/app.hcl');
      expect(app.public_subnet_cidr_blocks).to.equal(
        '${dependency.network.outputs.public_subnet_cidr_blocks}',
      );
      expect(app, 'the whole VPC range (every pod) is no longer admitted').not.to.have.property(
        'vpc_cidr_block',
      );
    });

    it('the app sizing (replicas, CPU and memory) and telemetry settings come from every env.hcl', function () {
      for (const environment of spec.environments) {
        const app = resolveUnit(tree, `live/${environment}/app`).inputs;
        const env = locals(tree, `live/${environment}/env.hcl`).app as Hcl;
        for (const name of [
          'min_replicas',
          'max_replicas',
          'log_level',
          'trace_sample_ratio',
          'cpu_request',
          'memory_request',
          'cpu_limit',
          'memory_limit',
        ]) {
          expect(app.get(name), `${environment} ${name}`).to.deep.equal({
            value: env[name],
            from: 'live/_units/app.hcl (local.env.app)',
          });
        }
      }
    });

    it('env.hcl sections named after module inputs are passed whole, with merge()', function () {
      const merged = (layer: string): unknown =>
        file(tree, `live/_units/${layer}.hcl`)[MERGED_SECTIONS];
      expect(merged('network')).to.deep.equal(['${local.env.network}']);
      expect(merged('data')).to.deep.equal([
        '${local.env.database}',
        '${local.env.redis}',
        '${local.env.alarms}',
      ]);
      expect(merged('edge')).to.deep.equal(['${local.env.load_balancer}']);
      expect(merged('platform')).to.deep.equal(['${local.env.monitoring}']);
      expect(merged('app')).to.deep.equal(['${local.env.app}']);
      const data = resolveUnit(tree, 'live/production/data').inputs;
      expect(data.get('redis_replica_count')).to.deep.equal({
        value: 2,
        from: 'live/_units/data.hcl (local.env.redis)',
      });
      expect(data.get('vpc_id')?.from).to.equal('live/_units/data.hcl');
    });

    it('every environment runs at least 2 API pods (a single pod and its PDB block node drains)', function () {
      // NaN (a missing or unevaluated value) counts as below.
      const below = (t: LiveTree): string[] =>
        spec.environments.filter(
          (e) => !(num(resolveUnit(t, `live/${e}/app`).inputs.get('min_replicas')?.value) >= 2),
        );
      expect(below(tree)).to.deep.equal([]);
      const broken = cloneTree(tree);
      (locals(broken, 'live/development/env.hcl').app as Hcl).min_replicas = 1;
      expect(below(broken)).to.deep.equal(['development']);
    });

    it('the data layer is decommissioned only by DECOMMISSION=true, never by default', function () {
      expect(inputs(tree, 'live/_units/data.hcl').decommission).to.equal(
        '${get_env("DECOMMISSION", "false") == "true"}',
      );
      for (const environment of spec.environments) {
        expect(
          file(tree, `live/${environment}/data/terragrunt.hcl`),
          `live/${environment}/data sets nothing itself`,
        ).not.to.have.property('inputs');
      }
    });

    it('development can be destroyed and redeployed at once: no secret recovery window, no final snapshot', function () {
      const development = resolveUnit(tree, 'live/development/data').inputs;
      expect(development.get('secret_recovery_window_days')?.value).to.equal(0);
      expect(development.get('db_skip_final_snapshot')?.value).to.equal(true);
      expect(development.get('buckets_force_destroy')?.value).to.equal(true);
    });

    it('no unit has a terraform block but its layer file (root.hcl has none)', function () {
      expect(firstBlock(file(tree, 'root.hcl'), 'terraform')).to.equal(undefined);
    });

    it('make destroy sets DECOMMISSION=true, the switch the data unit reads; make deploy unsets it', function () {
      expect(String(inputs(tree, 'live/_units/data.hcl').decommission)).to.include(
        'get_env("DECOMMISSION"',
      );
      const script = readFileSync(join(repoRoot, 'live', 'environment.sh'), 'utf8');
      const destroy = /^destroy\(\) \{[\s\S]*?^\}/m.exec(script)?.[0] ?? '';
      const deploy = /^deploy\(\) \{[\s\S]*?^\}/m.exec(script)?.[0] ?? '';
      expect(destroy).to.include('export DECOMMISSION=true');
      expect(deploy).to.include('unset DECOMMISSION');
    });

    it('the DynamoDB lock table is behind the one PAYFLOW_STATE_DYNAMODB_LOCK switch', function () {
      const rootLocals = localsOf(file(tree, 'root.hcl'));
      expect(rootLocals.dynamodb_lock).to.equal(
        '${get_env("PAYFLOW_STATE_DYNAMODB_LOCK", "true") == "true"}',
      );
      expect(String(rootLocals.state_lock_table_config)).to.match(/^\$\{local\.dynamodb_lock \?/);
      expect(JSON.stringify(rootLocals.state_bucket_config)).not.to.include('dynamodb');
    });

    it('live/environment.sh reads every environment through the HCL parser, pinned account or not', async function () {
      for (const environment of spec.environments) {
        const settings = await readSettings(repoRoot, environment);
        expect(settings.get('env.environment'), environment).to.equal(environment);
        expect(settings.get('env.region'), environment).to.match(/^[a-z]{2}-[a-z]+-\d$/);
        // An account_id, when present, pins the account (root.hcl falls back on the caller's).
        const account = settings.get('env.account_id');
        if (account !== undefined) expect(account, environment).to.match(/^\d{12}$/);
      }
      // A laptop deploy of development needs no account id, and root.hcl reads the caller's then.
      expect((await readSettings(repoRoot, spec.development)).has('env.account_id')).to.equal(
        false,
      );
      expect(localsOf(file(tree, 'root.hcl')).account_id).to.equal(
        '${try(local.scope.locals.account_id, get_aws_account_id())}',
      );
    });
  });

  describe('every rule catches a broken tree', function () {
    const breaks: { rule: string; what: string; expect: RegExp; mutate: (t: LiveTree) => void }[] =
      [
        {
          rule: 'every environment has every layer',
          what: 'a missing unit',
          expect: /live\/staging\/cluster\/terragrunt.hcl is missing/,
          mutate: (t) => t.files.delete('live/staging/cluster/terragrunt.hcl'),
        },
        {
          rule: 'every environment has every layer',
          what: 'a unit including another layer’s file',
          expect: /does not include live\/_units\/data.hcl/,
          mutate: (t) => {
            block(t, 'live/staging/data/terragrunt.hcl', 'include', 'layer').path =
              '${dirname(find_in_parent_folders("root.hcl"))}/live/_units/cluster.hcl';
          },
        },
        {
          rule: 'every environment has every layer',
          what: 'a Kubernetes layer without the shared cluster connection',
          expect:
            /live\/production\/app: does not include live\/_units\/_cluster-dependency.hcl as include "cluster"/,
          mutate: (t) => {
            delete (file(t, 'live/production/app/terragrunt.hcl').include as Hcl).cluster;
          },
        },
        {
          rule: 'every environment has every layer',
          what: 'a Kubernetes layer without the shared load balancer settings',
          expect:
            /live\/staging\/platform: does not include live\/_units\/_edge-dependency.hcl as include "edge"/,
          mutate: (t) => {
            delete (file(t, 'live/staging/platform/terragrunt.hcl').include as Hcl).edge;
          },
        },
        {
          rule: 'every dependency output exists and is mocked',
          what: 'the shared load balancer settings without the mock a layer reads',
          expect:
            /live\/development\/platform: dependency.edge.outputs.grafana_hostname: no mock output/,
          mutate: (t) => {
            delete (
              block(t, 'live/_units/_edge-dependency.hcl', 'dependency', 'edge').mock_outputs as Hcl
            ).grafana_hostname;
          },
        },
        {
          rule: 'every dependency output exists and is mocked',
          what: 'the shared cluster connection without the mock a layer reads',
          expect:
            /live\/staging\/platform: dependency.cluster.outputs.cluster_version: no mock output/,
          mutate: (t) => {
            delete (
              block(t, 'live/_units/_cluster-dependency.hcl', 'dependency', 'cluster')
                .mock_outputs as Hcl
            ).cluster_version;
          },
        },
        {
          rule: 'source module exists',
          what: 'a misspelt module',
          expect: /modules\/netwrk\/main.tf.json does not exist/,
          mutate: (t) => {
            (firstBlock(file(t, 'live/_units/network.hcl'), 'terraform') as Hcl).source =
              '${get_repo_root()}/modules/netwrk';
          },
        },
        {
          rule: 'source module exists',
          what: 'the whole repository copied into the cache ("//")',
          expect: /is not "\$\{get_repo_root\(\)\}\/modules\/<name>"/,
          mutate: (t) => {
            (firstBlock(file(t, 'live/_units/app.hcl'), 'terraform') as Hcl).source =
              '${get_repo_root()}//modules/app';
          },
        },
        {
          rule: 'source module exists',
          what: 'a relative source (breaks in the Terragrunt cache)',
          expect: /is not "\$\{get_repo_root\(\)\}\/modules\/<name>"/,
          mutate: (t) => {
            (firstBlock(file(t, 'live/_units/data.hcl'), 'terraform') as Hcl).source =
              '../../../modules/data';
          },
        },
        {
          rule: 'every input is a module variable',
          what: 'an input the module does not declare',
          expect:
            /input "vpc_cidrr" \(live\/_units\/network.hcl\) is not a variable of modules\/network/,
          mutate: (t) => {
            inputs(t, 'live/_units/network.hcl').vpc_cidrr = '10.0.0.0/16';
          },
        },
        {
          rule: 'every input is a module variable',
          what: 'a root input no module declares',
          expect: /root.hcl input "regoin" is declared by no module/,
          mutate: (t) => {
            inputs(t, 'root.hcl').regoin = 'eu-west-3';
          },
        },
        {
          rule: 'every input is a module variable',
          what: 'a misspelt key in an env.hcl section passed whole',
          expect:
            /input "redis_replicas_count" \(live\/_units\/data.hcl \(local.env.redis\)\) is not a variable of modules\/data/,
          mutate: (t) => {
            const redis = locals(t, 'live/staging/env.hcl').redis as Hcl;
            redis.redis_replicas_count = redis.redis_replica_count;
            delete redis.redis_replica_count;
          },
        },
        {
          rule: 'every input is a module variable',
          what: 'an env.hcl section key that is no input of the module',
          expect:
            /live\/development\/network: input "flow_log_days" \(live\/_units\/network.hcl \(local.env.network\)\) is not a variable of modules\/network/,
          mutate: (t) => {
            (locals(t, 'live/development/env.hcl').network as Hcl).flow_log_days = 7;
          },
        },
        {
          rule: 'every required variable is given',
          what: 'a required variable left out of an env.hcl section passed whole',
          expect:
            /live\/production\/network: required variable "vpc_cidr" of modules\/network is not given/,
          mutate: (t) => {
            delete (locals(t, 'live/production/env.hcl').network as Hcl).vpc_cidr;
          },
        },
        {
          rule: 'every merged section is an object',
          what: 'a misspelt section name in merge()',
          expect:
            /live\/staging\/data: inputs \(live\/_units\/data.hcl\): local.env.databse is not an object/,
          mutate: (t) => {
            (file(t, 'live/_units/data.hcl')[MERGED_SECTIONS] as string[])[0] =
              '${local.env.databse}';
          },
        },
        {
          rule: 'every merged section is an object',
          what: 'inputs in a form the checker does not read key by key',
          expect:
            /live\/production\/network: inputs \(live\/_units\/network.hcl\): merge\(\{ vpc_cidr = "10.0.0.0\/16" \}, local.env.network\) is not an object/,
          mutate: (t) => {
            file(t, 'live/_units/network.hcl').inputs =
              '${merge({ vpc_cidr = "10.0.0.0/16" }, local.env.network)}';
          },
        },
        {
          rule: 'every required variable is given',
          what: 'a required variable left out',
          expect: /required variable "permissions_boundary_arn" of modules\/network is not given/,
          mutate: (t) => {
            delete inputs(t, 'live/_units/network.hcl').permissions_boundary_arn;
          },
        },
        {
          rule: 'every dependency path exists',
          what: 'a dependency pointing nowhere',
          expect: /dependency "network" points to .*netwrk/,
          mutate: (t) => {
            block(t, 'live/_units/data.hcl', 'dependency', 'network').config_path =
              '${get_terragrunt_dir()}/../netwrk';
          },
        },
        {
          rule: 'every dependency output exists and is mocked',
          what: 'an output the dependency does not have',
          expect: /dependency.network.outputs.vpc_idd: modules\/network has no output "vpc_idd"/,
          mutate: (t) => {
            inputs(t, 'live/_units/data.hcl').vpc_id = '${dependency.network.outputs.vpc_idd}';
          },
        },
        {
          rule: 'every dependency output exists and is mocked',
          what: 'an output without a mock',
          expect: /dependency.network.outputs.data_subnet_ids: no mock output "data_subnet_ids"/,
          mutate: (t) => {
            delete (block(t, 'live/_units/data.hcl', 'dependency', 'network').mock_outputs as Hcl)
              .data_subnet_ids;
          },
        },
        {
          rule: 'every dependency output exists and is mocked',
          what: 'a reference to an undeclared dependency',
          expect: /dependency.vpc.outputs.vpc_id: no dependency "vpc"/,
          mutate: (t) => {
            inputs(t, 'live/_units/data.hcl').vpc_id = '${dependency.vpc.outputs.vpc_id}';
          },
        },
        {
          rule: 'mock outputs only for init, validate and plan',
          what: 'mocks allowed for apply',
          expect: /allows mock outputs for "apply"/,
          mutate: (t) => {
            block(
              t,
              'live/_units/cluster.hcl',
              'dependency',
              'network',
            ).mock_outputs_allowed_terraform_commands = ['plan', 'apply'];
          },
        },
        {
          rule: 'mock outputs only for init, validate and plan',
          what: 'mocks without a command list',
          expect: /without mock_outputs_allowed_terraform_commands/,
          mutate: (t) => {
            delete block(t, 'live/_units/cluster.hcl', 'dependency', 'network')
              .mock_outputs_allowed_terraform_commands;
          },
        },
        {
          rule: 'dependency graph is acyclic',
          what: 'network depending on app',
          expect: /dependency cycle: network -> app -> .*network/,
          mutate: (t) => {
            const network = file(t, 'live/_units/network.hcl');
            network.dependency = { app: [{ config_path: '${get_terragrunt_dir()}/../app' }] };
          },
        },
        {
          rule: 'dependency graph is the same in every environment',
          what: 'an extra dependency in one environment',
          expect: /live\/staging: dependencies .*network->data/,
          mutate: (t) => {
            file(t, 'live/staging/network/terragrunt.hcl').dependency = {
              data: [{ config_path: '${get_terragrunt_dir()}/../data' }],
            };
          },
        },
        {
          rule: 'every second region of an environment is granted to the deploy role',
          what: 'production replicating its backups to a region the deploy role is not granted',
          expect:
            /live\/production\/data: db_backup_replication_region = "eu-central-1" is not in live\/shared\/global's additional_regions/,
          mutate: (t) => {
            (locals(t, 'live/production/env.hcl').database as Hcl).db_backup_replication_region =
              'eu-central-1';
          },
        },
        {
          rule: 'every second region of an environment is granted to the deploy role',
          what: 'the backup region removed from the account’s additional_regions',
          expect:
            /live\/production\/data: db_backup_replication_region = "eu-west-1" is not in live\/shared\/global's additional_regions \(\[\]\)/,
          mutate: (t) => {
            locals(t, 'live/shared/account.hcl').additional_regions = [];
          },
        },
        {
          rule: 'every second region of an environment is granted to the deploy role',
          what: 'the shared unit not passing additional_regions to the module',
          expect: /db_backup_replication_region = "eu-west-1" is not in .*additional_regions/,
          mutate: (t) => {
            delete inputs(t, 'live/shared/global/terragrunt.hcl').additional_regions;
          },
        },
        {
          rule: 'state bucket is hardened',
          what: 'a missing remote_state',
          expect: /no remote_state block/,
          mutate: (t) => {
            delete file(t, 'root.hcl').remote_state;
          },
        },
        {
          rule: 'state bucket is hardened',
          what: 'a backend file Terragrunt may overwrite even when hand-written',
          expect: /if_exists = "overwrite_terragrunt"/,
          mutate: (t) => {
            ((firstBlock(file(t, 'root.hcl'), 'remote_state') as Hcl).generate as Hcl).if_exists =
              'overwrite';
          },
        },
        {
          rule: 'state bucket is hardened',
          what: 'one state file shared by every unit',
          expect: /path_relative_to_include/,
          mutate: (t) => {
            (locals(t, 'root.hcl').state_bucket_config as Hcl).key = 'terraform.tfstate';
          },
        },
        {
          rule: 'state bucket is hardened',
          what: 'the version constraints removed',
          expect: /version_constraint/,
          mutate: (t) => {
            delete file(t, 'root.hcl').terragrunt_version_constraint;
          },
        },
      ];
    const hardening: [string, unknown][] = [
      ['encrypt', false],
      ['use_lockfile', false],
      ['skip_bucket_versioning', true],
      ['skip_bucket_ssencryption', true],
      ['skip_bucket_enforced_tls', true],
      ['skip_bucket_public_access_blocking', true],
      ['skip_bucket_root_access', true],
    ];
    for (const [key, bad] of hardening) {
      breaks.push({
        rule: 'state bucket is hardened',
        what: `${key} = ${String(bad)}`,
        expect: new RegExp(`state_bucket_config.${key} must be`),
        mutate: (t) => {
          (locals(t, 'root.hcl').state_bucket_config as Hcl)[key] = bad;
        },
      });
    }
    // Each production rule, broken through production's env.hcl (data) as a person would.
    const productionBreaks: [string, (env: Hcl) => void][] = [
      ['azs', (env) => ((env.network as Hcl).azs = ['eu-west-3a', 'eu-west-3b'])],
      ['single_nat_gateway', (env) => ((env.network as Hcl).single_nat_gateway = true)],
      ['flow_log_retention_days', (env) => ((env.retention as Hcl).log_days = 7)],
      ['db_multi_az', (env) => ((env.database as Hcl).db_multi_az = false)],
      ['db_deletion_protection', (env) => ((env.database as Hcl).db_deletion_protection = false)],
      ['db_skip_final_snapshot', (env) => ((env.database as Hcl).db_skip_final_snapshot = true)],
      ['db_backup_retention_days', (env) => ((env.database as Hcl).db_backup_retention_days = 1)],
      [
        'db_backup_replication_region',
        (env) => ((env.database as Hcl).db_backup_replication_region = ''),
      ],
      ['redis_automatic_failover', (env) => ((env.redis as Hcl).redis_automatic_failover = false)],
      ['redis_multi_az', (env) => ((env.redis as Hcl).redis_multi_az = false)],
      ['redis_replica_count', (env) => ((env.redis as Hcl).redis_replica_count = 1)],
      ['log_retention_days', (env) => ((env.retention as Hcl).log_days = 7)],
      ['loki_retention_days', (env) => ((env.retention as Hcl).loki_days = 7)],
      ['zone_spread_policy', (env) => ((env.app as Hcl).zone_spread_policy = 'ScheduleAnyway')],
      ['min_replicas', (env) => ((env.app as Hcl).min_replicas = 1)],
      ['buckets_force_destroy', (env) => ((env.retention as Hcl).buckets_force_destroy = true)],
      ['dns_zone', (env) => ((env.dns as Hcl).zone = '')],
      ['waf', (env) => ((env.load_balancer as Hcl).waf = false)],
      ['deletion_protection', (env) => ((env.load_balancer as Hcl).deletion_protection = false)],
      ['access_log_days', (env) => ((env.load_balancer as Hcl).access_log_days = 30)],
      ['grafana_public', (env) => ((env.grafana as Hcl).public = true)],
    ];
    for (const [variable, mutateEnv] of productionBreaks) {
      breaks.push({
        rule: 'production satisfies the production rules',
        what: `production ${variable}`,
        expect: new RegExp(`: ${variable} = `),
        mutate: (t) => mutateEnv(locals(t, 'live/production/env.hcl')),
      });
    }

    it('has a broken case for every rule and every production rule', function () {
      expect(new Set(breaks.map((b) => b.rule))).to.deep.equal(new Set(Object.keys(rules)));
      const broken = new Set(
        breaks
          .filter((b) => b.rule.startsWith('production'))
          .map((b) => b.what.replace('production ', '')),
      );
      expect([...broken].sort()).to.deep.equal(productionRules.map((r) => r.variable).sort());
    });

    for (const broken of breaks) {
      it(`${broken.rule}: catches ${broken.what}`, function () {
        const copy = cloneTree(tree);
        broken.mutate(copy);
        const rule = rules[broken.rule];
        if (!rule) throw new Error(broken.rule);
        const report = (t: LiveTree): string =>
          rule(t, spec)
            .map((v) => `${v.unit}: ${v.message}`)
            .join('\n');
        expect(report(copy)).to.match(broken.expect);
        expect(report(tree), 'the unbroken tree does not have this violation').not.to.match(
          broken.expect,
        );
      });
    }
  });

  describe('HCL formatting (what terragrunt hcl fmt --check enforces in CI)', function () {
    const terraform = spawnSync('terraform', ['version'], { encoding: 'utf8' });
    for (const path of ['root.hcl', ...hclFiles()]) {
      it(`${path} is formatted`, function () {
        if (terraform.status !== 0) {
          if (process.env.CI)
            throw new Error('terraform is required in CI to check HCL formatting');
          console.warn('  !!! terraform not found: HCL formatting NOT checked');
          this.skip();
        }
        // terraform fmt and terragrunt hcl fmt share HashiCorp's hclwrite formatter.
        const result = spawnSync('terraform', ['fmt', '-check', '-diff', '-'], {
          input: readFileSync(join(repoRoot, path), 'utf8'),
          encoding: 'utf8',
        });
        expect(result.status, result.stdout).to.equal(0);
      });
    }
  });
});

function hclFiles(): string[] {
  const found = spawnSync('find', ['live', '-name', '*.hcl'], { cwd: repoRoot, encoding: 'utf8' });
  return found.stdout.split('\n').filter(Boolean).sort();
}

describe('live-contract engine on its own fixture', function () {
  // Two layers a <- b in environments dev and prod; module b needs a's output "id".
  const fixture = new Map<string, string>([
    [
      'root.hcl',
      'inputs = {\n  environment = local.env\n}\nlocals {\n  env = read_terragrunt_config(find_in_parent_folders("env.hcl")).locals.name\n}\n',
    ],
    [
      'live/_units/a.hcl',
      'terraform {\n  source = "${get_repo_root()}/modules/a"\n}\ninputs = {\n  size = 1\n}\n',
    ],
    [
      'live/_units/b.hcl',
      [
        'locals {\n  env = read_terragrunt_config(find_in_parent_folders("env.hcl")).locals\n}',
        'terraform {\n  source = "${get_repo_root()}/modules/b"\n}',
        'dependency "a" {\n  config_path = "${get_terragrunt_dir()}/../a"\n  mock_outputs = { id = "mock" }\n  mock_outputs_allowed_terraform_commands = ["plan"]\n}',
        'inputs = {\n  a_id = dependency.a.outputs.id\n  replicas = local.env.replicas\n  label = "b-${local.env.name}"\n}',
      ].join('\n'),
    ],
  ]);
  for (const [environment, replicas] of [
    ['dev', 1],
    ['prod', 3],
  ] as const) {
    fixture.set(
      `live/${environment}/env.hcl`,
      `locals {\n  name = "${environment}"\n  replicas = ${replicas}\n}\n`,
    );
    for (const layer of ['a', 'b']) {
      fixture.set(
        `live/${environment}/${layer}/terragrunt.hcl`,
        `include "root" {\n  path = find_in_parent_folders("root.hcl")\n}\ninclude "layer" {\n  path = "\${dirname(find_in_parent_folders("root.hcl"))}/live/_units/${layer}.hcl"\n}\n`,
      );
    }
  }
  const moduleJson = new Map<string, Hcl>([
    ['a', { variable: { environment: {}, size: { default: 1 } }, output: { id: { value: 'x' } } }],
    ['b', { variable: { environment: {}, a_id: {}, replicas: {}, label: { default: '' } } }],
  ]);
  const fixtureSpec: ContractSpec = {
    environments: ['dev', 'prod'],
    layers: ['a', 'b'],
    accountUnits: [],
    productionRules: [
      {
        description: 'at least 2 replicas',
        layer: 'b',
        variable: 'replicas',
        holds: (p) => num(p) >= 2,
      },
    ],
    production: 'prod',
    development: 'dev',
  };
  const generic = (violations: Violation[]): Violation[] =>
    violations.filter((v) => v.rule !== 'state');
  let good: LiveTree;

  before(async function () {
    good = await buildLiveTree(fixture, moduleJson);
  });

  it('a well-formed tree has no violation', function () {
    expect(describeViolations(generic(checkContract(good, fixtureSpec)))).to.equal('');
  });

  it('evaluates locals, env.hcl, templates and dependency references like Terragrunt', function () {
    const unit = resolveUnit(good, 'live/prod/b');
    expect(unit.module).to.equal('b');
    expect(unit.inputs.get('environment')).to.deep.equal({ value: 'prod', from: 'root.hcl' });
    expect(unit.inputs.get('replicas')?.value).to.equal(3);
    expect(unit.inputs.get('label')?.value).to.equal('b-prod');
    expect(unit.references.map((r) => `${r.dependency}.${r.output}`)).to.deep.equal(['a.id']);
    expect(unit.dependencies.get('a')?.target).to.equal('live/prod/a');
  });

  it('reads inputs = merge(local.env.<section>, ..., { ... }) key by key, the literal last', async function () {
    const sources = new Map(fixture);
    sources.set(
      'live/_units/b.hcl',
      (sources.get('live/_units/b.hcl') ?? '').replace(
        /inputs = \{[\s\S]*\}$/,
        'inputs = merge(local.env.sizes, {\n  a_id = dependency.a.outputs.id\n  label = "b-${local.env.name}"\n})\n',
      ),
    );
    for (const [environment, replicas] of [
      ['dev', 1],
      ['prod', 3],
    ] as const) {
      sources.set(
        `live/${environment}/env.hcl`,
        `locals {\n  name = "${environment}"\n  sizes = {\n    replicas = ${replicas}\n    label = "from env.hcl"\n  }\n}\n`,
      );
    }
    const merged = await buildLiveTree(sources, moduleJson);
    const unit = resolveUnit(merged, 'live/prod/b');
    expect(unit.inputs.get('replicas')).to.deep.equal({
      value: 3,
      from: 'live/_units/b.hcl (local.env.sizes)',
    });
    // merge() gives the last argument the last word.
    expect(unit.inputs.get('label')).to.deep.equal({ value: 'b-prod', from: 'live/_units/b.hcl' });
    expect(unit.references.map((r) => `${r.dependency}.${r.output}`)).to.deep.equal(['a.id']);
    expect(describeViolations(generic(checkContract(merged, fixtureSpec)))).to.equal('');

    // A key of the section that is no variable, and a section that does not exist.
    sources.set('live/dev/env.hcl', 'locals {\n  name = "dev"\n  sizes = { replica = 1 }\n}\n');
    expect(
      describeViolations(checkContract(await buildLiveTree(sources, moduleJson), fixtureSpec)),
    ).to.match(/input "replica" \(live\/_units\/b.hcl \(local.env.sizes\)\) is not a variable/);
    sources.set('live/dev/env.hcl', 'locals {\n  name = "dev"\n}\n');
    expect(
      describeViolations(checkContract(await buildLiveTree(sources, moduleJson), fixtureSpec)),
    ).to.match(/live\/dev\/b: inputs \(live\/_units\/b.hcl\): local.env.sizes is not an object/);
    // Any other expression is not read key by key, and said so.
    sources.set(
      'live/_units/b.hcl',
      (sources.get('live/_units/b.hcl') ?? '').replace(
        /inputs = [\s\S]*$/,
        'inputs = local.env.sizes\n',
      ),
    );
    expect(
      describeViolations(checkContract(await buildLiveTree(sources, moduleJson), fixtureSpec)),
    ).to.match(/inputs \(live\/_units\/b.hcl\): local.env.sizes is not an object/);
  });

  it('names each broken contract', async function () {
    const broken = async (edit: (sources: Map<string, string>) => void): Promise<string> => {
      const sources = new Map(fixture);
      edit(sources);
      return describeViolations(
        generic(checkContract(await buildLiveTree(sources, moduleJson), fixtureSpec)),
      );
    };
    const replace = (path: string, from: string, to: string) => (s: Map<string, string>) => {
      s.set(path, (s.get(path) ?? '').replace(from, to));
    };
    expect(await broken(replace('live/_units/b.hcl', 'outputs.id', 'outputs.name'))).to.match(
      /modules\/a has no output "name"/,
    );
    expect(
      await broken(replace('live/_units/b.hcl', 'replicas = local', 'replica = local')),
    ).to.match(/input "replica".*not a variable[\s\S]*required variable "replicas"/);
    expect(await broken(replace('live/_units/b.hcl', '../a', '../c'))).to.match(
      /dependency "a" points to/,
    );
    expect(await broken(replace('live/_units/a.hcl', 'modules/a', 'modules/z'))).to.match(
      /modules\/z\/main.tf.json does not exist/,
    );
    expect(await broken(replace('live/prod/env.hcl', 'replicas = 3', 'replicas = 1'))).to.match(
      /at least 2 replicas: replicas = 1/,
    );
    expect(await broken(replace('live/_units/b.hcl', '["plan"]', '["apply"]'))).to.match(
      /allows mock outputs for "apply"/,
    );
    expect(
      await broken((s) =>
        s.set(
          'live/_units/a.hcl',
          `${s.get('live/_units/a.hcl') ?? ''}\ndependency "b" {\n  config_path = "../b"\n}\n`,
        ),
      ),
    ).to.match(/dependency cycle: a -> b -> a/);
  });
});
