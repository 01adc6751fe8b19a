// Operational hardening: the PostgreSQL password read from POSTGRES_PASSWORD_FILE for every new
// connection (a real role whose password is changed under a running API), readiness that can
// tolerate Redis (READINESS_REQUIRES_REDIS=false), and requests refused by Node's HTTP parser
// answered in the API's JSON error shape (raw sockets against the real process).
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import request from 'supertest';
import { ConfigError, loadConfig, loadPostgresConfig } from '../src/config';
import {
  PrivateRedis,
  TcpProxy,
  createTestDatabase,
  freePort,
  hangGuardMillis,
  proxied,
  sharedServers,
  spawnEntryPoint,
  testKeyPrefix,
  type SpawnedProcess,
  type TestDatabase,
  uniqueName,
  waitFor,
  waitUntilListening,
} from './support/servers';
import { migrate, startInProcess, type InProcessService } from './support/service';

const redisEnv = { REDIS_URL: 'redis://127.0.0.1:6379' };

function configFailure(env: NodeJS.ProcessEnv): string {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).to.be.instanceOf(ConfigError);
    expect((error as Error).message).to.not.include('\n');
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
}

/** Replaces a file the way the kubelet updates a Secret volume: a new file swapped in at once. */
function replaceFile(path: string, text: string): void {
  const next = `${path}.${randomBytes(4).toString('hex')}`;
  writeFileSync(next, text);
  renameSync(next, path);
}

async function startApi(env: NodeJS.ProcessEnv): Promise<SpawnedProcess> {
  const api = spawnEntryPoint('server', env);
  await waitUntilListening(api);
  expect(api.child.exitCode, api.stderr.join('\n')).to.equal(null);
  return api;
}

async function stopApi(api: SpawnedProcess | undefined): Promise<void> {
  if (!api || api.child.exitCode !== null) return;
  api.child.kill('SIGTERM');
  await api.exit;
}

