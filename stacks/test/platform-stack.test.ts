// The platform module: pinned releases, namespaces and ordering, Pod Identity service
// accounts matching the associations of the cluster and data modules, no secret values, and
// the Helm values evaluated by real Terraform with example inputs.
import { API_SERVICE_ACCOUNT } from '../app/app-stack';
import { APP_NAMESPACE, CLUSTER_SECRET_STORE, MONITORING_NAMESPACE } from '../lib/kubernetes-names';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { expect } from 'chai';
import { parse } from 'yaml';
import {
  PLATFORM_RESOURCES_CHART,
  PlatformStack,
  REPOSITORY_FILES,
} from '../platform/platform-stack';
import { POD_IDENTITY_SERVICE_ACCOUNTS } from '../platform/pod-identity-service-accounts';
import type { Environment } from '../lib/module-stack';
import { examplePlatformInputs, withPublicGrafana } from '../platform/example-inputs';
import { GRAFANA_LOCAL_URL, GRAFANA_SERVICE } from '../platform/grafana-access';
import { PINNED_CHARTS } from '../platform/pinned-charts';
import {
  type AlertmanagerConfig,
  clusterAlertmanagerConfig,
  readSharedAlertmanagerConfig,
} from '../platform/alertmanager-config';
import { alertmanagerDivergence } from './alertmanager-parity';
import {
  type Block,
  type KubernetesModuleJson,
  itRejectsInputs,
  requireTerraform,
  synthesizeKubernetesModule,
} from './kubernetes-module';
import { evaluateModuleExpressions } from './platform-terraform-evaluation';

const root = join(__dirname, '..', '..');
const tf = synthesizeKubernetesModule(PlatformStack, 'platform');
const releases = tf.resource.helm_release ?? {};
const staticValues = (chart: string) =>
  parse(readFileSync(join(root, REPOSITORY_FILES.staticValues, `${chart}.yaml`), 'utf8')) as Block;

/** Releases breaking the pinning policy: a third-party chart needs a repository and an exact version. */
function unpinnedReleases(all: Record<string, Block>): string[] {
  return Object.entries(all)
    .filter(([, r]) => {
      const local = typeof r.chart === 'string' && r.chart.includes('path.module');
      const pinned =
        typeof r.repository === 'string' &&
        r.repository.startsWith('https://') &&
        typeof r.version === 'string' &&
        /^\d+\.\d+\.\d+$/.test(r.version);
      return !(local || pinned) || typeof r.namespace !== 'string' || r.namespace === '';
    })
    .map(([name]) => name);
}

const exampleInputs = (environment: string): Record<string, unknown> =>
  examplePlatformInputs(environment as Environment);

