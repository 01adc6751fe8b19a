// The app module: releases, ordering, inputs, and the Helm values it produces,
// evaluated by real Terraform with example inputs and checked against the chart's schema.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv';
import { expect } from 'chai';
import { format, resolveConfig } from 'prettier';
import { parse, stringify } from 'yaml';
import { AppStack } from '../app/app-stack';
import { apiChartValues, type ApiSettings } from '../app/api-chart-values';
import {
  cidrsOverlap,
  exampleAppInputs,
  privateSubnetCidr,
  publicSubnetCidr,
} from '../app/example-inputs';
import { ENVIRONMENTS, type Environment } from '../lib/module-stack';
import {
  type Block,
  itRejectsInputs,
  requireTerraform,
  synthesizeKubernetesModule,
} from './kubernetes-module';
import {
  type Hcl,
  type LiveTree,
  cloneTree,
  loadLiveTree,
  localsOf,
} from '../../live/test/live-contract';
import { evaluateModuleExpressions } from './platform-terraform-evaluation';

const repoRoot = join(__dirname, '..', '..');
const chartDir = join(repoRoot, 'app', 'chart');
const schema = JSON.parse(readFileSync(join(chartDir, 'values.schema.json'), 'utf8')) as object;

const tf = synthesizeKubernetesModule(AppStack, 'app');
const releases = tf.resource.helm_release ?? {};

const baseSettings: ApiSettings = {
  environment: 'staging',
  imageRepository: '123456789012.dkr.ecr.eu-west-3.amazonaws.com/payflow-api',
  imageTag: 'v1.2.3',
  logLevel: 'info',
  traceSampleRatio: 1,
  minReplicas: 2,
  maxReplicas: 10,
  cpuRequest: '100m',
  memoryRequest: '128Mi',
  cpuLimit: '500m',
  memoryLimit: '256Mi',
  zoneSpread: 'ScheduleAnyway',
  apiHostname: 'api.staging.payflow.example.com',
  certificateArn: 'arn:aws:acm:eu-west-3:123456789012:certificate/abc-123',
  tlsPolicy: 'ELBSecurityPolicy-TLS13-1-2-2021-06',
  loadBalancerAttributes: 'deletion_protection.enabled=true,access_logs.s3.enabled=true',
  webAclArn: '',
  albGroupName: 'payflow',
  dbAddress: 'db.example.internal',
  dbPort: 5432,
  dbName: 'payflow',
  dbUsername: 'payflow_admin',
  dbApiUsername: 'payflow_api',
  dbMasterSecretArn: 'arn:aws:secretsmanager:eu-west-3:123456789012:secret:rds!db-1-AbCdEf',
  redisHost: 'redis.example.internal',
  redisPort: 6379,
  redisUsername: 'payflow-staging-redis-api',
  redisReplicationGroupId: 'payflow-staging-redis',
  awsRegion: 'eu-west-3',
  seedDemoUsers: false,
  clusterSecretStoreName: 'aws-secrets-manager',
  monitoringNamespace: 'monitoring',
  publicSubnetCidrs: ['10.0.192.0/22'],
  dataSubnetCidrs: ['10.0.200.0/24'],
  serviceAccountAnnotations: {},
};

const settingsFor = (overrides: Partial<ApiSettings>): ApiSettings => ({
  ...baseSettings,
  ...overrides,
});

