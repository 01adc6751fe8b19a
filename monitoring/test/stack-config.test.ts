// The configuration files that docker compose mounts (and the platform stack reuses): Prometheus,
// Alertmanager, Grafana provisioning, Loki, Tempo and Alloy. Prometheus and Alertmanager are
// checked by their own tools; the others (no binary on this machine) structurally.
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { type Route, receiversFor } from './alertmanager-routing';
import { findExecutable, requireTool, runTool } from './external-tools';
import { allRules, loadRuleFile, monitoringDir, rulesPath } from './rule-files';

type Yaml = Record<string, unknown>;
const read = (...path: string[]) => readFileSync(join(monitoringDir, ...path), 'utf8');
const readYaml = (...path: string[]) => parse(read(...path)) as Yaml;
const at = (value: unknown, ...keys: (string | number)[]): unknown =>
  keys.reduce<unknown>((v, k) => (v as Record<string | number, unknown> | undefined)?.[k], value);

interface AlertmanagerConfig {
  global?: Yaml;
  route: Route;
  receivers: ({ name: string } & Yaml)[];
}

/** Secrets written into the Alertmanager config instead of read from a mounted file. */
export function inlineSecrets(config: unknown, path = ''): string[] {
  if (typeof config === 'string')
    return /hooks\.slack\.com|^https?:\/\/\S+:\S+@/.test(config) ? [path] : [];
  if (Array.isArray(config)) return config.flatMap((v, i) => inlineSecrets(v, `${path}[${i}]`));
  if (config && typeof config === 'object') {
    return Object.entries(config).flatMap(([key, value]) => {
      const here = path ? `${path}.${key}` : key;
      const secretKey =
        /^(api_url|slack_api_url|url|routing_key|service_key|password|token|auth_password)$/;
      if (secretKey.test(key) && typeof value === 'string') return [here];
      return inlineSecrets(value, here);
    });
  }
  return [];
}

