// Telemetry settings that trade detail for speed: trace sampling and the asynchronous log
// destination. Both must keep what they promise (no lost log line, every request logged with
// its trace id whether or not its trace is recorded).
import { context, propagation, ROOT_CONTEXT, trace, TraceFlags } from '@opentelemetry/api';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import http from 'node:http';
import {
  appRoot,
  createTestDatabase,
  deleteRedisKeys,
  freePort,
  jsonLines,
  sharedServers,
  spawnEntryPoint,
  testKeyPrefix,
  waitUntilListening,
  type SpawnedProcess,
  type TestDatabase,
} from './support/servers';
import { migrate } from './support/service';
import { createLogger } from '../src/telemetry/logger';

describe('telemetry', function () {
  describe('asynchronous log destination', function () {
    it('loses no line when the process exits right after logging', async function () {
      // 20 000 lines written asynchronously, then process.exit: pino's exit hook must flush
      // what is still buffered.
      const script = `
        const { createLogger } = require('./src/telemetry/logger');
        const logger = createLogger({ level: 'info', appVersion: 't', appEnv: 'test' });
        for (let i = 0; i < 20000; i += 1) logger.info({ i }, 'line');
        process.exit(0);
      `;
      const child = spawn(process.execPath, ['--require', 'tsx/cjs', '-e', script], {
        cwd: appRoot,
        env: { PATH: process.env.PATH },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let text = '';
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (chunk: string) => (text += chunk));
      const [code] = (await once(child, 'close')) as [number | null];
      expect(code).to.equal(0);
      const lines = jsonLines(text.split('\n').filter((line) => line !== ''));
      expect(lines).to.have.length(20000);
      expect(lines[19999]?.i).to.equal(19999);
    });
  });

  describe('log lines and the active span', function () {
    it("carry the active span's ids, or the ids the line names itself (the request line)", async function () {
      // A registered provider brings the context manager that makes a span active.
      const provider = new NodeTracerProvider();
      provider.register();
      try {
        const written: string[] = [];
        const logger = createLogger(
          { level: 'info', appVersion: 't', appEnv: 'test' },
          { write: (line: string) => void written.push(line) },
        );
        const active = trace.wrapSpanContext({
          traceId: 'a'.repeat(32),
          spanId: 'b'.repeat(16),
          traceFlags: TraceFlags.SAMPLED,
        });
        context.with(trace.setSpan(ROOT_CONTEXT, active), () => {
          logger.info('inside a span');
          logger.info({ trace_id: 'c'.repeat(32), span_id: 'd'.repeat(16), route: '/x' }, 'own');
        });
        logger.info('outside');
        const [inside, own, outside] = jsonLines(written);
        expect(inside).to.include({ trace_id: 'a'.repeat(32), span_id: 'b'.repeat(16) });
        expect(own).to.include({ trace_id: 'c'.repeat(32), span_id: 'd'.repeat(16), route: '/x' });
        expect(outside).to.not.have.property('trace_id');
      } finally {
        await provider.shutdown();
        trace.disable();
        context.disable();
        propagation.disable();
      }
    });
  });

  describe('the API process with TRACE_SAMPLE_RATIO', function () {
    this.timeout(60000);
    let database: TestDatabase;
    const keyPrefix = testKeyPrefix('telemetry');
    const children: SpawnedProcess[] = [];

    before(async function () {
      database = await createTestDatabase('telemetry');
      await migrate(database.url);
    });

    after(async function () {
      for (const child of children) if (child.child.exitCode === null) child.child.kill('SIGKILL');
      await deleteRedisKeys(sharedServers().redisUrl, keyPrefix);
      await database?.drop();
    });

    it('refuses to start on an invalid ratio, naming the variable', async function () {
      const run = spawnEntryPoint('server', {
        DATABASE_URL: database.url,
        REDIS_URL: sharedServers().redisUrl,
        PORT: String(await freePort()),
        TRACE_SAMPLE_RATIO: '2',
      });
      children.push(run);
      expect(await run.exit).to.equal(1);
      // The usual one configuration line, not a stack trace.
      expect(run.stderr.join('\n').trim()).to.equal(
        'payflow-api: invalid configuration: TRACE_SAMPLE_RATIO must be a number between 0 and 1 (got "2")',
      );
    });

    it('at 0 exports no span of a new trace, yet still logs every request with a trace id', async function () {
      const exportedTraces: string[] = [];
      const receiver = http.createServer((req, res) => {
        let text = '';
        req.setEncoding('utf8');
        req.on('data', (chunk: string) => (text += chunk));
        req.on('end', () => {
          // OTLP/HTTP JSON: trace ids as hex strings.
          const body = JSON.parse(text) as {
            resourceSpans?: Array<{ scopeSpans: Array<{ spans: Array<{ traceId: string }> }> }>;
          };
          for (const resource of body.resourceSpans ?? []) {
            for (const scope of resource.scopeSpans) {
              for (const span of scope.spans) exportedTraces.push(span.traceId);
            }
          }
          res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
        });
      });
      receiver.listen(0, '127.0.0.1');
      await once(receiver, 'listening');
      // Two callers' traces: one they sampled, one they did not (W3C traceparent flags 01, 00).
      const sampledTrace = '4bf92f3577b34da6a3ce929d0e0e4736';
      const unsampledTrace = '0af7651916cd43dd8448eb211c80319c';
      try {
        const port = await freePort();
        const server = spawnEntryPoint('server', {
          DATABASE_URL: database.url,
          REDIS_URL: sharedServers().redisUrl,
          REDIS_KEY_PREFIX: keyPrefix,
          PORT: String(port),
          APP_ENV: 'test',
          OTLP_ENDPOINT: `127.0.0.1:${(receiver.address() as { port: number }).port}`,
          TRACE_SAMPLE_RATIO: '0',
        });
        children.push(server);
        await waitUntilListening(server);
        const created = await fetch(`http://127.0.0.1:${port}/api/v1/payments`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'idempotency-key': 'sampled-out' },
          body: JSON.stringify({ amount: 3 }),
        });
        expect(created.status).to.equal(201);
        expect((await fetch(`http://127.0.0.1:${port}/users`)).status).to.equal(200);
        const traced = (trace: string, flags: string) =>
          fetch(`http://127.0.0.1:${port}/users`, {
            headers: { traceparent: `00-${trace}-00f067aa0ba902b7-${flags}` },
          });
        expect((await traced(sampledTrace, '01')).status).to.equal(200);
        expect((await traced(unsampledTrace, '00')).status).to.equal(200);
        server.child.kill('SIGTERM'); // shutdown flushes the span processor
        expect(await server.exit).to.equal(0);

        // Parent-based: only the trace the caller sampled is recorded, whatever the ratio.
        expect(exportedTraces).to.include(sampledTrace);
        expect(new Set(exportedTraces)).to.deep.equal(new Set([sampledTrace]));
        const lines = jsonLines(server.stdout);
        expect(lines.find((l) => l.msg === 'tracing started')?.sample_ratio).to.equal(0);
        const requests = lines.filter((l) => l.msg === 'request completed');
        expect(requests.map((l) => l.route)).to.include.members(['/api/v1/payments', '/users']);
        for (const line of requests) {
          expect(line.trace_id).to.match(/^[0-9a-f]{32}$/);
          expect(line.span_id).to.match(/^[0-9a-f]{16}$/);
        }
        // A request left out of the sample still logs under its caller's trace.
        expect(requests.map((l) => l.trace_id)).to.include.members([sampledTrace, unsampledTrace]);
      } finally {
        receiver.close();
      }
    });
  });
});