describe('app module (stacks/app)', () => {
  it('installs payflow-migrations then payflow from app/chart in the payflow namespace', () => {
    const migrations = releases.payflow_migrations;
    const api = releases.payflow;
    expect(migrations?.name).to.equal('payflow-migrations');
    expect(api?.name).to.equal('payflow');
    for (const release of [migrations, api]) {
      expect(release?.chart).to.equal('${path.module}/copied/app/chart');
      expect(release?.namespace).to.equal(
        '${kubernetes_namespace_v1.app_namespace.metadata[0].name}',
      );
      expect(release?.create_namespace).to.equal(false);
      expect(release?.wait).to.equal(true);
    }
    expect(migrations?.wait_for_jobs, 'Terraform waits for the Job to complete').to.equal(true);
    expect(api?.depends_on).to.deep.equal(['helm_release.payflow_migrations']);
    expect(api?.atomic, 'a failed rollout rolls back').to.equal(true);
  });

  it('creates the namespace with Pod Security Standard restricted enforced', () => {
    const labels = (tf.resource.kubernetes_namespace_v1?.app_namespace?.metadata as Block)
      .labels as Record<string, string>;
    expect(labels['pod-security.kubernetes.io/enforce']).to.equal('restricted');
    expect(labels['pod-security.kubernetes.io/warn']).to.equal('restricted');
    expect(labels['elbv2.k8s.aws/pod-readiness-gate-inject']).to.equal('enabled');
  });

  it('takes image, replicas, resources, hostname, load balancer settings and database identities from inputs', () => {
    const values = (releases.payflow?.values as string[])[0] ?? '';
    for (const reference of [
      '"repository" = var.image_repository',
      '"tag" = var.image_tag',
      '"minReplicas" = var.min_replicas',
      '"maxReplicas" = var.max_replicas',
      '"cpu" = var.cpu_request',
      '"memory" = var.memory_limit',
      '"host" = var.api_hostname',
      '"certificateArn" = var.certificate_arn',
      '"sslPolicy" = var.tls_policy',
      '"loadBalancerAttributes" = var.load_balancer_attributes',
      '"webAclArn" = var.web_acl_arn',
      '"key" = var.db_master_secret_arn',
      '"user" = var.db_api_username',
      '"username" = var.redis_api_username',
      '"iamCacheName" = var.redis_replication_group_id',
      '"awsRegion" = var.aws_region',
      '"dataSubnetCidrs" = var.data_subnet_cidr_blocks',
      '"ingressCidrs" = var.public_subnet_cidr_blocks',
    ]) {
      expect(values).to.include(reference);
    }
    // The URL is the dns layer's: the load balancer's name is only known once it exists.
    expect(tf.output).to.not.have.property('api_url');
    // The migrations Job, alone, logs in as the master user, and creates the API's role.
    const migrations = (releases.payflow_migrations?.values as string[])[0] ?? '';
    expect(migrations).to.include('"user" = var.db_username');
    expect(migrations).to.include('"apiRole" = var.db_api_username');
    expect(migrations).to.include('"seedDemoUsers" = var.seed_demo_users');
  });

  it('refuses demo users in production: the module input and the chart schema', () => {
    const rules = (tf.variable.seed_demo_users?.validation ?? []) as { condition: string }[];
    expect(rules.map((rule) => rule.condition)).to.deep.equal([
      '${var.environment != "production" || !var.seed_demo_users}',
    ]);
    const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
    for (const [environment, seed, valid] of [
      ['production', true, false],
      ['production', false, true],
      ['development', true, true],
    ] as const) {
      const values = apiChartValues(
        settingsFor({ environment, seedDemoUsers: seed }),
        'migrations',
      );
      expect(validate(values), `${environment} seed ${seed}`).to.equal(valid);
    }
  });

  it('the API has no password: IAM authentication to both databases, verify-full against RDS', () => {
    const api = apiChartValues(settingsFor({}), 'api');
    expect(api.postgres).to.deep.include({
      user: 'payflow_api',
      auth: 'iam',
      sslMode: 'verify-full',
      sslRootCert: 'rds',
    });
    expect(api.redis).to.deep.include({ auth: 'iam', tls: true });
    expect(api.externalSecret).to.not.have.property('redisSecret');
    const migrations = apiChartValues(settingsFor({}), 'migrations');
    expect(migrations.postgres).to.deep.include({
      user: 'payflow_admin',
      auth: 'password',
      sslMode: 'verify-full',
      apiRole: 'payflow_api',
    });
  });

  it('declares no secret input: secrets are referenced by ARN, never passed', () => {
    const secretLike = /(password|token|secret(?!_arn$|_property$|_store_name$)|private_key)/;
    const offending = Object.entries(tf.variable).filter(
      ([name, block]) => secretLike.test(name) && block.sensitive !== true,
    );
    expect(offending.map(([name]) => name)).to.deep.equal([]);
  });

  it('the secret-input policy fails on a module declaring a db_password input', () => {
    const mutated = { ...tf.variable, db_password: { type: 'string' } };
    const secretLike = /(password|token|secret(?!_arn$|_property$|_store_name$)|private_key)/;
    const offending = Object.keys(mutated).filter(
      (name) =>
        secretLike.test(name) && (mutated as Record<string, Block>)[name]?.sensitive !== true,
    );
    expect(offending).to.deep.equal(['db_password']);
  });

  it('the values builder output is valid for the chart schema (api and migrations)', () => {
    const ajv = new Ajv({ allErrors: true, strict: false });
    const validate = ajv.compile(schema);
    const settings = settingsFor({});
    for (const mode of ['api', 'migrations'] as const) {
      const ok = validate(apiChartValues(settings, mode));
      expect(ok, JSON.stringify(validate.errors)).to.equal(true);
    }
    expect(validate(apiChartValues({ ...settings, imageTag: 'bad tag!' }, 'api'))).to.equal(false);
  });

  it('refuses fewer than 2 API pods: the PodDisruptionBudget keeps 1, a single pod blocks node drains', () => {
    const validation = JSON.stringify(tf.variable.min_replicas?.validation);
    expect(validation).to.include('var.min_replicas >= 2');
    expect(
      apiChartValues(settingsFor({ minReplicas: 2 }), 'api').podDisruptionBudget,
    ).to.deep.equal({ enabled: true, minAvailable: 1 });
  });

  describe('example inputs: what live/<env>/app gives the module (env.hcl, live/_units/app.hcl)', function () {
    let tree: LiveTree;
    before(async function () {
      tree = await loadLiveTree(repoRoot);
    });

    for (const environment of ENVIRONMENTS) {
      it(`${environment}: replicas, resources, log level, spread and hostname come from env.hcl`, () => {
        const env = localsOf(tree.files.get(`live/${environment}/env.hcl`));
        const app = env.app as Hcl;
        const inputs = exampleAppInputs(tree, environment as Environment);
        for (const name of [
          'min_replicas',
          'max_replicas',
          'log_level',
          'trace_sample_ratio',
          'zone_spread_policy',
          'cpu_request',
          'memory_request',
          'cpu_limit',
          'memory_limit',
        ]) {
          expect(inputs[name], name).to.not.equal(undefined);
          expect(inputs[name], name).to.equal(app[name]);
        }
        // The edge module's names: api.<subdomain>.<zone>, none without a zone.
        const dns = env.dns as Hcl;
        expect(inputs.api_hostname).to.equal(
          dns.zone === '' ? '' : ['api', dns.subdomain, dns.zone].filter(Boolean).join('.'),
        );
      });
    }

    it('the derived public subnets follow the network address plan (modules/network/tests)', () => {
      const inputs = exampleAppInputs(tree, 'development');
      // The values network.tftest.hcl asserts for development's 10.10.0.0/16 over two zones.
      expect(inputs.public_subnet_cidr_blocks).to.deep.equal(['10.10.192.0/22', '10.10.196.0/22']);
      expect(inputs.data_subnet_cidr_blocks).to.deep.equal(['10.10.208.0/22', '10.10.212.0/22']);
      expect(privateSubnetCidr('10.10.0.0/16', 0)).to.equal('10.10.0.0/18');
    });

    it('fails loudly when a live input does not evaluate (no silent fallback to a default)', () => {
      const broken = cloneTree(tree);
      const unit = broken.files.get('live/_units/app.hcl') as Hcl;
      (unit.inputs as Hcl).cpu_request = '${local.env.app.cpu_requets}';
      expect(() => exampleAppInputs(broken, 'staging')).to.throw(
        /live\/staging\/app input cpu_request does not evaluate/,
      );
      (unit.inputs as Hcl).cpu_request = '${dependency.network.outputs.vpc_cidr_block}';
      expect(() => exampleAppInputs(broken, 'staging')).to.throw(
        /no example for dependency.network.outputs.vpc_cidr_block/,
      );
    });
  });

  describe('Helm values evaluated by Terraform with example inputs', function () {
    this.timeout(60_000);
    let tree: LiveTree;
    before(requireTerraform);
    before(async function () {
      tree = await loadLiveTree(repoRoot);
    });

    const ajv = new Ajv({ allErrors: true, strict: false });
    const validate = ajv.compile(schema);
    const expressions = {
      api: (releases.payflow?.values as string[])[0],
      migrations: (releases.payflow_migrations?.values as string[])[0],
    };

    /** The api and migrations values Terraform computes from an environment's example inputs. */
    const helmValues = (environment: string) => {
      const result = evaluateModuleExpressions(
        'app',
        tf,
        expressions,
        exampleAppInputs(tree, environment as Environment),
      );
      expect(result.status, result.stderr).to.equal(0);
      return {
        api: parse(result.values.api as string) as Block,
        migrations: parse(result.values.migrations as string) as Block,
      };
    };

    for (const environment of ENVIRONMENTS) {
      it(`${environment}: valid for values.schema.json and equal to app/chart/values-${environment}.yaml`, async () => {
        const { api, migrations } = helmValues(environment);
        expect(validate(api), JSON.stringify(validate.errors)).to.equal(true);
        expect(validate(migrations), JSON.stringify(validate.errors)).to.equal(true);
        expect(migrations.mode).to.equal('migrations');
        expect(api.environment).to.equal(environment);

        const file = join(chartDir, `values-${environment}.yaml`);
        const header =
          `# What the app module gives Helm for ${environment}: live/${environment}/app's inputs\n` +
          '# (env.hcl), placeholders for the outputs of other units (stacks/app/example-inputs.ts).\n' +
          '# CI renders the chart with it. Do not edit by hand:\n' +
          '# UPDATE_CHART_VALUES=1 npx mocha stacks/test/app-stack.test.ts rewrites it.\n';
        if (process.env.UPDATE_CHART_VALUES) {
          const options = { ...(await resolveConfig(file)), parser: 'yaml' };
          writeFileSync(file, await format(header + stringify(api), options));
        }
        expect(parse(readFileSync(file, 'utf8'))).to.deep.equal(api);
      });
    }

    it('admits on the container port only the public subnets (ALB), no pod or node address', () => {
      for (const environment of ENVIRONMENTS) {
        const inputs = exampleAppInputs(tree, environment as Environment);
        const result = evaluateModuleExpressions('app', tf, expressions, inputs);
        expect(result.status, result.stderr).to.equal(0);
        const api = parse(result.values.api as string) as {
          networkPolicy: { ingressCidrs: string[]; monitoringNamespace: string };
        };
        const env = localsOf(tree.files.get(`live/${environment}/env.hcl`));
        const network = env.network as Hcl;
        const vpc = String(network.vpc_cidr);
        const zones = (network.azs as string[]).map((_, i) => i);
        expect(api.networkPolicy.ingressCidrs, environment).to.deep.equal(
          zones.map((i) => publicSubnetCidr(vpc, i)),
        );
        const pods = zones.map((i) => privateSubnetCidr(vpc, i));
        const admittedPods = api.networkPolicy.ingressCidrs.filter((c) =>
          pods.some((p) => cidrsOverlap(c, p)),
        );
        expect(
          admittedPods,
          `${environment}: ingress CIDRs overlapping the pod subnets`,
        ).to.deep.equal([]);
        // Prometheus keeps its own path: the monitoring namespace.
        expect(api.networkPolicy.monitoringNamespace).to.equal('monitoring');
      }
      // The overlap check itself catches the old rule (the whole VPC).
      expect(cidrsOverlap('10.10.0.0/16', privateSubnetCidr('10.10.0.0/16', 1))).to.equal(true);
    });

    it('production spreads pods over zones strictly and scales 3 to 10', () => {
      const result = evaluateModuleExpressions(
        'app',
        tf,
        expressions,
        exampleAppInputs(tree, 'production'),
      );
      const api = parse(result.values.api as string) as {
        autoscaling: { minReplicas: number; maxReplicas: number };
        topologySpread: { zoneWhenUnsatisfiable: string };
      };
      expect(api.autoscaling).to.include({ minReplicas: 3, maxReplicas: 10 });
      expect(api.topologySpread.zoneWhenUnsatisfiable).to.equal('DoNotSchedule');
    });

    it('production records one new trace in ten; development and staging every request', () => {
      const ratios = Object.fromEntries(
        ENVIRONMENTS.map((environment) => [
          environment,
          helmValues(environment).api.traceSampleRatio,
        ]),
      );
      // Below 1: tracing every request is paid by every payment (app/chart/README.md, "Trace
      // sampling"). app/bench runs the API with values-production.yaml, kept equal to this above.
      expect(ratios).to.deep.equal({ development: 1, staging: 1, production: 0.1 });
    });

    const rejected: [string, Record<string, unknown>][] = [
      ['max_replicas below min_replicas', { min_replicas: 5, max_replicas: 3 }],
      ['a single API pod (the PDB would block node drains)', { min_replicas: 1 }],
      ['a public subnet that is not a CIDR', { public_subnet_cidr_blocks: ['10.0.192.0'] }],
      ['an image tag with a space', { image_tag: 'latest version' }],
      ['a hostname with upper case', { api_hostname: 'API.Example.com' }],
      [
        'a certificate that is not an ACM ARN',
        { certificate_arn: 'arn:aws:iam::123456789012:role/x' },
      ],
      ['a data subnet that is not a CIDR', { data_subnet_cidr_blocks: ['10.0.0.0'] }],
      ['an unknown environment', { environment: 'qa' }],
      ['a trace sample ratio above 1', { trace_sample_ratio: 1.5 }],
      ['a negative trace sample ratio', { trace_sample_ratio: -0.1 }],
      // What values.schema.json refuses must fail at plan, not at helm's apply.
      ['a fractional replica count', { min_replicas: 2.5 }],
      ['a fractional maximum replica count', { max_replicas: 9.5 }],
      ['a fractional PostgreSQL port', { db_port: 5432.5 }],
      ['a fractional Redis port', { redis_port: 6379.5 }],
      [
        'a 254-character hostname',
        {
          api_hostname: `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(58)}.com`,
        },
      ],
      ['a CIDR with a leading zero', { public_subnet_cidr_blocks: ['10.010.192.0/22'] }],
      ['a data CIDR with a leading zero', { data_subnet_cidr_blocks: ['10.010.208.0/22'] }],
    ];
    // Registered at load time, before the live tree is read: a function so it is read then.
    itRejectsInputs('app', tf, expressions, () => exampleAppInputs(tree, 'staging'), rejected);
  });
});
