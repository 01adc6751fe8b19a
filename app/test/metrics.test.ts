// /metrics in its two formats: OpenMetrics (asked for by Prometheus) carries the trace id of a
// sampled request as an exemplar of its latency sample; the Prometheus text format (curl, other
// scrapers) has no exemplar and stays valid for promtool.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { createMetrics, type Metrics } from '../src/metrics';
import {
  createTestDatabase,
  deleteRedisKeys,
  freePort,
  jsonLines,
  sharedServers,
  spawnEntryPoint,
  testKeyPrefix,
  waitFor,
  waitUntilListening,
  type SpawnedProcess,
  type TestDatabase,
  hangGuardMillis,
} from './support/servers';
import { migrate } from './support/service';

/** What Prometheus 2.x sends when it scrapes. */
const prometheusAccept =
  'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';
const openMetricsType = 'application/openmetrics-text; version=1.0.0; charset=utf-8';
const textType = 'text/plain; version=0.0.4; charset=utf-8';

/** A Content-Type header as media type and sorted parameters (Express reorders them). */
function mediaType(header: string | null): string[] {
  const [type = '', ...parameters] = (header ?? '').split(';').map((part) => part.trim());
  return [type, ...parameters.sort()];
}

/** ` # {labels} value timestamp` at the end of a sample line. */
const exemplarSuffix = / # \{([^}]*)\} (\S+) (\S+)$/;

interface Promtool {
  status: number | null;
  output: string;
}

