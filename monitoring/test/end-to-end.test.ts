// End to end: the real API (app/dist/server.js) on its own freshly migrated database and its own
// Redis, traffic with 2xx, 4xx and 5xx answers (the 5xx come from cutting PostgreSQL and Redis
// away), a real Prometheus (Debian's) scraping it with a configuration derived from
// prometheus/scrape-config.yaml and loading the real rules, then checks through Prometheus' HTTP
// API: every metric the alerts and the dashboard read exists (apart from the exporters listed in
// externalMetrics), the error-rate expressions see the errors, and the alerts go pending.
// The API's spans go to a small OTLP/HTTP receiver here, to check that log lines and spans share
// their trace ids (what Grafana's Loki → Tempo link relies on).
import { expect } from 'chai';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import {
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { parse, stringify } from 'yaml';
import { loadDashboard, promQueries, resolveVariables, variableValues } from './dashboard-queries';
import { requireTool } from './external-tools';
import { allRules, loadRuleFile, monitoringDir, repoRoot, rulesPath } from './rule-files';
import { metricNamesOf } from './promql';

/** Metrics read by the alerts or the dashboard that the API does not export, by exporter. */
export const externalMetrics: Record<string, readonly string[]> = {
  'kube-state-metrics': [
    'kube_deployment_status_replicas_unavailable',
    'kube_horizontalpodautoscaler_spec_max_replicas',
    'kube_horizontalpodautoscaler_status_current_replicas',
    'kube_horizontalpodautoscaler_status_desired_replicas',
    'kube_pod_container_status_restarts_total',
  ],
  'node-exporter': ['node_filesystem_avail_bytes', 'node_filesystem_size_bytes'],
  kubelet: ['kubelet_volume_stats_available_bytes', 'kubelet_volume_stats_capacity_bytes'],
  'blackbox-exporter': ['probe_ssl_earliest_cert_expiry'],
};

const appDir = join(repoRoot, 'app');
const apiJob = 'payflow-api';

function unavailable(context: Mocha.Context, reason: string): never {
  if (process.env.CI) throw new Error(`end-to-end monitoring test cannot run: ${reason}`);
  console.warn(`\n    !!! SKIPPED end-to-end monitoring test: ${reason}\n`);
  context.skip();
}

function newestMtime(dir: string): number {
  return readdirSync(dir).reduce((newest, name) => {
    const path = join(dir, name);
    const stat = statSync(path);
    return Math.max(newest, stat.isDirectory() ? newestMtime(path) : stat.mtimeMs);
  }, 0);
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createNetServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(),
      );
    });
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor<T>(
  what: string,
  timeoutMs: number,
  probe: () => Promise<T | undefined>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    await sleep(200);
  }
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`,
  );
}

/** A child process whose output is kept (the tail) for failure messages. */
class ManagedProcess {
  readonly child: ChildProcess;
  output = '';
  constructor(
    readonly name: string,
    command: string,
    args: string[],
    env: NodeJS.ProcessEnv = process.env,
  ) {
    this.child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (chunk: Buffer) => {
      this.output = (this.output + chunk.toString()).slice(-200_000);
    };
    this.child.stdout?.on('data', keep);
    this.child.stderr?.on('data', keep);
  }
  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (!this.running) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
  tail(lines = 30): string {
    return `--- ${this.name} output (tail) ---\n${this.output.split('\n').slice(-lines).join('\n')}`;
  }
}

interface PromVectorSample {
  metric: Record<string, string>;
  value: [number, string];
}

interface PromRule {
  name: string;
  type: 'alerting' | 'recording';
  health: string;
  lastError?: string;
  state?: string;
  alerts?: { labels: Record<string, string>; state: string }[];
}

describe('monitoring end to end: real API, real Prometheus, real rules', function () {
  // Generous: on a loaded 2-core CI machine, starting Prometheus and the API takes a while.
  this.timeout(240_000);

  const processes: ManagedProcess[] = [];
  let scratch = '';
  let adminUrl = '';
  let databaseName = '';
  let prometheusUrl = '';
  let api: ManagedProcess | undefined;
  const spans = new Set<string>();
  let otlpServer: Server | undefined;
  const answered = new Map<number, number>();

  async function prometheus<T>(path: string, params: Record<string, string> = {}): Promise<T> {
    const url = new URL(`${prometheusUrl}${path}`);
    for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
    const response = await fetch(url);
    const body = (await response.json()) as { status: string; data: T; error?: string };
    if (body.status !== 'success') throw new Error(`${path}: ${body.error ?? response.status}`);
    return body.data;
  }

  async function query(expr: string): Promise<PromVectorSample[]> {
    const data = await prometheus<{ resultType: string; result: PromVectorSample[] }>(
      '/api/v1/query',
      {
        query: expr,
      },
    );
    return data.result;
  }

  async function rules(): Promise<PromRule[]> {
    const data = await prometheus<{ groups: { rules: PromRule[] }[] }>('/api/v1/rules');
    return data.groups.flatMap((group) => group.rules);
  }

  before(async function () {
    const prometheusBin = requireTool(this, 'prometheus', 'Debian: apt-get install prometheus');
    const redisServer = requireTool(this, 'redis-server', 'Debian: apt-get install redis-server');
    adminUrl = process.env.DATABASE_URL ?? '';
    if (!adminUrl)
      unavailable(this, 'DATABASE_URL is not set (a PostgreSQL server to create a database on)');
    if (!existsSync(join(appDir, 'package.json')))
      unavailable(this, 'app/package.json does not exist yet');
    if (!existsSync(join(appDir, 'node_modules')))
      unavailable(this, 'app/node_modules is missing (make install)');

    // Build the API when dist/ is missing or older than its sources.
    const server = join(appDir, 'dist', 'server.js');
    if (!existsSync(server) || statSync(server).mtimeMs < newestMtime(join(appDir, 'src'))) {
      const build = spawnSync('npm', ['run', 'build'], {
        cwd: appDir,
        encoding: 'utf8',
        timeout: 180_000,
      });
      if (build.status !== 0)
        throw new Error(`cd app && npm run build failed:\n${build.stdout}${build.stderr}`);
    }
    for (const entry of ['server.js', 'migrate.js']) {
      if (!existsSync(join(appDir, 'dist', entry)))
        unavailable(this, `app/dist/${entry} is not built`);
    }

    scratch = mkdtempSync(join(tmpdir(), 'payflow-monitoring-e2e-'));

    // Own database, migrated by the API's migration command.
    databaseName = `payflow_monitoring_${randomBytes(4).toString('hex')}`;
    const admin = new Client({ connectionString: adminUrl });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE ${databaseName}`);
    } finally {
      await admin.end();
    }
    const databaseUrl = new URL(adminUrl);
    databaseUrl.pathname = `/${databaseName}`;
    const migrate = spawnSync(process.execPath, [join(appDir, 'dist', 'migrate.js')], {
      env: { ...process.env, DATABASE_URL: databaseUrl.toString(), LOG_LEVEL: 'warn' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    if (migrate.status !== 0)
      throw new Error(`migrate.js failed:\n${migrate.stdout}${migrate.stderr}`);

    // Own Redis, so that the test can take it away.
    const redisPort = await freePort();
    const redis = new ManagedProcess('redis-server', redisServer, [
      '--port',
      String(redisPort),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      scratch,
    ]);
    processes.push(redis);

    // OTLP/HTTP receiver standing in for Tempo: records the trace ids of the spans it gets.
    otlpServer = createHttpServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        for (const match of body.matchAll(/"traceId":"([0-9a-f]{32})"/g))
          spans.add(match[1] as string);
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    const otlpPort = await freePort();
    await new Promise<void>((resolve) => otlpServer?.listen(otlpPort, '127.0.0.1', resolve));

    const apiPort = await freePort();
    api = new ManagedProcess('api', process.execPath, [server], {
      ...process.env,
      PORT: String(apiPort),
      DATABASE_URL: databaseUrl.toString(),
      REDIS_URL: `redis://127.0.0.1:${redisPort}`,
      REDIS_KEY_PREFIX: `payflow-monitoring-e2e:`,
      APP_ENV: 'test',
      APP_VERSION: 'e2e',
      LOG_LEVEL: 'info',
      OTLP_ENDPOINT: `http://127.0.0.1:${otlpPort}`,
      // Fail fast while the dependencies are cut away.
      PG_CONNECTION_TIMEOUT_MS: '300',
      REDIS_COMMAND_TIMEOUT_MS: '200',
      REDIS_CONNECT_TIMEOUT_MS: '200',
      READINESS_TIMEOUT_MS: '300',
    });
    processes.push(api);
    const apiUrl = `http://127.0.0.1:${apiPort}`;
    await waitFor('the API to answer /ready', 20_000, async () => {
      if (!api?.running) throw new Error(`the API exited\n${api?.tail()}`);
      return (await fetch(`${apiUrl}/ready`)).status === 200 ? true : undefined;
    });

    // Prometheus with the local stack's configuration, pointed at this API, scraping every second.
    const base = parse(
      readFileSync(join(monitoringDir, 'prometheus', 'scrape-config.yaml'), 'utf8'),
    ) as {
      global: Record<string, unknown>;
      scrape_configs: { job_name: string }[];
    };
    const apiScrape = base.scrape_configs.find((job) => job.job_name === apiJob);
    if (!apiScrape) throw new Error(`scrape-config.yaml has no ${apiJob} job`);
    const config = {
      global: {
        ...base.global,
        scrape_interval: '1s',
        scrape_timeout: '1s',
        evaluation_interval: '1s',
      },
      rule_files: [rulesPath],
      scrape_configs: [{ ...apiScrape, static_configs: [{ targets: [`127.0.0.1:${apiPort}`] }] }],
    };
    writeFileSync(join(scratch, 'prometheus.yaml'), stringify(config));
    const prometheusPort = await freePort();
    prometheusUrl = `http://127.0.0.1:${prometheusPort}`;
    const prom = new ManagedProcess('prometheus', prometheusBin, [
      `--config.file=${join(scratch, 'prometheus.yaml')}`,
      `--storage.tsdb.path=${join(scratch, 'tsdb')}`,
      `--web.listen-address=127.0.0.1:${prometheusPort}`,
      '--log.level=warn',
      // As in docker-compose.yml: keeps the trace ids the API attaches to latency samples.
      '--enable-feature=exemplar-storage',
    ]);
    processes.push(prom);
    await waitFor('Prometheus to be ready', 20_000, async () => {
      if (!prom.running) throw new Error(`Prometheus exited\n${prom.tail()}`);
      return (await fetch(`${prometheusUrl}/-/ready`)).ok ? true : undefined;
    });

    // Prometheus starts scraping a few seconds after it is ready: traffic before its first
    // scrape would be invisible to rate().
    await waitFor('the first scrape of the API', 20_000, async () =>
      (await query(`up{job="${apiJob}"}`)).length > 0 ? true : undefined,
    );

    const call = async (
      method: string,
      path: string,
      body?: unknown,
      headers: Record<string, string> = {},
    ) => {
      // A hung request must fail this test with a reason, not stall it until mocha's timeout.
      // The API's own worst case is 5.5 s (docs/reliability.md); the bound leaves room for a
      // machine loaded by other work.
      const limitMillis = 30_000;
      const response = await fetch(`${apiUrl}${path}`, {
        method,
        headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(limitMillis),
      }).catch((error: unknown) => {
        throw new Error(
          `${method} ${path}: no answer within ${limitMillis} ms (${String(error)})\n${api?.tail() ?? ''}`,
        );
      });
      await response.arrayBuffer();
      answered.set(response.status, (answered.get(response.status) ?? 0) + 1);
      return response;
    };

    // Healthy traffic: 2xx and 4xx over a few scrapes.
    let created: string | undefined;
    const healthyUntil = Date.now() + 3000;
    while (Date.now() < healthyUntil) {
      const key = randomUUID();
      const payment = await call(
        'POST',
        '/api/v1/payments',
        { amount: 12.5, currency: 'EUR' },
        { 'Idempotency-Key': key },
      );
      if (payment.status === 201) created ??= payment.headers.get('location')?.split('/').pop();
      await call(
        'POST',
        '/api/v1/payments',
        { amount: 12.5, currency: 'EUR' },
        { 'Idempotency-Key': key },
      );
      await call('POST', '/api/v1/payments', { amount: 900, currency: 'USD' });
      await call('POST', '/api/v1/payments', { amount: -1, currency: 'EUR' });
      await call('GET', `/api/v1/payments/${randomUUID()}`);
      await call('GET', '/api/v1/payments?limit=2');
      await call('GET', '/users');
      await call('GET', '/no-such-route');
      await call('GET', '/health');
      await call('GET', '/ready');
      await sleep(200);
    }

    // Cut the dependencies away: stop Redis, and refuse connections to this test's database.
    await redis.stop('SIGKILL');
    const cutter = new Client({ connectionString: adminUrl });
    await cutter.connect();
    try {
      await cutter.query(`ALTER DATABASE ${databaseName} ALLOW_CONNECTIONS false`);
      await cutter.query(
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1',
        [databaseName],
      );
    } finally {
      await cutter.end();
    }
    const faultyUntil = Date.now() + 4000;
    while (Date.now() < faultyUntil) {
      await Promise.all([
        call(
          'POST',
          '/api/v1/payments',
          { amount: 3, currency: 'EUR' },
          { 'Idempotency-Key': randomUUID() },
        ),
        call('POST', '/api/v1/payments', { amount: 4, currency: 'USD' }),
        call('GET', `/api/v1/payments/${created ?? randomUUID()}`),
        call('GET', '/api/v1/payments?limit=2'),
        call('GET', '/ready'),
      ]);
      await sleep(50);
    }
    // The last errors must be scraped, and the 5m-window recording rule evaluated on them.
    await waitFor('the recorded 5xx ratio to be above 0', 20_000, async () => {
      const result = await query(`job:payflow_http_errors:ratio_rate5m{job="${apiJob}"} > 0`);
      return result.length > 0 ? true : undefined;
    });
  });

  after(async function () {
    for (const process of processes.reverse()) await process.stop();
    await new Promise<void>((resolve) =>
      otlpServer ? otlpServer.close(() => resolve()) : resolve(),
    );
    if (databaseName) {
      const admin = new Client({ connectionString: adminUrl });
      await admin.connect();
      try {
        await admin.query(`DROP DATABASE IF EXISTS ${databaseName} WITH (FORCE)`);
      } finally {
        await admin.end();
      }
    }
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed') {
      for (const process of processes) console.error(process.tail());
      console.error(`HTTP statuses answered: ${JSON.stringify(Object.fromEntries(answered))}`);
    }
  });

  it('drove 2xx, 4xx and 5xx answers out of the API', function () {
    const count = (from: number) =>
      [...answered]
        .filter(([status]) => status >= from && status < from + 100)
        .reduce((n, [, c]) => n + c, 0);
    expect(count(200), 'successful answers').to.be.above(0);
    expect(count(400), '4xx answers').to.be.above(0);
    expect(count(500), '5xx answers (dependencies cut away)').to.be.above(0);
  });

  it('scrapes the API (up == 1) and evaluates every rule without error', async function () {
    // Over the whole run, not the last scrape: with a 1 s scrape timeout, one slow answer on a
    // loaded machine sets up to 0 for a second without anything being wrong.
    const up = await query(`max_over_time(up{job="${apiJob}"}[10m])`);
    expect(up.map((s) => s.value[1])).to.deep.equal(['1']);
    const loaded = await rules();
    expect(loaded).to.have.lengthOf(allRules(loadRuleFile()).length);
    const broken = loaded
      .filter((rule) => rule.health === 'err')
      .map((rule) => `${rule.name}: ${rule.lastError}`);
    expect(broken).to.deep.equal([]);
  });

  it('has every metric the alerts and the dashboard read, apart from the external exporters', async function () {
    const dashboard = loadDashboard();
    const values = variableValues(dashboard, { job: apiJob });
    const expressions = [
      ...allRules(loadRuleFile()).map((rule) => rule.expr),
      ...promQueries(dashboard).map((q) => resolveVariables(q.expr, values)),
    ];
    const used = new Set(expressions.flatMap(metricNamesOf));
    const external = new Set(Object.values(externalMetrics).flat());
    const present = new Set(await prometheus<string[]>('/api/v1/label/__name__/values'));
    const missing = [...used].filter((name) => !external.has(name) && !present.has(name)).sort();
    expect(
      missing,
      'metrics read by alerts or dashboard that Prometheus does not have',
    ).to.deep.equal([]);
    const stale = [...external].filter((name) => !used.has(name));
    expect(stale, 'externalMetrics entries that nothing reads any more').to.deep.equal([]);
    const exportedByApi = [...external].filter((name) => present.has(name));
    expect(exportedByApi, 'externalMetrics entries that the API exports itself').to.deep.equal([]);
  });

  it('sees the injected errors in the error-rate expressions of the alert and the dashboard', async function () {
    const recorded = await query(`job:payflow_http_errors:ratio_rate5m{job="${apiJob}"}`);
    const ratio = Number(recorded[0]?.value[1]);
    expect(ratio).to.be.above(0);
    console.log(
      `      answers by status ${JSON.stringify(Object.fromEntries(answered))}; ` +
        `5xx ratio seen by Prometheus ${(ratio * 100).toFixed(1)}%`,
    );

    const dashboard = loadDashboard();
    const values = variableValues(dashboard, { job: apiJob });
    const errorPanel = promQueries(dashboard).filter((q) => q.source.includes('(Error rate'));
    expect(errorPanel).to.have.lengthOf(2);
    for (const panelQuery of errorPanel) {
      const result = await query(resolveVariables(panelQuery.expr, values));
      expect(
        Number(result[0]?.value[1]),
        `${panelQuery.source}: ${JSON.stringify(result)}`,
      ).to.be.above(0);
    }
  });

  it('activates HighErrorRate and DependencyDown on the injected faults', async function () {
    // Listed alerts are pending, or firing once their "for" (5m, 1m) has elapsed: which of the
    // two depends only on how long this run took, so either counts.
    const alerting = (await rules()).filter((rule) => rule.type === 'alerting');
    const active = (name: string) =>
      alerting.filter((rule) => rule.name === name).flatMap((rule) => rule.alerts ?? []);
    expect(active('HighErrorRate').map((a) => a.labels.job)).to.include(apiJob);
    const dependencies = active('DependencyDown').map((a) => a.labels.dependency);
    expect(dependencies).to.include('postgres');
  });

  it('counts payments per currency', async function () {
    const result = await query(`sum by (currency) (payments_created_total{job="${apiJob}"})`);
    expect(result.map((s) => s.metric.currency)).to.include.members(['EUR', 'USD']);
  });

  it('stores latency exemplars whose trace_id is a logged request exported over OTLP', async function () {
    const now = Date.now() / 1000;
    const series = await prometheus<
      { seriesLabels: Record<string, string>; exemplars: { labels: Record<string, string> }[] }[]
    >('/api/v1/query_exemplars', {
      query: `http_request_duration_seconds_bucket{job="${apiJob}"}`,
      start: String(now - 600),
      end: String(now),
    });
    const traceIds = new Set(
      series.flatMap((s) => s.exemplars.map((exemplar) => exemplar.labels.trace_id ?? '')),
    );
    expect(traceIds.size, 'exemplars of http_request_duration_seconds').to.be.above(0);
    expect([...traceIds].filter((id) => !/^[0-9a-f]{32}$/.test(id))).to.deep.equal([]);
    expect(series.map((s) => s.seriesLabels.__name__)).to.satisfy((names: string[]) =>
      names.every((name) => name === 'http_request_duration_seconds_bucket'),
    );
    const logged = new Set(
      (api?.output ?? '')
        .split('\n')
        .filter((line) => line.includes('"request completed"'))
        .flatMap((line) => /"trace_id":"([0-9a-f]{32})"/.exec(line)?.[1] ?? []),
    );
    // The kept output is a tail: early requests' lines may be gone, not all of them.
    expect(
      [...traceIds].some((id) => logged.has(id)),
      'an exemplar trace id in a request log line',
    ).to.equal(true);
    // Spans leave in batches: wait until every exemplar's trace has arrived.
    await waitFor('the traces of the exemplars among the exported spans', 10_000, async () =>
      [...traceIds].every((id) => spans.has(id)) ? true : undefined,
    );
  });

  it('logs request lines whose trace_id belongs to a span exported over OTLP', async function () {
    const logged = new Set(
      (api?.output ?? '')
        .split('\n')
        .filter((line) => line.includes('"request completed"'))
        .flatMap((line) => /"trace_id":"([0-9a-f]{32})"/.exec(line)?.[1] ?? []),
    );
    expect(logged.size, 'request log lines with a trace_id').to.be.above(0);
    await waitFor('a logged trace id among the exported spans', 10_000, async () =>
      [...logged].some((id) => spans.has(id)) ? true : undefined,
    );
  });
});