describe('operations', function () {
  this.timeout(60000);
  let dir: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'payflow-operations-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  describe('configuration: POSTGRES_PASSWORD_FILE and READINESS_REQUIRES_REDIS', function () {
    const yaml = () => {
      const path = join(dir, `pg-${randomBytes(4).toString('hex')}.yaml`);
      writeFileSync(path, 'host: db.internal\nuser: payflow\nname: payments\n');
      return path;
    };
    const passwordFile = (text: string) => {
      const path = join(dir, `password-${randomBytes(4).toString('hex')}`);
      writeFileSync(path, text);
      return path;
    };

    it('reads the password from the file again for every connection, without its newline', async function () {
      const file = passwordFile('first-secret\n');
      const config = loadPostgresConfig({
        POSTGRES_CONFIGURATION: yaml(),
        POSTGRES_PASSWORD_FILE: file,
      });
      expect(config.password).to.be.a('function');
      const read = config.password as () => Promise<string>;
      expect(await read()).to.equal('first-secret');
      replaceFile(file, 'rotated-secret\r\n');
      expect(await read()).to.equal('rotated-secret');
    });

    it('a file that disappears later fails the connection attempt as unavailable (08001)', async function () {
      const file = passwordFile('secret');
      const read = loadPostgresConfig({
        POSTGRES_CONFIGURATION: yaml(),
        POSTGRES_PASSWORD_FILE: file,
      }).password as () => Promise<string>;
      rmSync(file);
      const error = await read().then(
        () => undefined,
        (failure: unknown) => failure as Error & { code?: string },
      );
      expect(error?.message).to.match(/cannot read POSTGRES_PASSWORD_FILE .* \(ENOENT\)$/);
      expect(error?.code).to.equal('08001');
    });

    const refusals: Array<[string, () => NodeJS.ProcessEnv, RegExp]> = [
      [
        'both POSTGRES_PASSWORD and POSTGRES_PASSWORD_FILE',
        () => ({
          POSTGRES_CONFIGURATION: yaml(),
          POSTGRES_PASSWORD: 'p',
          POSTGRES_PASSWORD_FILE: passwordFile('p'),
        }),
        /^set either POSTGRES_PASSWORD or POSTGRES_PASSWORD_FILE, not both$/,
      ],
      [
        'neither of them',
        () => ({ POSTGRES_CONFIGURATION: yaml() }),
        /^POSTGRES_PASSWORD is required when POSTGRES_CONFIGURATION is set \(or POSTGRES_PASSWORD_FILE/,
      ],
      [
        'a missing file',
        () => ({
          POSTGRES_CONFIGURATION: yaml(),
          POSTGRES_PASSWORD_FILE: join(dir, 'absent'),
        }),
        /^POSTGRES_PASSWORD_FILE: cannot read .*absent \(ENOENT\)$/,
      ],
      [
        'an empty file',
        () => ({ POSTGRES_CONFIGURATION: yaml(), POSTGRES_PASSWORD_FILE: passwordFile('\n') }),
        /^POSTGRES_PASSWORD_FILE: .* is empty$/,
      ],
      [
        'a file without POSTGRES_CONFIGURATION',
        () => ({
          DATABASE_URL: 'postgres://u:p@h:5432/d',
          POSTGRES_PASSWORD_FILE: passwordFile('p'),
        }),
        /^POSTGRES_PASSWORD_FILE is only used with POSTGRES_CONFIGURATION/,
      ],
    ];
    for (const [what, env, pattern] of refusals) {
      it(`refuses ${what} with one line`, function () {
        expect(configFailure({ ...redisEnv, ...env() })).to.match(pattern);
      });
    }

    it('READINESS_REQUIRES_REDIS is true by default, accepts false and refuses anything else', function () {
      const base = { ...redisEnv, DATABASE_URL: 'postgres://u:p@h:5432/d' };
      expect(loadConfig(base).readinessRequiresRedis).to.equal(true);
      const requires = (value: string) =>
        loadConfig({ ...base, READINESS_REQUIRES_REDIS: value }).readinessRequiresRedis;
      expect(requires('false')).to.equal(false);
      expect(requires('TRUE')).to.equal(true);
      expect(configFailure({ ...base, READINESS_REQUIRES_REDIS: 'no' })).to.equal(
        'READINESS_REQUIRES_REDIS must be true or false (got "no")',
      );
    });
  });

  describe('a PostgreSQL password rotated under the running API (POSTGRES_PASSWORD_FILE)', function () {
    const role = uniqueName('payflow_rotation');
    const firstPassword = randomBytes(12).toString('hex');
    const rotatedPassword = randomBytes(12).toString('hex');
    let admin: Client;
    let database: TestDatabase;
    let api: SpawnedProcess | undefined;
    let port: number;
    let passwordPath: string;

    const ready = async () => {
      const response = await fetch(`http://127.0.0.1:${port}/ready`);
      return {
        status: response.status,
        body: (await response.json()) as { reasons?: { postgres?: string } },
      };
    };
    const createPayment = () =>
      fetch(`http://127.0.0.1:${port}/api/v1/payments`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ amount: 12.5 }),
      });
    const terminateRoleConnections = async () =>
      (
        await admin.query(
          'SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE usename = $1',
          [role],
        )
      ).rows[0] as { n: number };

    before(async function () {
      const { databaseUrl, redisUrl } = sharedServers();
      admin = new Client({ connectionString: databaseUrl });
      await admin.connect();
      // CREATEROLE: the migrations create and manage the API's role (RDS's master user has it).
      await admin.query(
        `CREATE ROLE ${role} LOGIN CREATEROLE PASSWORD ${admin.escapeLiteral(firstPassword)}`,
      );
      database = await createTestDatabase('rotation');
      // The role owns its database (and PostgreSQL 15's public schema with it): it migrates it.
      await admin.query(`ALTER DATABASE ${database.name} OWNER TO ${role}`);
      const asRole = new URL(database.url);
      asRole.username = role;
      asRole.password = firstPassword;
      await migrate(asRole.toString());

      const configuration = join(dir, 'rotation.yaml');
      writeFileSync(
        configuration,
        `host: ${asRole.hostname}\nport: ${asRole.port || 5432}\nuser: ${role}\n` +
          `name: ${database.name}\nssl_mode: disable\n`,
      );
      passwordPath = join(dir, 'postgres-password');
      writeFileSync(passwordPath, `${firstPassword}\n`);
      port = await freePort();
      api = await startApi({
        POSTGRES_CONFIGURATION: configuration,
        POSTGRES_PASSWORD_FILE: passwordPath,
        REDIS_URL: redisUrl,
        REDIS_KEY_PREFIX: testKeyPrefix('rotation'),
        PORT: String(port),
        APP_ENV: 'test',
        PG_CONNECTION_TIMEOUT_MS: '1000',
        READINESS_TIMEOUT_MS: '1000',
      });
    });

    after(async function () {
      await stopApi(api);
      await database?.drop();
      await admin?.query(`DROP ROLE IF EXISTS ${role}`);
      await admin?.end();
    });

    it('serves with the password of the file', async function () {
      expect((await ready()).status).to.equal(200);
      expect((await createPayment()).status).to.equal(201);
    });

    it('after ALTER ROLE … PASSWORD, new connections fail while the file holds the old password', async function () {
      await admin.query(`ALTER ROLE ${role} PASSWORD ${admin.escapeLiteral(rotatedPassword)}`);
      expect((await terminateRoleConnections()).n).to.be.greaterThan(0);
      // The pool drops its terminated clients and opens new ones, which the server refuses.
      await waitFor(
        async () =>
          /password authentication failed/.test((await ready()).body.reasons?.postgres ?? ''),
        hangGuardMillis,
        'readiness to report the refused password',
      );
      expect((await ready()).status).to.equal(503);
    });

    it('once the file holds the new password, new connections succeed without a restart', async function () {
      const pid = api?.child.pid;
      replaceFile(passwordPath, `${rotatedPassword}\n`);
      await waitFor(
        async () => (await ready()).status === 200,
        hangGuardMillis,
        'readiness to recover',
      );
      expect((await createPayment()).status).to.equal(201);
      // Force brand-new connections once more: they, too, use the rotated password.
      await terminateRoleConnections();
      await waitFor(
        async () => (await createPayment()).status === 201,
        hangGuardMillis,
        'a new connection',
      );
      const connected = await admin.query(
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE usename = $1 AND application_name = 'payflow-api'",
        [role],
      );
      expect((connected.rows[0] as { n: number }).n).to.be.greaterThan(0);
      expect(api?.child.exitCode).to.equal(null);
      expect(api?.child.pid).to.equal(pid);
    });
  });

  describe('readiness while Redis is down (READINESS_REQUIRES_REDIS)', function () {
    let database: TestDatabase;
    let redis: PrivateRedis;
    let proxy: TcpProxy;
    let strict: InProcessService;
    let tolerant: InProcessService;

    const ready = (running: InProcessService) => request(running.service.app).get('/ready');
    const redisUp = async (running: InProcessService) =>
      /^dependency_up\{dependency="redis"\} (\d)$/m.exec(
        (await request(running.service.app).get('/metrics')).text,
      )?.[1];

    before(async function () {
      database = await createTestDatabase('operations');
      await migrate(database.url);
      redis = await PrivateRedis.start();
      const viaProxy = await proxied(database.url);
      proxy = viaProxy.proxy;
      strict = await startInProcess(viaProxy.url, redis.url);
      tolerant = await startInProcess(viaProxy.url, redis.url, {
        READINESS_REQUIRES_REDIS: 'false',
      });
    });

    after(async function () {
      await strict?.service.close();
      await tolerant?.service.close();
      await redis?.kill();
      await proxy?.cut();
      await database?.drop();
    });

    it('both modes answer 200 with both checks ok while everything is up', async function () {
      for (const running of [strict, tolerant]) {
        const response = await ready(running).expect(200);
        expect(response.body).to.deep.equal({
          status: 'ready',
          checks: { postgres: 'ok', redis: 'ok' },
        });
      }
    });

    describe('with Redis stopped, then started again', function () {
      before(async function () {
        await redis.kill();
        // Readiness PINGs Redis, so it sees the outage even on a client whose socket has not
        // reported the close yet (isReady can lag behind on a loaded machine).
        await waitFor(
          async () =>
            (await ready(strict)).status === 503 &&
            String((await ready(tolerant)).body.checks?.redis ?? '').startsWith('degraded'),
          hangGuardMillis,
          'both API instances to report Redis down on /ready',
        );
      });

      it('default (true): 503, redis failed with its reason', async function () {
        const response = await ready(strict).expect(503);
        expect(response.body.status).to.equal('not ready');
        expect(response.body.checks).to.deep.equal({ postgres: 'ok', redis: 'failed' });
        expect(response.body.reasons.redis).to.be.a('string').and.not.equal('');
      });

      it('false: 200 "ready" with redis "degraded: <reason>", and dependency_up still 0', async function () {
        const response = await ready(tolerant).expect(200);
        expect(response.body.status).to.equal('ready');
        expect(response.body.checks.postgres).to.equal('ok');
        expect(response.body.checks.redis).to.match(/^degraded: \S/);
        expect(response.body).to.not.have.property('reasons');
        expect(await redisUp(tolerant)).to.equal('0');
        await request(tolerant.service.app).get('/readiness').expect(200);
      });

      it('false: payments are still served (from PostgreSQL alone)', async function () {
        await request(tolerant.service.app)
          .post('/api/v1/payments')
          .set('Content-Type', 'application/json')
          .set('Idempotency-Key', uniqueName('degraded'))
          .send(JSON.stringify({ amount: 3 }))
          .expect(201);
      });

      it('false: PostgreSQL down as well is still a 503', async function () {
        await proxy.cut();
        try {
          const response = await ready(tolerant).expect(503);
          expect(response.body.checks.postgres).to.equal('failed');
          expect(response.body.checks.redis).to.match(/^degraded: /);
          expect(response.body.reasons).to.have.property('postgres');
          expect(response.body.reasons).to.not.have.property('redis');
        } finally {
          await proxy.restore();
        }
      });

      it('false: the shutdown still turns readiness to 503', async function () {
        const shutting = await startInProcess(database.url, redis.url, {
          READINESS_REQUIRES_REDIS: 'false',
        });
        try {
          shutting.service.readiness.markShuttingDown();
          const response = await ready(shutting).expect(503);
          expect(response.body.reasons).to.have.property('shutdown');
        } finally {
          await shutting.service.close();
        }
      });

      it('Redis back: both recover to 200 with redis ok and dependency_up 1, without a restart', async function () {
        await redis.startAgain();
        for (const running of [strict, tolerant]) {
          await waitFor(
            async () => (await ready(running)).status === 200,
            hangGuardMillis,
            'readiness',
          );
          const response = await ready(running).expect(200);
          expect(response.body.checks).to.deep.equal({ postgres: 'ok', redis: 'ok' });
          await waitFor(
            async () => (await redisUp(running)) === '1',
            hangGuardMillis,
            'dependency_up 1',
          );
        }
      });
    });
  });

  describe('requests refused by the HTTP parser', function () {
    let database: TestDatabase;
    let api: SpawnedProcess | undefined;
    let port: number;

    interface RawAnswer {
      statusLine: string;
      headers: Record<string, string>;
      body: string;
    }

    /** Writes raw bytes and reads until the server closes the connection (rejects if it never does). */
    function exchange(bytes: string | Buffer): Promise<RawAnswer> {
      return new Promise((resolve, reject) => {
        const socket = net.connect(port, '127.0.0.1');
        const chunks: Buffer[] = [];
        // A hang guard well under the server's 65 s keep-alive, not a speed claim.
        const timer = setTimeout(() => {
          socket.destroy();
          reject(new Error('the server did not close the connection within 20 s'));
        }, 20_000);
        socket.on('connect', () => socket.write(bytes));
        socket.on('data', (chunk: Buffer) => chunks.push(chunk));
        socket.on('error', () => undefined);
        socket.on('close', () => {
          clearTimeout(timer);
          const raw = Buffer.concat(chunks).toString('utf8');
          const split = raw.indexOf('\r\n\r\n');
          const [statusLine = '', ...lines] = raw.slice(0, Math.max(split, 0)).split('\r\n');
          const headers: Record<string, string> = {};
          for (const line of lines) {
            const colon = line.indexOf(':');
            headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
          }
          resolve({ statusLine, headers, body: raw.slice(split + 4) });
        });
      });
    }

    function expectJsonError(answer: RawAnswer, statusLine: string, code: string): void {
      expect(answer.statusLine).to.equal(statusLine);
      expect(answer.headers['content-type']).to.equal('application/json; charset=utf-8');
      expect(answer.headers.connection).to.equal('close');
      expect(Number(answer.headers['content-length'])).to.equal(Buffer.byteLength(answer.body));
      const parsed = JSON.parse(answer.body) as { error: { code: string; message: string } };
      expect(parsed.error.code).to.equal(code);
      expect(parsed.error.message).to.be.a('string').and.not.equal('');
    }

    before(async function () {
      database = await createTestDatabase('parser');
      await migrate(database.url);
      port = await freePort();
      api = await startApi({
        DATABASE_URL: database.url,
        REDIS_URL: sharedServers().redisUrl,
        REDIS_KEY_PREFIX: testKeyPrefix('parser'),
        PORT: String(port),
        APP_ENV: 'test',
      });
    });

    after(async function () {
      await stopApi(api);
      await database?.drop();
    });

    it('a malformed request line: 400 bad_request in the JSON error shape, connection closed', async function () {
      const answer = await exchange('GET /he alth HTTP/1.1\r\nHost: x\r\n\r\n');
      expectJsonError(answer, 'HTTP/1.1 400 Bad Request', 'bad_request');
      expect(answer.body).to.not.include('alth');
    });

    it('a control character in a header value: 400 bad_request', async function () {
      const answer = await exchange('GET /health HTTP/1.1\r\nHost: x\r\nX-Bad: a\u0001b\r\n\r\n');
      expectJsonError(answer, 'HTTP/1.1 400 Bad Request', 'bad_request');
      expect(JSON.parse(answer.body).error.message).to.match(/^The request is not valid HTTP/);
    });

    it('a 20 kB header: 431 headers_too_large', async function () {
      const answer = await exchange(
        `GET /health HTTP/1.1\r\nHost: x\r\nX-Padding: ${'p'.repeat(20 * 1024)}\r\n\r\n`,
      );
      expectJsonError(answer, 'HTTP/1.1 431 Request Header Fields Too Large', 'headers_too_large');
    });

    it('a client that sends garbage and hangs up does not disturb the server', async function () {
      for (let attempt = 0; attempt < 5; attempt += 1) {
        const socket = net.connect(port, '127.0.0.1');
        socket.on('error', () => undefined);
        socket.on('connect', () => {
          socket.write('\u0000\u0001 garbage\r\n');
          socket.destroy();
        });
      }
      const health = await fetch(`http://127.0.0.1:${port}/health`);
      expect(health.status).to.equal(200);
      expect(api?.child.exitCode).to.equal(null);
    });
  });
});