/** promtool's `check metrics` (Prometheus text format parser and linter) on `text`. */
function promtoolCheck(context: Mocha.Context, text: string): Promtool {
  const run = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  if ((run.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') {
    const message = 'promtool not found on PATH (Debian: apt-get install prometheus)';
    if (process.env.CI) throw new Error(`${message}: CI must provide it`);
    console.warn(`\n    !!! SKIPPED: ${message}\n`);
    context.skip();
  }
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

/**
 * Asserts that promtool parses `text` as the Prometheus text format. Its linter may only
 * complain about prom-client's default Node.js gauges named `…_total`, which are not ours.
 */
function expectValidPrometheusText(context: Mocha.Context, text: string): void {
  const { status, output } = promtoolCheck(context, text);
  expect(status, output).to.be.oneOf([0, 3]);
  const problems = output.split('\n').filter((line) => line.trim() !== '');
  for (const problem of problems) {
    expect(problem).to.match(/^nodejs_active_\w+_total non-counter metrics should not have/);
  }
}

function sampleLines(body: string, prefix: string): string[] {
  return body.split('\n').filter((line) => line.startsWith(prefix));
}

describe('metrics exposition', function () {
  describe('formats of one set of metrics', function () {
    let metrics: Metrics;
    const traceId = randomBytes(16).toString('hex');

    beforeEach(function () {
      metrics = createMetrics({
        appVersion: '1.2.3-metrics',
        pool: () => ({ totalCount: 2, idleCount: 1, waitingCount: 0 }),
        redisConnected: () => true,
      });
      metrics.httpRequests.labels('GET', '/users', '200').inc();
      const exemplarLabels: Partial<Record<string, string>> = { trace_id: traceId };
      metrics.httpDuration.observe({
        labels: { method: 'GET', route: '/users', status_code: '200' },
        value: 0.02,
        exemplarLabels,
      });
      metrics.httpDuration.labels('GET', '/users', '200').observe(0.3);
    });

    it('OpenMetrics: the exemplar sits on the bucket of its value, counters are OpenMetrics families', async function () {
      const { contentType, body } = await metrics.expose('openmetrics');
      expect(contentType).to.equal(openMetricsType);
      expect(body.endsWith('\n# EOF\n')).to.equal(true);
      const withExemplar = sampleLines(body, 'http_request_duration_seconds_bucket').filter(
        (line) => exemplarSuffix.test(line),
      );
      expect(withExemplar).to.have.length(1);
      expect(withExemplar[0]).to.match(
        /^http_request_duration_seconds_bucket\{le="0\.025",method="GET",route="\/users",status_code="200"\} 1 # /,
      );
      const [, labels, value, timestamp] = exemplarSuffix.exec(withExemplar[0] ?? '') ?? [];
      expect(labels).to.equal(`trace_id="${traceId}"`);
      expect(Number(value)).to.equal(0.02);
      expect(Math.abs(Number(timestamp) - Date.now() / 1000)).to.be.below(60);
      // The unsampled observation (0.3 s) counts without an exemplar.
      expect(body).to.match(
        /\nhttp_request_duration_seconds_bucket\{le="0\.5",method="GET",route="\/users",status_code="200"\} 2\n/,
      );
      expect(body).to.include(
        '# TYPE http_requests counter\nhttp_requests_total{method="GET",route="/users",status_code="200"} 1\n',
      );
    });

    it('Prometheus text: no exemplar, counters keep `_total`, also after OpenMetrics scrapes', async function () {
      const before = await metrics.expose('prometheus');
      await metrics.expose('openmetrics');
      await metrics.expose('openmetrics');
      const after = await metrics.expose('prometheus');
      for (const { contentType, body } of [before, after]) {
        expect(contentType).to.equal(textType);
        expect(body).to.not.include(' # {');
        expect(body).to.not.include(traceId);
        expect(body).to.not.include('# EOF');
        expect(body).to.include(
          '# TYPE http_requests_total counter\nhttp_requests_total{method="GET",route="/users",status_code="200"} 1\n',
        );
        expect(body).to.include('# TYPE process_cpu_seconds_total counter\n');
        expect(body).to.match(
          /\nhttp_request_duration_seconds_bucket\{le="0\.025",method="GET",route="\/users",status_code="200"\} 1\n/,
        );
        expectValidPrometheusText(this, body);
      }
    });

    it('promtool check rejects the OpenMetrics output (the validity check above can fail)', async function () {
      const { body } = await metrics.expose('openmetrics');
      const { status, output } = promtoolCheck(this, body);
      expect(status).to.equal(1);
      expect(output).to.include('parsing error');
    });

    it('both formats list the same metric families', async function () {
      const families = (body: string) =>
        body
          .split('\n')
          .filter((line) => line.startsWith('# TYPE '))
          .map((line) => (line.split(' ')[2] ?? '').replace(/_total$/, ''));
      const openMetrics = families((await metrics.expose('openmetrics')).body);
      expect(openMetrics.length).to.be.above(20);
      expect(families((await metrics.expose('prometheus')).body)).to.deep.equal(openMetrics);
    });
  });

  describe('the API process', function () {
    this.timeout(60000);
    let database: TestDatabase;
    let server: SpawnedProcess | undefined;
    let port = 0;
    const keyPrefix = testKeyPrefix('metrics');
    const sampledTrace = randomBytes(16).toString('hex');
    const unsampledTrace = randomBytes(16).toString('hex');
    const traceparent = (traceId: string, flags: '00' | '01') =>
      `00-${traceId}-${randomBytes(8).toString('hex')}-${flags}`;
    const scrape = (accept?: string) =>
      fetch(`http://127.0.0.1:${port}/metrics`, {
        headers: accept === undefined ? {} : { accept },
      });

    before(async function () {
      database = await createTestDatabase('metrics');
      await migrate(database.url);
      port = await freePort();
      server = spawnEntryPoint('server', {
        DATABASE_URL: database.url,
        REDIS_URL: sharedServers().redisUrl,
        REDIS_KEY_PREFIX: keyPrefix,
        PORT: String(port),
        APP_ENV: 'test',
        LOG_LEVEL: 'info',
        TRACE_SAMPLE_RATIO: '1',
      });
      await waitUntilListening(server);
      expect(server.child.exitCode, server.stderr.join('\n')).to.equal(null);
      // Parent-based sampling: the caller's sampled flag decides.
      const sampled = await fetch(`http://127.0.0.1:${port}/users`, {
        headers: { traceparent: traceparent(sampledTrace, '01') },
      });
      expect(sampled.status).to.equal(200);
      const unsampled = await fetch(`http://127.0.0.1:${port}/api/v1/payments/${randomUUID()}`, {
        headers: { traceparent: traceparent(unsampledTrace, '00') },
      });
      expect(unsampled.status).to.equal(404);
    });

    after(async function () {
      if (server && server.child.exitCode === null) {
        server.child.kill('SIGTERM');
        await server.exit;
      }
      if (!database) return;
      await deleteRedisKeys(sharedServers().redisUrl, keyPrefix);
      await database.drop();
    });

    it("serves OpenMetrics to Prometheus' Accept header, the sampled request's trace id as exemplar", async function () {
      const response = await scrape(prometheusAccept);
      expect(response.status).to.equal(200);
      expect(mediaType(response.headers.get('content-type'))).to.deep.equal(
        mediaType(openMetricsType),
      );
      expect(response.headers.get('vary')).to.match(/accept/i);
      const body = await response.text();
      expect(body.endsWith('\n# EOF\n')).to.equal(true);
      const users = sampleLines(body, 'http_request_duration_seconds_bucket{le=').filter((line) =>
        line.includes('route="/users",status_code="200"'),
      );
      const exemplars = users.flatMap((line) => exemplarSuffix.exec(line)?.[1] ?? []);
      expect(exemplars, users.join('\n')).to.deep.equal([`trace_id="${sampledTrace}"`]);
      // The same id as the request's log line (Loki) and its exported span (Tempo).
      const lines = jsonLines(server?.stdout ?? []);
      const logged = lines.find((l) => l.msg === 'request completed' && l.route === '/users');
      expect(logged?.trace_id).to.equal(sampledTrace);
      // Spans leave in batches, a second apart.
      await waitFor(
        () =>
          jsonLines(server?.stdout ?? []).some(
            (l) => l.msg === 'span' && l.trace_id === sampledTrace,
          ),
        hangGuardMillis,
        'the span of the sampled request',
      );
    });

    it('puts no exemplar on a request whose trace is not sampled', async function () {
      const body = await (await scrape('application/openmetrics-text')).text();
      expect(body).to.not.include(unsampledTrace);
      const notFound = sampleLines(body, 'http_request_duration_seconds_bucket{le=').filter(
        (line) => line.includes('route="/api/v1/payments/:id",status_code="404"'),
      );
      expect(notFound).to.have.length(13);
      expect(notFound.filter((line) => exemplarSuffix.test(line))).to.deep.equal([]);
      const logged = jsonLines(server?.stdout ?? []).find(
        (l) => l.msg === 'request completed' && l.route === '/api/v1/payments/:id',
      );
      expect(logged?.trace_id).to.equal(unsampledTrace);
    });

    for (const accept of [undefined, '*/*', 'text/plain', 'application/json']) {
      it(`serves valid Prometheus text without exemplars to Accept: ${accept ?? '(none)'}`, async function () {
        const response = await scrape(accept);
        expect(response.status).to.equal(200);
        expect(mediaType(response.headers.get('content-type'))).to.deep.equal(mediaType(textType));
        const body = await response.text();
        expect(body).to.include('route="/users",status_code="200"');
        expect(body).to.not.include(' # {');
        expect(body).to.not.include(sampledTrace);
        expect(body).to.include('# TYPE http_requests_total counter\n');
        expectValidPrometheusText(this, body);
      });
    }
  });
});
