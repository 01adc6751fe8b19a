// The API as a real process (src/server.ts): start-up refusals, the YAML configuration
// contract end to end, graceful shutdown with a request in flight, and OTLP trace export whose
// trace ids match the JSON log lines.
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  appRoot,
  canConnect,
  createTestDatabase,
  deleteRedisKeys,
  freePort,
  holdIdempotencyKey,
  jsonLines,
  sharedServers,
  spawnEntryPoint,
  testKeyPrefix,
  waitFor,
  waitForLockWaiter,
  waitUntilListening,
  type SpawnedProcess,
  type TestDatabase,
  hangGuardMillis,
} from './support/servers';
import { migrate } from './support/service';

interface ExportedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
}

/**
 * A POST whose body leaves 200 ms after its headers: the server reads it in a later socket event
 * than the one that started the request, outside the context the request entered then.
 */
function postWithLateBody(port: number, path: string, body: unknown, headers = {}) {
  const text = JSON.stringify(body);
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(text),
          ...headers,
        },
      },
      (res) => {
        let answer = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (answer += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: answer }));
      },
    );
    req.on('error', reject);
    req.flushHeaders();
    setTimeout(() => req.end(text), 200);
  });
}

describe('the API process', function () {
  this.timeout(60000);
  let migrated: TestDatabase;
  let empty: TestDatabase;
  let dir: string;
  const keyPrefix = testKeyPrefix('process');
  const children: SpawnedProcess[] = [];

  const baseEnv = (port: number): NodeJS.ProcessEnv => ({
    DATABASE_URL: migrated.url,
    REDIS_URL: sharedServers().redisUrl,
    REDIS_KEY_PREFIX: keyPrefix,
    PORT: String(port),
    APP_ENV: 'test',
    APP_VERSION: '3.2.1-process',
  });

  async function startServer(
    env: NodeJS.ProcessEnv,
    port: number,
    from: 'src' | 'dist' = 'src',
  ): Promise<SpawnedProcess> {
    const server = spawnEntryPoint('server', env, from);
    children.push(server);
    await waitUntilListening(server);
    expect(server.child.exitCode, server.stderr.join('\n')).to.equal(null);
    expect(port).to.be.greaterThan(0);
    return server;
  }

  function call(
    port: number,
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ) {
    return fetch(`http://127.0.0.1:${port}${path}`, {
      method,
      headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  }

  before(async function () {
    migrated = await createTestDatabase('process');
    await migrate(migrated.url);
    empty = await createTestDatabase('process_empty');
    dir = mkdtempSync(join(tmpdir(), 'payflow-process-'));
  });

  after(async function () {
    for (const child of children) if (child.child.exitCode === null) child.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    await deleteRedisKeys(sharedServers().redisUrl, keyPrefix);
    await migrated?.drop();
    await empty?.drop();
  });

  it('refuses to start with one line naming a missing variable', async function () {
    const run = spawnEntryPoint('server', {});
    expect(await run.exit).to.equal(1);
    expect(run.stderr).to.deep.equal([
      'payflow-api: invalid configuration: DATABASE_URL is required (or POSTGRES_CONFIGURATION + POSTGRES_PASSWORD, or PGHOST/PGUSER/PGPASSWORD)',
    ]);
  });

  it('refuses to start when a Redis setting comes without REDIS_URL (a forgotten REDIS_URL)', async function () {
    const run = spawnEntryPoint('server', {
      DATABASE_URL: migrated.url,
      REDIS_KEY_PREFIX: keyPrefix,
    });
    expect(await run.exit).to.equal(1);
    expect(run.stderr).to.deep.equal([
      'payflow-api: invalid configuration: REDIS_KEY_PREFIX set without REDIS_URL: set REDIS_URL to use Redis, or remove it to run on PostgreSQL alone',
    ]);
  });

  describe("the built server with the SRE brief's settings alone", function () {
    // node dist/server.js, as the image runs it, with POSTGRES_CONFIGURATION (YAML) and
    // POSTGRES_PASSWORD: no REDIS_URL, no other setting. PORT is the image's own variable
    // (PORT=8080 in app/Dockerfile), moved to a free port on a shared machine.
    let server: SpawnedProcess;
    let port: number;

    before(async function () {
      this.timeout(180000);
      execFileSync(
        process.execPath,
        [join(appRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'],
        {
          cwd: appRoot,
          stdio: 'inherit',
        },
      );
      const shared = new URL(migrated.url);
      const file = join(dir, 'sre-brief.yaml');
      writeFileSync(
        file,
        `host: ${shared.hostname}\nport: ${shared.port || 5432}\nuser: ${decodeURIComponent(shared.username)}\nname: ${migrated.name}\nssl_mode: disable\n`,
      );
      port = await freePort();
      server = await startServer(
        {
          POSTGRES_CONFIGURATION: file,
          POSTGRES_PASSWORD: decodeURIComponent(shared.password),
          PORT: String(port),
        },
        port,
        'dist',
      );
    });

    after(async function () {
      if (server?.child.exitCode === null) {
        server.child.kill('SIGTERM');
        await server.exit;
      }
    });

    it('answers GET /users, /readiness and /liveness with 200', async function () {
      const users = await call(port, 'GET', '/users');
      expect(users.status).to.equal(200);
      expect(((await users.json()) as unknown[]).length).to.equal(6);
      const readiness = await call(port, 'GET', '/readiness');
      expect(readiness.status).to.equal(200);
      expect(await readiness.json()).to.deep.equal({
        status: 'ready',
        checks: { postgres: 'ok', redis: 'disabled' },
      });
      expect((await call(port, 'GET', '/liveness')).status).to.equal(200);
    });

    it('keeps Idempotency-Key on PostgreSQL alone: a retry replays, another body is refused', async function () {
      const key = { 'Idempotency-Key': 'sre-brief-1' };
      const first = await call(port, 'POST', '/api/v1/payments', { amount: 12 }, key);
      const retry = await call(port, 'POST', '/api/v1/payments', { amount: 12 }, key);
      const other = await call(port, 'POST', '/api/v1/payments', { amount: 13 }, key);
      expect([first.status, retry.status, other.status]).to.deep.equal([201, 201, 422]);
      expect(retry.headers.get('idempotent-replayed')).to.equal('true');
      expect(((await retry.json()) as { id: string }).id).to.equal(
        ((await first.json()) as { id: string }).id,
      );
    });

    it('says once that Redis is disabled, and exits 0 on SIGTERM', async function () {
      server.child.kill('SIGTERM');
      expect(await server.exit).to.equal(0);
      const disabled = jsonLines(server.stdout).filter(
        (line) =>
          line.msg === 'Redis disabled (no REDIS_URL): idempotency is served by PostgreSQL alone',
      );
      expect(disabled).to.have.length(1);
    });
  });

  it('refuses to start with one line when POSTGRES_PASSWORD is missing for the YAML file', async function () {
    const file = join(dir, 'postgres.yaml');
    writeFileSync(file, 'host: 127.0.0.1\nuser: postgres\nname: payflow\n');
    const run = spawnEntryPoint('server', {
      POSTGRES_CONFIGURATION: file,
      REDIS_URL: sharedServers().redisUrl,
    });
    expect(await run.exit).to.equal(1);
    expect(run.stderr).to.deep.equal([
      'payflow-api: invalid configuration: POSTGRES_PASSWORD is required when POSTGRES_CONFIGURATION is set (or POSTGRES_PASSWORD_FILE, a file holding it)',
    ]);
  });

  it('refuses to start when the schema is behind, saying which migrations are pending', async function () {
    const run = spawnEntryPoint('server', {
      ...baseEnv(await freePort()),
      DATABASE_URL: empty.url,
    });
    expect(await run.exit).to.equal(1);
    expect(run.stderr).to.have.length(1);
    expect(run.stderr[0]).to.match(
      /^payflow-api: database schema is behind: 4 pending migration\(s\) \(1764000000000_create-users, .*\); run "npm run migrate"/,
    );
  });

  it('serves with POSTGRES_CONFIGURATION (YAML) + POSTGRES_PASSWORD, the seed contract', async function () {
    const shared = new URL(migrated.url);
    const file = join(dir, 'postgres-ok.yaml');
    writeFileSync(
      file,
      `host: ${shared.hostname}\nport: ${shared.port || 5432}\nuser: ${decodeURIComponent(shared.username)}\nname: ${migrated.name}\nssl_mode: disable\n`,
    );
    const port = await freePort();
    const env = baseEnv(port);
    delete env.DATABASE_URL;
    const server = await startServer(
      {
        ...env,
        POSTGRES_CONFIGURATION: file,
        POSTGRES_PASSWORD: decodeURIComponent(shared.password),
      },
      port,
    );
    const ready = await call(port, 'GET', '/ready');
    expect(ready.status).to.equal(200);
    expect(await ready.json()).to.deep.equal({
      status: 'ready',
      checks: { postgres: 'ok', redis: 'ok' },
    });
    const users = await call(port, 'GET', '/users');
    expect(((await users.json()) as unknown[]).length).to.equal(6);
    server.child.kill('SIGINT');
    expect(await server.exit).to.equal(0);
  });

  it('on SIGTERM: readiness 503 at once, the in-flight request completes, exit code 0', async function () {
    const port = await freePort();
    const server = await startServer({ ...baseEnv(port), SHUTDOWN_DELAY_MS: '1000' }, port);
    // Hold the idempotency key's row in an open transaction: the POST blocks in PostgreSQL.
    const held = await holdIdempotencyKey(migrated.url, 'shutdown-inflight');
    const inFlight = call(
      port,
      'POST',
      '/api/v1/payments',
      { amount: 10 },
      { 'Idempotency-Key': 'shutdown-inflight' },
    );
    await waitForLockWaiter(migrated.url);
    server.child.kill('SIGTERM');
    await waitFor(
      () => server.stdout.some((l) => l.includes('shutdown started')),
      hangGuardMillis,
      'shutdown to start',
    );
    const ready = await call(port, 'GET', '/readiness');
    expect(ready.status).to.equal(503);
    const readyBody = (await ready.json()) as { status: string; reasons: { shutdown: string } };
    expect(readyBody.status).to.equal('not ready');
    expect(readyBody.reasons.shutdown).to.equal('instance is shutting down');
    // Past the delay: the listener is closed, but the POST is still in flight.
    await waitFor(async () => !(await canConnect(port)), 20_000, 'the listener to close');
    expect(server.child.exitCode).to.equal(null);
    await held.release();
    const response = await inFlight;
    expect(response.status).to.equal(201);
    expect(((await response.json()) as { status: string }).status).to.equal('pending');
    expect(await server.exit).to.equal(0);
    expect(
      server.stdout.some((l) => l.includes('"forced":false') && l.includes('shutdown complete')),
    ).to.equal(true);
  });

  it('exports spans over OTLP/HTTP (host:port form) that name the routes and match the log trace ids', async function () {
    const received: Array<Record<string, unknown>> = [];
    const receiver = http.createServer((req, res) => {
      let text = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => (text += chunk));
      req.on('end', () => {
        received.push({
          path: req.url,
          contentType: req.headers['content-type'],
          body: JSON.parse(text),
        });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    receiver.listen(0, '127.0.0.1');
    await once(receiver, 'listening');
    const receiverPort = (receiver.address() as { port: number }).port;
    try {
      const port = await freePort();
      const server = await startServer(
        { ...baseEnv(port), OTLP_ENDPOINT: `127.0.0.1:${receiverPort}` },
        port,
      );
      const created = await postWithLateBody(
        port,
        '/api/v1/payments',
        { amount: 15 },
        { 'Idempotency-Key': 'otlp-1' },
      );
      expect(created.status).to.equal(201);
      const id = (JSON.parse(created.body) as { id: string }).id;
      // The retry reads the stored answer from Redis (a traced GET).
      const replayed = await call(
        port,
        'POST',
        '/api/v1/payments',
        { amount: 15 },
        { 'Idempotency-Key': 'otlp-1' },
      );
      expect(replayed.headers.get('idempotent-replayed')).to.equal('true');
      expect((await call(port, 'GET', `/api/v1/payments/${id}`)).status).to.equal(200);
      expect((await call(port, 'GET', '/users')).status).to.equal(200);
      // Probes and scrapes are not traced, yet log with ids: the caller's trace id when a
      // traceparent comes along (even a sampled one: no span is recorded), else new ones.
      const callerTrace = randomBytes(16).toString('hex');
      const callerSpan = randomBytes(8).toString('hex');
      expect(
        (
          await call(port, 'GET', '/health', undefined, {
            traceparent: `00-${callerTrace}-${callerSpan}-01`,
          })
        ).status,
      ).to.equal(200);
      expect((await call(port, 'GET', '/ready')).status).to.equal(200);
      expect((await call(port, 'GET', '/ready')).status).to.equal(200);
      expect((await call(port, 'GET', '/metrics')).status).to.equal(200);
      server.child.kill('SIGTERM'); // shutdown flushes the batch processor
      expect(await server.exit).to.equal(0);

      expect(received.length).to.be.greaterThan(0);
      expect(received.every((r) => r.path === '/v1/traces')).to.equal(true);
      const spans: ExportedSpan[] = [];
      const resourceAttributes = new Map<string, unknown>();
      for (const payload of received) {
        const body = payload.body as {
          resourceSpans: Array<{
            resource: { attributes: Array<{ key: string; value: { stringValue?: string } }> };
            scopeSpans: Array<{ spans: ExportedSpan[] }>;
          }>;
        };
        for (const resourceSpan of body.resourceSpans) {
          for (const attribute of resourceSpan.resource.attributes) {
            resourceAttributes.set(attribute.key, attribute.value.stringValue);
          }
          for (const scope of resourceSpan.scopeSpans) spans.push(...scope.spans);
        }
      }
      expect(resourceAttributes.get('service.name')).to.equal('payflow-api');
      expect(resourceAttributes.get('service.version')).to.equal('3.2.1-process');
      expect(resourceAttributes.get('deployment.environment')).to.equal('test');
      const names = spans.map((s) => s.name);
      expect(names).to.include.members([
        'POST /api/v1/payments',
        'GET /api/v1/payments/:id',
        'GET /users',
      ]);
      expect(names).to.include('redis-GET');
      // The copy of the answer into Redis runs after the answer has left: not traced.
      expect(names).to.not.include('redis-SET');
      // The statement of the POST whose body came late is a child of that POST's span.
      const posts = spans.filter((s) => s.name === 'POST /api/v1/payments');
      const claims = spans.filter(
        (s) => s.name.startsWith('pg.query') && posts.some((p) => p.spanId === s.parentSpanId),
      );
      expect(claims.length, names.join(', ')).to.equal(posts.length);

      const exportedTraceIds = new Set(spans.map((s) => s.traceId));
      const requestLines = jsonLines(server.stdout).filter(
        (line) => line.msg === 'request completed',
      );
      expect(requestLines.map((l) => l.route)).to.include.members([
        '/api/v1/payments',
        '/api/v1/payments/:id',
        '/users',
        '/health',
        '/ready',
        '/metrics',
      ]);
      for (const line of requestLines) {
        expect(line.trace_id, JSON.stringify(line)).to.match(/^[0-9a-f]{32}$/);
        expect(line.span_id, JSON.stringify(line)).to.match(/^[0-9a-f]{16}$/);
      }
      const untraced = new Set(['/health', '/ready', '/metrics']);
      for (const line of requestLines.filter((l) => !untraced.has(l.route as string))) {
        expect(
          exportedTraceIds.has(line.trace_id as string),
          `trace ${String(line.trace_id)} exported`,
        ).to.equal(true);
        const serverSpan = spans.find((s) => s.spanId === line.span_id);
        expect(serverSpan?.name).to.equal(`${String(line.method)} ${String(line.route)}`);
      }
      const probes = requestLines.filter((l) => untraced.has(l.route as string));
      for (const line of probes) {
        expect(exportedTraceIds.has(line.trace_id as string), JSON.stringify(line)).to.equal(false);
      }
      const health = probes.find((l) => l.route === '/health');
      expect(health?.trace_id).to.equal(callerTrace);
      expect(health?.span_id).to.not.equal(callerSpan);
      const ready = probes.filter((l) => l.route === '/ready').map((l) => l.trace_id);
      expect(ready).to.have.length(2);
      expect(ready[0]).to.not.equal(ready[1]);
    } finally {
      receiver.close();
    }
  });

  it('writes spans to stdout as JSON lines when OTLP_ENDPOINT is unset', async function () {
    const port = await freePort();
    const server = await startServer(baseEnv(port), port);
    expect((await call(port, 'GET', '/users')).status).to.equal(200);
    server.child.kill('SIGTERM');
    expect(await server.exit).to.equal(0);
    const lines = jsonLines(server.stdout);
    const span = lines.find((l) => l.msg === 'span' && l.name === 'GET /users');
    const logged = lines.find((l) => l.msg === 'request completed' && l.route === '/users');
    expect(span?.trace_id).to.be.a('string').and.equal(logged?.trace_id);
    expect(lines.find((l) => l.msg === 'tracing started')?.exporter).to.equal('stdout');
  });
});
