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
import { exampleAppInputs } from '../app/example-inputs';
import { ENVIRONMENTS, type Environment } from '../lib/module-stack';
import {
  type Block,
  itRejectsInputs,
  requireTerraform,
  synthesizeKubernetesModule,
} from './kubernetes-module';
import { evaluateModuleExpressions } from './platform-terraform-evaluation';

const chartDir = join(__dirname, '..', '..', 'app', 'chart');
const schema = JSON.parse(readFileSync(join(chartDir, 'values.schema.json'), 'utf8')) as object;

const tf = synthesizeKubernetesModule(AppStack, 'app');
const releases = tf.resource.helm_release ?? {};

describe('app module (stacks/app)', () => {
  it('installs payflow-migrations then payflow from app/chart in the payflow namespace', () => {
    const migrations = releases.payflow_migrations;
    const api = releases.payflow;
    expect(migrations?.name).to.equal('payflow-migrations');
    expect(api?.name).to.equal('payflow');
    for (const release of [migrations, api]) {
      expect(release?.chart).to.equal('${path.module}/../../app/chart');
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

  it('takes image, replicas, resources, hostname, certificate and secret ARNs from inputs', () => {
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
      '"key" = var.db_master_secret_arn',
      '"key" = var.redis_auth_secret_arn',
      '"dataSubnetCidrs" = var.data_subnet_cidr_blocks',
      '"ingressCidrs" = [var.vpc_cidr_block]',
    ]) {
      expect(values).to.include(reference);
    }
    expect(tf.output.api_url?.value).to.equal('https://${var.api_hostname}');
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
    const settings: ApiSettings = {
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
      albGroupName: 'payflow',
      dbAddress: 'db.example.internal',
      dbPort: 5432,
      dbName: 'payflow',
      dbUsername: 'payflow',
      dbMasterSecretArn: 'arn:aws:secretsmanager:eu-west-3:123456789012:secret:rds!db-1-AbCdEf',
      redisHost: 'redis.example.internal',
      redisPort: 6379,
      redisAuthSecretArn: 'arn:aws:secretsmanager:eu-west-3:123456789012:secret:redis-AbCdEf',
      redisAuthSecretProperty: '',
      clusterSecretStoreName: 'aws-secrets-manager',
      monitoringNamespace: 'monitoring',
      vpcCidrBlock: '10.0.0.0/16',
      dataSubnetCidrs: ['10.0.200.0/24'],
      serviceAccountAnnotations: {},
    };
    for (const mode of ['api', 'migrations'] as const) {
      const ok = validate(apiChartValues(settings, mode));
      expect(ok, JSON.stringify(validate.errors)).to.equal(true);
    }
    expect(validate(apiChartValues({ ...settings, imageTag: 'bad tag!' }, 'api'))).to.equal(false);
  });

  describe('Helm values evaluated by Terraform with example inputs', function () {
    this.timeout(60_000);
    before(requireTerraform);

    const ajv = new Ajv({ allErrors: true, strict: false });
    const validate = ajv.compile(schema);
    const expressions = {
      api: (releases.payflow?.values as string[])[0],
      migrations: (releases.payflow_migrations?.values as string[])[0],
    };

    for (const environment of ENVIRONMENTS) {
      it(`${environment}: valid for values.schema.json and equal to app/chart/values-${environment}.yaml`, async () => {
        const result = evaluateModuleExpressions(
          'app',
          tf,
          expressions,
          exampleAppInputs(environment as Environment),
        );
        expect(result.status, result.stderr).to.equal(0);
        const api = parse(result.values.api as string) as Block;
        const migrations = parse(result.values.migrations as string) as Block;
        expect(validate(api), JSON.stringify(validate.errors)).to.equal(true);
        expect(validate(migrations), JSON.stringify(validate.errors)).to.equal(true);
        expect(migrations.mode).to.equal('migrations');
        expect(api.environment).to.equal(environment);

        const file = join(chartDir, `values-${environment}.yaml`);
        const header =
          `# What the app module gives Helm for ${environment} with stacks/app/example-inputs.ts\n` +
          '# (placeholder account and ARNs). CI renders the chart with it. Do not edit by hand:\n' +
          '# UPDATE_CHART_VALUES=1 npx mocha stacks/test/app-stack.test.ts rewrites it.\n';
        if (process.env.UPDATE_CHART_VALUES) {
          const options = { ...(await resolveConfig(file)), parser: 'yaml' };
          writeFileSync(file, await format(header + stringify(api), options));
        }
        expect(parse(readFileSync(file, 'utf8'))).to.deep.equal(api);
      });
    }

    it('production spreads pods over zones strictly and scales 3 to 10', () => {
      const result = evaluateModuleExpressions(
        'app',
        tf,
        expressions,
        exampleAppInputs('production'),
      );
      const api = parse(result.values.api as string) as {
        autoscaling: { minReplicas: number; maxReplicas: number };
        topologySpread: { zoneWhenUnsatisfiable: string };
      };
      expect(api.autoscaling).to.include({ minReplicas: 3, maxReplicas: 10 });
      expect(api.topologySpread.zoneWhenUnsatisfiable).to.equal('DoNotSchedule');
    });

    const rejected: [string, Record<string, unknown>][] = [
      ['max_replicas below min_replicas', { min_replicas: 5, max_replicas: 3 }],
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
    ];
    itRejectsInputs('app', tf, expressions, exampleAppInputs('staging'), rejected);
  });
});