describe('platform module (stacks/platform)', () => {
  it('installs every platform component as a Helm release', () => {
    expect(Object.keys(releases).sort()).to.deep.equal(
      [
        'alloy',
        'aws_load_balancer_controller',
        'blackbox_exporter',
        'cluster_autoscaler',
        'external_secrets',
        'kube_prometheus_stack',
        'loki',
        'metrics_server',
        'platform_resources',
        'tempo',
      ].sort(),
    );
  });

  it('pins every third-party chart (repository + exact version) and sets its namespace', () => {
    expect(unpinnedReleases(releases)).to.deep.equal([]);
    const versions = Object.values(releases)
      .map((r) => r.version)
      .filter(Boolean);
    expect(versions).to.have.members(Object.values(PINNED_CHARTS).map((c) => c.version));
  });

  it('the pinning policy fails on a floating version, a missing repository or no namespace', () => {
    const api = releases.kube_prometheus_stack as Block;
    const mutated = {
      floating: { ...api, version: '~> 75.0' },
      latest: { ...api, version: undefined },
      norepo: { ...api, repository: undefined },
      nonamespace: { ...api, namespace: undefined },
      ok: api,
    };
    expect(unpinnedReleases(mutated)).to.deep.equal([
      'floating',
      'latest',
      'norepo',
      'nonamespace',
    ]);
  });

  it('reads static values and files from the repository at apply time (path.module)', () => {
    for (const [name, release] of Object.entries(releases)) {
      if (name === 'platform_resources') continue;
      const chart = String(release.chart);
      expect((release.values as string[])[0]).to.equal(
        `\${file(format("%s/%s", path.module, "copied/stacks/platform/values/${chart}.yaml"))}`,
      );
      expect(
        existsSync(join(root, REPOSITORY_FILES.staticValues, `${chart}.yaml`)),
        chart,
      ).to.equal(true);
    }
    expect(releases.platform_resources?.chart).to.equal('${path.module}/charts/platform-resources');
  });

  it('orders releases: load balancer controller first, CRD users after their CRDs', () => {
    expect(releases.aws_load_balancer_controller?.depends_on).to.equal(undefined);
    for (const [name, release] of Object.entries(releases)) {
      if (name === 'aws_load_balancer_controller' || name === 'platform_resources') continue;
      expect(release.depends_on, name).to.include('helm_release.aws_load_balancer_controller');
    }
    for (const name of ['loki', 'tempo', 'blackbox_exporter']) {
      expect(releases[name]?.depends_on, name).to.include('helm_release.kube_prometheus_stack');
    }
    expect(releases.alloy?.depends_on).to.include('helm_release.loki');
    expect(releases.platform_resources?.depends_on).to.have.members([
      'helm_release.external_secrets',
      'helm_release.kube_prometheus_stack',
    ]);
    expect(tf.resource.kubernetes_config_map_v1?.dashboards?.depends_on).to.deep.equal([
      'helm_release.kube_prometheus_stack',
    ]);
  });

  it('installs the Pod Identity service accounts in the namespaces the associations name', () => {
    const installed: Record<string, { release: string; namespace: unknown; name: unknown }> = {
      awsLoadBalancerController: {
        release: 'aws_load_balancer_controller',
        namespace: releases.aws_load_balancer_controller?.namespace,
        name: (staticValues('aws-load-balancer-controller').serviceAccount as Block).name,
      },
      clusterAutoscaler: {
        release: 'cluster_autoscaler',
        namespace: releases.cluster_autoscaler?.namespace,
        name: ((staticValues('cluster-autoscaler').rbac as Block).serviceAccount as Block).name,
      },
      externalSecrets: {
        release: 'external_secrets',
        namespace: releases.external_secrets?.namespace,
        name: (staticValues('external-secrets').serviceAccount as Block).name,
      },
      loki: {
        release: 'loki',
        namespace: releases.loki?.namespace,
        name: (staticValues('loki').serviceAccount as Block).name,
      },
      tempo: {
        release: 'tempo',
        namespace: releases.tempo?.namespace,
        name: (staticValues('tempo').serviceAccount as Block).name,
      },
    };
    for (const [key, expected] of Object.entries(POD_IDENTITY_SERVICE_ACCOUNTS)) {
      expect(
        { namespace: installed[key]?.namespace, name: installed[key]?.name },
        key,
      ).to.deep.equal(expected);
    }
  });

  it('matches every EKS Pod Identity association of the cluster and data modules', function () {
    const associations: { namespace: string; service_account: string }[] = [];
    for (const module of ['cluster', 'data']) {
      const file = join(root, 'modules', module, 'main.tf.json');
      if (!existsSync(file)) continue;
      const json = JSON.parse(readFileSync(file, 'utf8')) as KubernetesModuleJson;
      associations.push(
        ...(Object.values(json.resource?.aws_eks_pod_identity_association ?? {}) as {
          namespace: string;
          service_account: string;
        }[]),
      );
    }
    if (associations.length === 0) this.skip();
    // The platform's controllers, and the API pods of the app module (IAM database logins).
    const ours = [
      ...Object.values(POD_IDENTITY_SERVICE_ACCOUNTS).map((a) => `${a.namespace}/${a.name}`),
      `${APP_NAMESPACE}/${API_SERVICE_ACCOUNT}`,
    ];
    for (const association of associations) {
      expect(ours).to.include(`${association.namespace}/${association.service_account}`);
    }
  });

  it('declares the outputs other layers rely on', () => {
    expect(Object.keys(tf.output)).to.include.members([
      'grafana_public_hostname',
      'monitoring_namespace',
      'cluster_secret_store_name',
    ]);
    expect(tf.output.cluster_secret_store_name?.value).to.equal(CLUSTER_SECRET_STORE);
    expect(tf.output.grafana_public_hostname?.value).to.equal(
      '${var.grafana_public ? var.grafana_hostname : ""}',
    );
  });

  it('holds no secret value: no secret-like input, generated Grafana password, webhooks from files', () => {
    const secretLike = /(password|token|webhook_url|private_key)/;
    expect(Object.keys(tf.variable).filter((n) => secretLike.test(n))).to.deep.equal([]);
    const kps = staticValues('kube-prometheus-stack');
    // The chart generates the admin password into a Secret of the cluster: nothing passes it
    // through Terraform, and the helm provider keeps no rendered manifest (its `manifest`
    // experiment would store the generated Secret in the state).
    expect((kps.grafana as Block).adminPassword).to.equal('');
    expect(Object.keys(tf.resource).filter((type) => type.startsWith('random_'))).to.deep.equal([]);
    expect(JSON.stringify(tf.provider)).to.not.include('experiments');
    for (const [name, release] of Object.entries(releases)) {
      expect(release, name).to.not.have.property('set_sensitive');
    }
    const receivers = clusterAlertmanagerConfig(readSharedAlertmanagerConfig(root)).receivers ?? [];
    const slack = receivers.flatMap((r) => (r.slack_configs as Block[] | undefined) ?? []);
    expect(slack).to.have.length(3);
    for (const config of slack) {
      expect(config).to.have.property('api_url_file');
      expect(config).to.not.have.property('api_url');
    }
    for (const file of readdirSync(join(root, REPOSITORY_FILES.staticValues))) {
      const text = readFileSync(join(root, REPOSITORY_FILES.staticValues, file), 'utf8');
      expect(text, file).to.not.match(/hooks\.slack\.com|(password|token)\s*:\s*['"]?[^'"\s]/i);
    }
  });

  it('routes critical and warning alerts to their receivers', () => {
    const config = clusterAlertmanagerConfig(readSharedAlertmanagerConfig(root));
    const routes = (config.route as Block).routes as Block[];
    expect(routes.map((r) => [(r.matchers as string[])[0], r.receiver])).to.deep.include.members([
      ['severity="critical"', 'critical'],
      ['severity="warning"', 'warning'],
    ]);
  });

  it('gives Grafana Loki and Tempo datasources linked both ways (trace to logs)', () => {
    const sources = (staticValues('kube-prometheus-stack').grafana as Block)
      .additionalDataSources as Block[];
    const loki = sources.find((s) => s.type === 'loki') as Block;
    const tempo = sources.find((s) => s.type === 'tempo') as Block;
    expect(loki.url).to.equal(`http://loki.${MONITORING_NAMESPACE}.svc.cluster.local:3100`);
    expect(tempo.url).to.equal(`http://tempo.${MONITORING_NAMESPACE}.svc.cluster.local:3200`);
    expect(((tempo.jsonData as Block).tracesToLogsV2 as Block).datasourceUid).to.equal(loki.uid);
    const derived = ((loki.jsonData as Block).derivedFields as Block[])[0] as Block;
    expect(derived.datasourceUid).to.equal(tempo.uid);
  });

  it('stores exemplars and links their trace_id to the Tempo datasource (metrics to traces)', () => {
    const kps = staticValues('kube-prometheus-stack');
    const spec = (kps.prometheus as Block).prometheusSpec as Block;
    expect(spec.enableFeatures).to.include('exemplar-storage');
    const tempo = ((kps.grafana as Block).additionalDataSources as Block[]).find(
      (s) => s.type === 'tempo',
    ) as Block;
    const destinations = ((kps.grafana as Block).sidecar as Block).datasources as Block;
    expect(destinations.exemplarTraceIdDestinations).to.deep.equal({
      datasourceUid: tempo.uid,
      traceIdLabelName: 'trace_id',
    });
  });

  it('the local chart defines the ClusterSecretStore on Secrets Manager and renders rules with toYaml', () => {
    const chart = join(root, 'modules', 'platform', PLATFORM_RESOURCES_CHART, 'templates');
    const store = readFileSync(join(chart, 'cluster-secret-store.yaml'), 'utf8');
    expect(store).to.include('apiVersion: external-secrets.io/v1');
    expect(store).to.include('kind: ClusterSecretStore');
    expect(store).to.include('service: SecretsManager');
    const rules = readFileSync(join(chart, 'prometheus-rules.yaml'), 'utf8');
    expect(rules).to.include('toYaml .Values.prometheusRules');
    expect(rules).to.not.match(/\btpl\b\s/);
  });

  describe('Helm values evaluated by Terraform with example inputs', function () {
    this.timeout(60_000);
    before(requireTerraform);
    const expressions = Object.fromEntries(
      Object.entries(releases).map(([name, release]) => [name, release.values]),
    );
    const evaluate = (inputs: Record<string, unknown>) => {
      const result = evaluateModuleExpressions('platform', tf, expressions, inputs);
      expect(result.status, result.stderr).to.equal(0);
      return (name: string) => (result.values[name] as string[]).map((v) => parse(v) as Block);
    };

    it('retention, replicas and storage flow from the inputs (production and development)', () => {
      for (const [environment, prometheus, loki, tempo] of [
        ['production', '15d', '744h', '336h'],
        ['development', '3d', '168h', '72h'],
      ]) {
        const values = evaluate(exampleInputs(environment as string));
        const kps = values('kube_prometheus_stack')[1] as Block;
        const spec = (kps.prometheus as Block).prometheusSpec as Block;
        expect(spec.retention).to.equal(prometheus);
        expect(spec.replicas).to.equal(environment === 'production' ? 2 : 1);
        const lokiValues = values('loki')[1] as { loki: { limits_config: Block } };
        expect(lokiValues.loki.limits_config.retention_period).to.equal(loki);
        expect((values('tempo')[1] as { tempo: Block }).tempo.retention).to.equal(tempo);
      }
    });

    it('wires cluster, VPC, buckets and hostnames into the releases', () => {
      const values = evaluate(exampleInputs('staging'));
      expect(values('aws_load_balancer_controller')[1]).to.deep.equal({
        clusterName: 'payflow-staging',
        region: 'eu-west-3',
        vpcId: 'vpc-0123456789abcdef0',
      });
      const autoscaler = values('cluster_autoscaler')[1] as Block;
      expect(autoscaler.autoDiscovery).to.deep.equal({ clusterName: 'payflow-staging' });
      expect(autoscaler.image).to.deep.equal({ tag: 'v1.36.0' });
      const loki = values('loki')[1] as { loki: { storage: { bucketNames: Block } } };
      expect(loki.loki.storage.bucketNames.chunks).to.equal('payflow-staging-loki');
      const tempo = values('tempo')[1] as { tempo: { storage: { trace: { s3: Block } } } };
      expect(tempo.tempo.storage.trace.s3.bucket).to.equal('payflow-staging-tempo');
      const blackbox = values('blackbox_exporter')[1] as { serviceMonitor: { targets: Block[] } };
      expect(blackbox.serviceMonitor.targets).to.deep.equal([
        { name: 'payflow-api', url: 'https://api.staging.payflow.example.com/health' },
      ]);
      const grafana = (values('kube_prometheus_stack')[1] as { grafana: { ingress: Block } })
        .grafana;
      expect(grafana.ingress.hosts).to.deep.equal(['grafana.staging.payflow.example.com']);
      expect(grafana.ingress.enabled, 'Grafana is private unless asked for').to.equal(false);
      // Every static values file parses as a YAML map.
      for (const name of Object.keys(releases).filter((n) => n !== 'platform_resources')) {
        expect(values(name)[0], name).to.be.an('object');
      }
    });

    it('Grafana is private by default in every environment: no Ingress, opened on localhost through the tunnel', () => {
      expect(
        (staticValues('kube-prometheus-stack').grafana as { ingress: Block }).ingress.enabled,
      ).to.equal(false);
      for (const environment of ['development', 'staging', 'production']) {
        const kps = evaluate(exampleInputs(environment))('kube_prometheus_stack')[1] as {
          grafana: { ingress: Block; 'grafana.ini': { server: Block } };
        };
        expect(kps.grafana.ingress.enabled, environment).to.equal(false);
        expect(kps.grafana['grafana.ini'].server.root_url, environment).to.equal(GRAFANA_LOCAL_URL);
      }
    });

    it('a public Grafana: the shared load balancer with a Cognito sign-in, and only for the allow-list', () => {
      const kps = evaluate(withPublicGrafana(exampleInputs('staging')))(
        'kube_prometheus_stack',
      )[1] as {
        grafana: {
          ingress: { enabled: boolean; hosts: string[]; annotations: Record<string, string> };
          'grafana.ini': { server: Block };
        };
      };
      const { ingress } = kps.grafana;
      expect(ingress.enabled).to.equal(true);
      expect(ingress.hosts).to.deep.equal(['grafana.staging.payflow.example.com']);
      expect(kps.grafana['grafana.ini'].server.root_url).to.equal(
        'https://grafana.staging.payflow.example.com',
      );
      const a = ingress.annotations;
      expect(a['alb.ingress.kubernetes.io/auth-type']).to.equal('cognito');
      expect(JSON.parse(a['alb.ingress.kubernetes.io/auth-idp-cognito'] ?? '')).to.deep.equal({
        userPoolARN: 'arn:aws:cognito-idp:eu-west-3:123456789012:userpool/eu-west-3_AbCdEf123',
        userPoolClientID: '1example23456789abcdefghij',
        userPoolDomain: 'payflow-example',
      });
      expect(a['alb.ingress.kubernetes.io/auth-on-unauthenticated-request']).to.equal(
        'authenticate',
      );
      expect(
        JSON.parse(a[`alb.ingress.kubernetes.io/conditions.${GRAFANA_SERVICE}`] ?? ''),
      ).to.deep.equal([
        { field: 'source-ip', sourceIpConfig: { values: ['203.0.113.0/24', '198.51.100.7/32'] } },
      ]);
      // The load balancer's own settings: the edge outputs, as on the API's Ingress.
      expect(a).to.include({
        'alb.ingress.kubernetes.io/group.name': 'payflow',
        'alb.ingress.kubernetes.io/certificate-arn':
          'arn:aws:acm:eu-west-3:123456789012:certificate/00000000-0000-0000-0000-000000000000',
        'alb.ingress.kubernetes.io/ssl-policy': 'ELBSecurityPolicy-TLS13-1-2-2021-06',
        'alb.ingress.kubernetes.io/ssl-redirect': '443',
        'alb.ingress.kubernetes.io/wafv2-acl-arn':
          'arn:aws:wafv2:eu-west-3:123456789012:regional/webacl/payflow-staging-load-balancer/0ac8a1b2-1234-5678-9abc-def012345678',
      });
      expect(a['alb.ingress.kubernetes.io/load-balancer-attributes']).to.match(
        /^deletion_protection\.enabled=true,access_logs\.s3\.enabled=true,/,
      );
      expect(JSON.parse(a['alb.ingress.kubernetes.io/listen-ports'] ?? '')).to.deep.equal([
        { HTTP: 80 },
        { HTTPS: 443 },
      ]);
    });

    it('without a DNS name (development) the blackbox exporter probes nothing: no certificate to watch', () => {
      const blackbox = evaluate(exampleInputs('development'))('blackbox_exporter')[1] as {
        serviceMonitor: { targets: Block[] };
      };
      expect(blackbox.serviceMonitor.targets).to.deep.equal([]);
    });

    it('Alertmanager in the cluster gets monitoring/alertmanager/alertmanager.yml, webhooks from the Secret', function () {
      const local = readSharedAlertmanagerConfig(root);
      const values = evaluate(exampleInputs('production'))('kube_prometheus_stack');
      expect(values).to.have.length(3);
      const config = ((values[2] as Block).alertmanager as Block).config as AlertmanagerConfig;
      expect(alertmanagerDivergence(local, config)).to.deep.equal([]);
      expect(config).to.deep.equal(clusterAlertmanagerConfig(local));
      expect((values[0] as { alertmanager: Block }).alertmanager.config).to.equal(undefined);
      // A diverging cluster copy is reported (the parity check is not vacuous on these values).
      const diverged = structuredClone(config);
      (diverged.route as Block).group_by = ['alertname', 'namespace', 'severity'];
      diverged.inhibit_rules = diverged.inhibit_rules?.slice(0, 1);
      expect(alertmanagerDivergence(local, diverged)).to.include.members([
        'route.group_by[1]',
        'inhibit_rules[1]',
      ]);
      const amtool = spawnSync('amtool', ['--version'], { encoding: 'utf8' });
      if (amtool.status !== 0) return; // optional tool; the structural checks above ran
      const dir = mkdtempSync(join(tmpdir(), 'payflow-alertmanager-'));
      try {
        const file = join(dir, 'alertmanager.yml');
        writeFileSync(file, JSON.stringify(config));
        const check = spawnSync('amtool', ['check-config', file], { encoding: 'utf8' });
        expect(check.status, `${check.stdout}${check.stderr}`).to.equal(0);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('the platform-resources release carries the alert rules of monitoring/alerts', () => {
      const values = evaluate(exampleInputs('production'))('platform_resources')[0] as {
        prometheusRules: { groups: { rules: { alert?: string }[] }[] };
        clusterSecretStore: { name: string; namespaces: string[] };
        alerting: { secretName: string };
      };
      const alerts = values.prometheusRules.groups.flatMap((g) => g.rules.map((r) => r.alert));
      expect(alerts).to.include.members([
        'HighErrorRate',
        'HighLatency',
        'PodCrashLooping',
        'CertificateExpiring',
      ]);
      expect(values.clusterSecretStore).to.deep.equal({
        name: CLUSTER_SECRET_STORE,
        namespaces: ['payflow', 'monitoring'],
      });
      expect(values.alerting.secretName).to.equal('payflow/production/alerting');
    });

    const rejected: [string, Record<string, unknown>][] = [
      ['a retention of 0 days', { loki_retention_days: 0 }],
      ['a Prometheus retention above 90 days', { prometheus_retention_days: 365 }],
      ['4 Prometheus replicas', { prometheus_replicas: 4 }],
      ['a Grafana hostname with a scheme', { grafana_hostname: 'https://grafana.example.com' }],
      ['a VPC id that is not one', { vpc_id: 'subnet-0123456789abcdef0' }],
      ['a Kubernetes version with a patch', { cluster_version: '1.36.1' }],
      ['a Kubernetes version EKS no longer offers', { cluster_version: '1.31' }],
      ['a cluster endpoint over http', { cluster_endpoint: 'http://example.com' }],
      [
        'a cluster endpoint with a path (its host is the TLS server name)',
        { cluster_endpoint: 'https://0123456789ABCDEF.gr7.eu-west-3.eks.amazonaws.com/api' },
      ],
      [
        'a tunnel that does not end on this machine',
        { cluster_tunnel_url: 'https://203.0.113.10:8443' },
      ],
    ];
    itRejectsInputs('platform', tf, expressions, exampleInputs('staging'), rejected);

    const publicGrafana = withPublicGrafana(exampleInputs('staging'));
    itRejectsInputs('platform', tf, expressions, publicGrafana, [
      ['a public Grafana without an allow-list', { grafana_allowed_cidrs: [] }],
      ['a public Grafana open to everyone', { grafana_allowed_cidrs: ['0.0.0.0/0'] }],
      [
        'a public Grafana with more addresses than a listener rule matches',
        { grafana_allowed_cidrs: ['192.0.2.1/32', '192.0.2.2/32', '192.0.2.3/32', '192.0.2.4/32'] },
      ],
      ['a public Grafana without its Cognito user pool', { grafana_cognito_user_pool_arn: '' }],
      ['a public Grafana without its Cognito app client', { grafana_cognito_client_id: '' }],
      ['a public Grafana without its Cognito domain', { grafana_cognito_domain: '' }],
      [
        'a public Grafana without HTTPS (no DNS zone)',
        { certificate_arn: '', api_hostname: '', grafana_hostname: '' },
      ],
    ]);
  });
});