describe('monitoring stack configuration', function () {
  let scratch: string;
  before(function () {
    scratch = mkdtempSync(join(tmpdir(), 'payflow-stack-config-'));
  });
  after(function () {
    rmSync(scratch, { recursive: true, force: true });
  });

  describe('prometheus/scrape-config.yaml', function () {
    const config = readYaml('prometheus', 'scrape-config.yaml');
    const jobs = at(config, 'scrape_configs') as {
      job_name: string;
      static_configs?: { targets: string[] }[];
    }[];

    it('is a valid Prometheus configuration (promtool check config)', function () {
      const promtool = requireTool(this, 'promtool', 'Debian: apt-get install prometheus');
      const result = runTool(promtool, [
        'check',
        'config',
        join(monitoringDir, 'prometheus', 'scrape-config.yaml'),
      ]);
      expect(result.status, result.output).to.equal(0);
    });

    it('scrapes the API at api:8080 under a job name the alerts select (payflow.*)', function () {
      const api = jobs.find((job) =>
        job.static_configs?.some((s) => s.targets.includes('api:8080')),
      );
      expect(api?.job_name).to.match(/^payflow/);
      expect(at(api, 'metrics_path') ?? '/metrics').to.equal('/metrics');
    });

    it('loads the rules mounted at /etc/prometheus/rules and alerts alertmanager:9093', function () {
      expect(at(config, 'rule_files')).to.deep.equal(['/etc/prometheus/rules/*.yaml']);
      expect(
        at(config, 'alerting', 'alertmanagers', 0, 'static_configs', 0, 'targets'),
      ).to.deep.equal(['alertmanager:9093']);
    });
  });

  describe('alertmanager/alertmanager.yml', function () {
    const path = join(monitoringDir, 'alertmanager', 'alertmanager.yml');
    const config = parse(readFileSync(path, 'utf8')) as AlertmanagerConfig;

    it('is accepted by amtool check-config (when amtool is installed)', function () {
      const amtool = findExecutable('amtool');
      if (!amtool) {
        // Optional tool (Debian prometheus-alertmanager): the structural checks below still run.
        console.warn(
          '\n    !!! SKIPPED: amtool not found (apt-get install prometheus-alertmanager)\n',
        );
        this.skip();
      }
      const result = runTool(amtool, ['check-config', path]);
      expect(result.status, result.output).to.equal(0);
    });

    it('is rejected by amtool when a route names an unknown receiver', function () {
      const amtool = findExecutable('amtool');
      if (!amtool) this.skip();
      const broken = join(scratch, 'alertmanager.yml');
      writeFileSync(
        broken,
        readFileSync(path, 'utf8').replace('- receiver: critical', '- receiver: nobody'),
      );
      expect(runTool(amtool, ['check-config', broken]).status).to.not.equal(0);
    });

    it('routes critical and warning alerts to two different receivers', function () {
      const routes = config.route.routes ?? [];
      const receiverFor = (severity: string) =>
        routes.find((r) => r.matchers?.includes(`severity="${severity}"`))?.receiver;
      expect(receiverFor('critical')).to.be.a('string');
      expect(receiverFor('warning')).to.be.a('string');
      expect(receiverFor('critical')).to.not.equal(receiverFor('warning'));
      const names = config.receivers.map((r) => r.name);
      for (const r of [config.route, ...routes]) expect(names).to.include(r.receiver);
    });

    // Where each kind of alert goes. The platform route only ever matches in the cluster, where
    // kube-prometheus-stack's own rules carry origin="kube-prometheus-stack".
    const routingCases: [string, Record<string, string>, string[]][] = [
      [
        'a PayFlow page',
        { alertname: 'HighErrorRate', severity: 'critical', job: 'payflow' },
        ['critical'],
      ],
      [
        'a PayFlow warning',
        { alertname: 'HighLatency', severity: 'warning', job: 'payflow' },
        ['warning'],
      ],
      [
        "a critical alert of the chart's rules",
        { alertname: 'KubeletDown', severity: 'critical', origin: 'kube-prometheus-stack' },
        ['platform'],
      ],
      [
        "a warning of the chart's rules",
        { alertname: 'KubeJobFailed', severity: 'warning', origin: 'kube-prometheus-stack' },
        ['platform'],
      ],
      [
        'Watchdog',
        { alertname: 'Watchdog', severity: 'none', origin: 'kube-prometheus-stack' },
        ['null'],
      ],
      [
        "an info alert of the chart's rules",
        { alertname: 'CPUThrottlingHigh', severity: 'info', origin: 'kube-prometheus-stack' },
        ['null'],
      ],
    ];

    it("routes PayFlow pages, PayFlow warnings and the chart's platform alerts to their receivers", function () {
      for (const [what, labels, expected] of routingCases) {
        expect(receiversFor(config.route, labels), what).to.deep.equal(expected);
      }
      // Every PayFlow alert has a severity that reaches the critical or warning receiver.
      for (const rule of allRules(loadRuleFile(rulesPath)).filter((r) => r.alert)) {
        expect(receiversFor(config.route, rule.labels ?? {}), rule.alert).to.have.members([
          rule.labels?.severity as string,
        ]);
      }
    });

    it('the routing check sees a misrouted alert (chart alert paging, routes reordered)', function () {
      const chartCritical = routingCases[2]?.[1] as Record<string, string>;
      const reordered = { ...config.route, routes: [...(config.route.routes ?? [])].reverse() };
      expect(receiversFor(reordered, chartCritical)).to.deep.equal(['critical']);
      const withoutPlatform = {
        ...config.route,
        routes: (config.route.routes ?? []).filter((r) => r.receiver !== 'platform'),
      };
      expect(receiversFor(withoutPlatform, chartCritical)).to.deep.equal(['critical']);
    });

    it('amtool resolves the same receivers as the routing check (when amtool is installed)', function () {
      const amtool = findExecutable('amtool');
      if (!amtool) this.skip();
      for (const [what, labels, expected] of routingCases) {
        const result = runTool(amtool, [
          'config',
          'routes',
          'test',
          `--config.file=${path}`,
          `--verify.receivers=${expected.join(',')}`,
          ...Object.entries(labels).map(([k, v]) => `${k}=${v}`),
        ]);
        expect(result.status, `${what}: ${result.output}`).to.equal(0);
      }
    });

    it('every Slack message carries the summary, description and runbook link of each alert', function () {
      const slack = config.receivers.flatMap((r) => (r.slack_configs as Yaml[] | undefined) ?? []);
      expect(slack.length).to.be.greaterThan(0);
      for (const message of slack) {
        for (const annotation of ['summary', 'description', 'runbook_url']) {
          expect(message.text, annotation).to.include(`.Annotations.${annotation}`);
        }
        expect(message.send_resolved).to.equal(true);
      }
    });

    it('reads the Slack webhook from a mounted secret file, never from the file itself', function () {
      expect(inlineSecrets(config)).to.deep.equal([]);
      expect(at(config, 'global', 'slack_api_url_file')).to.match(
        /^\/etc\/alertmanager\/secrets\//,
      );
    });

    it('reports a webhook written into the configuration', function () {
      const leaky = {
        receivers: [
          {
            name: 'x',
            slack_configs: [{ api_url: 'https://hooks.slack.com/services/T/B/change-me' }],
          },
        ],
      };
      expect(inlineSecrets(leaky)).to.deep.equal(['receivers[0].slack_configs[0].api_url']);
    });
  });

  describe('grafana/provisioning', function () {
    it('provisions Prometheus, Loki and Tempo with the uids the dashboards use, linked together', function () {
      const sources = at(
        readYaml('grafana', 'provisioning', 'datasources', 'datasources.yaml'),
        'datasources',
      ) as Yaml[];
      const byUid = new Map(sources.map((s) => [s.uid as string, s]));
      expect(at(byUid.get('prometheus'), 'url')).to.equal('http://prometheus:9090');
      expect(at(byUid.get('loki'), 'url')).to.equal('http://loki:3100');
      expect(at(byUid.get('tempo'), 'url')).to.equal('http://tempo:3200');
      expect(
        at(byUid.get('prometheus'), 'jsonData', 'exemplarTraceIdDestinations', 0, 'datasourceUid'),
      ).to.equal('tempo');
      expect(at(byUid.get('loki'), 'jsonData', 'derivedFields', 0, 'datasourceUid')).to.equal(
        'tempo',
      );
      expect(at(byUid.get('tempo'), 'jsonData', 'tracesToLogsV2', 'datasourceUid')).to.equal(
        'loki',
      );
      // Grafana expands $VAR in provisioning files: Grafana's own ${...} must be written $${...}.
      const text = read('grafana', 'provisioning', 'datasources', 'datasources.yaml');
      expect(text.match(/(?<!\$)\$\{/g) ?? []).to.deep.equal([]);
    });

    it('loads the dashboards from /var/lib/grafana/dashboards', function () {
      const providers = at(
        readYaml('grafana', 'provisioning', 'dashboards', 'dashboards.yaml'),
        'providers',
      );
      expect(at(providers, 0, 'options', 'path')).to.equal('/var/lib/grafana/dashboards');
    });
  });

  describe('loki, tempo and alloy', function () {
    it('Loki listens on 3100 and deletes logs after its retention period', function () {
      const loki = readYaml('loki', 'loki-config.yaml');
      expect(at(loki, 'server', 'http_listen_port')).to.equal(3100);
      expect(at(loki, 'limits_config', 'retention_period')).to.match(/^\d+[hd]$/);
      expect(at(loki, 'compactor', 'retention_enabled')).to.equal(true);
      // Loki 3 refuses retention without a delete request store.
      expect(at(loki, 'compactor', 'delete_request_store')).to.equal('filesystem');
      expect(at(loki, 'schema_config', 'configs', 0, 'schema')).to.equal('v13');
    });

    it('Tempo receives OTLP/HTTP on 4318 from other containers and keeps traces for its retention', function () {
      const tempo = readYaml('tempo', 'tempo-config.yaml');
      expect(at(tempo, 'server', 'http_listen_port')).to.equal(3200);
      expect(
        at(tempo, 'distributor', 'receivers', 'otlp', 'protocols', 'http', 'endpoint'),
      ).to.equal('0.0.0.0:4318');
      expect(at(tempo, 'compactor', 'compaction', 'block_retention')).to.match(/^\d+h$/);
    });

    it("Alloy ships the containers' logs to Loki with the service_name the dashboard selects", function () {
      const alloy = read('alloy', 'config.alloy');
      expect(alloy).to.include('url = "http://loki:3100/loki/api/v1/push"');
      expect(alloy).to.match(
        /target_label\s*=\s*"service_name"\s*\n\s*replacement\s*=\s*"payflow-api"/,
      );
      // every block opened is closed: a cheap guard against a truncated edit
      expect((alloy.match(/\{/g) ?? []).length).to.equal((alloy.match(/\}/g) ?? []).length);
    });
  });
});
