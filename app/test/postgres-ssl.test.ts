// libpq's sslmode against real servers: the shared PostgreSQL (no SSL) for prefer/allow falling
// back, require failing clearly and disable; a private cluster with SSL and a test CA for prefer
// using SSL, allow following pg_hba.conf, and verify-ca checking the chain but not the name.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client, Pool } from 'pg';
import { PrivatePostgres } from '../chaos/private-postgres';
import { loadPostgresConfig, type PostgresConfig } from '../src/config';
import { runMigrations } from '../src/postgres/migrations';
import { createPostgresPool, postgresClientConfig } from '../src/postgres/pool';
import { negotiateSsl, sslNotSupportedMessage } from '../src/postgres/ssl';
import {
  createTestDatabase,
  freePort,
  hangGuardMillis,
  sharedServers,
  spawnEntryPoint,
  testKeyPrefix,
  type SpawnedProcess,
  type TestDatabase,
  waitFor,
  waitUntilListening,
} from './support/servers';
import { capturingLogger, fakeAwsCredentials, testMigrationSettings } from './support/service';

const run = promisify(execFile);

describe('PostgreSQL ssl_mode', function () {
  this.timeout(60000);
  let dir: string;
  const silent = capturingLogger('silent').logger;

  /** The YAML contract (POSTGRES_CONFIGURATION) for a server and database, without ssl_mode. */
  const yamlConfig = (
    url: string,
    sslMode: string | undefined,
    extra: NodeJS.ProcessEnv = {},
  ): { env: NodeJS.ProcessEnv; config: PostgresConfig } => {
    const target = new URL(url);
    const path = join(dir, `pg-${Math.random().toString(16).slice(2)}.yaml`);
    writeFileSync(
      path,
      `host: ${target.hostname}\nport: ${target.port || 5432}\nuser: ${decodeURIComponent(target.username)}\n` +
        `name: ${target.pathname.slice(1)}\n${sslMode ? `ssl_mode: ${sslMode}\n` : ''}`,
    );
    const env = {
      POSTGRES_CONFIGURATION: path,
      // The private cluster trusts loopback connections; the shared one needs its password.
      POSTGRES_PASSWORD: decodeURIComponent(target.password) || 'unused-with-trust',
      PG_CONNECTION_TIMEOUT_MS: '3000',
      ...extra,
    };
    return { env, config: loadPostgresConfig(env) };
  };

  /** Whether this session is encrypted, as the server sees it. */
  const sslInUse = async (config: PostgresConfig): Promise<boolean> => {
    const pool = createPostgresPool(config, silent);
    try {
      const result = await pool.query<{ ssl: boolean }>(
        'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()',
      );
      expect(result.rows).to.have.length(1);
      return result.rows[0]?.ssl === true;
    } finally {
      await pool.end();
    }
  };

  const connectError = async (config: PostgresConfig): Promise<Error> => {
    const pool = createPostgresPool(config, silent);
    try {
      await pool.query('SELECT 1');
    } catch (error) {
      return error as Error;
    } finally {
      await pool.end();
    }
    throw new Error('expected the connection to fail');
  };

  before(function () {
    dir = mkdtempSync(join(tmpdir(), 'payflow-ssl-'));
  });
  after(function () {
    rmSync(dir, { recursive: true, force: true });
  });

  describe('against a server without SSL', function () {
    let database: TestDatabase;
    const children: SpawnedProcess[] = [];

    before(async function () {
      database = await createTestDatabase('ssl');
    });
    after(async function () {
      for (const child of children) if (child.child.exitCode === null) child.child.kill('SIGKILL');
      await database?.drop();
    });

    it('prefer (the YAML default) falls back to an unencrypted connection', async function () {
      const { config } = yamlConfig(database.url, undefined);
      expect(config.sslMode).to.equal('prefer');
      expect(config.ssl).to.deep.equal({ rejectUnauthorized: false });
      // Without the negotiation, this is what node-postgres does with it.
      expect((await connectError(config)).message).to.equal(sslNotSupportedMessage);

      const captured = capturingLogger();
      const negotiated = await negotiateSsl(config, captured.logger);
      expect(negotiated.ssl).to.equal(false);
      expect(await sslInUse(negotiated)).to.equal(false);
      expect(captured.lines.map((line) => line.msg)).to.deep.equal([
        'PostgreSQL does not support SSL: connecting without it (ssl_mode prefer)',
      ]);
    });

    it('prefer and allow from PGSSLMODE connect too; disable never asks for SSL', async function () {
      const target = new URL(database.url);
      const pgEnv = (mode: string) =>
        loadPostgresConfig({
          PGHOST: target.hostname,
          PGPORT: target.port,
          PGUSER: decodeURIComponent(target.username),
          PGPASSWORD: decodeURIComponent(target.password),
          PGDATABASE: database.name,
          PGSSLMODE: mode,
        });
      for (const mode of ['prefer', 'allow']) {
        const negotiated = await negotiateSsl(pgEnv(mode), silent);
        expect(negotiated.ssl, mode).to.equal(false);
        expect(await sslInUse(negotiated), mode).to.equal(false);
      }
      const disabled = yamlConfig(database.url, 'disable').config;
      expect(disabled.ssl).to.equal(false);
      expect(await negotiateSsl(disabled, silent)).to.equal(disabled);
      expect(await sslInUse(disabled)).to.equal(false);
    });

    it('prefer keeps SSL when the probe fails for another reason, and that error surfaces', async function () {
      const closed = `postgres://postgres:pw@127.0.0.1:${await freePort()}/postgres`;
      const { config } = yamlConfig(closed, 'prefer');
      const negotiated = await negotiateSsl(config, silent);
      expect(negotiated).to.equal(config);
      expect((await connectError(negotiated)).message).to.match(/ECONNREFUSED/);
    });

    it('require fails with a message that says what to change', async function () {
      const { config } = yamlConfig(database.url, 'require');
      expect(await negotiateSsl(config, silent)).to.equal(config);
      let failure: Error | undefined;
      try {
        await runMigrations(config, testMigrationSettings(database.url), silent);
      } catch (error) {
        failure = error as Error;
      }
      expect(failure?.message).to.equal(
        'The server does not support SSL connections, but ssl_mode require requires SSL ' +
          '(prefer falls back to an unencrypted connection, disable never uses SSL)',
      );
    });

    it('the migration command and the API start with a YAML without ssl_mode; with require they refuse', async function () {
      const { env } = yamlConfig(database.url, undefined);
      const migration = spawnEntryPoint('migrate', env);
      children.push(migration);
      expect(await migration.exit, migration.stderr.join('\n')).to.equal(0);
      expect(migration.stdout.join('\n')).to.include('applied 4 migration(s)');

      const port = await freePort();
      const api = spawnEntryPoint('server', {
        ...env,
        REDIS_URL: sharedServers().redisUrl,
        REDIS_KEY_PREFIX: testKeyPrefix('ssl'),
        PORT: String(port),
        APP_ENV: 'test',
      });
      children.push(api);
      await waitUntilListening(api);
      expect(api.child.exitCode, api.stderr.join('\n')).to.equal(null);
      const ready = await fetch(`http://127.0.0.1:${port}/ready`);
      expect(ready.status).to.equal(200);
      api.child.kill('SIGTERM');
      expect(await api.exit).to.equal(0);

      const refused = spawnEntryPoint('server', {
        ...yamlConfig(database.url, 'require').env,
        REDIS_URL: sharedServers().redisUrl,
        PORT: String(await freePort()),
      });
      children.push(refused);
      expect(await refused.exit).to.equal(1);
      expect(refused.stderr).to.deep.equal([
        'payflow-api: cannot read the database schema version: The server does not support SSL connections, ' +
          'but ssl_mode require requires SSL (prefer falls back to an unencrypted connection, disable never uses SSL)',
      ]);
    });
  });

  describe('against a server with SSL (private cluster, test CA)', function () {
    let cluster: PrivatePostgres;
    let url: string;
    let caFile: string;
    let otherCaFile: string;

    const openssl = async (...args: string[]) => {
      await run('openssl', args, { cwd: dir, timeout: 30000 });
    };
    /** openssl req arguments for a new unencrypted P-256 key written to <name>.key. */
    const newKey = (name: string) => [
      ...['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'],
      ...['-keyout', `${name}.key`],
    ];
    /** <name>.crt: a CA certificate valid for 2 days, signed by its own new key. */
    const selfSignedCa = (name: string, commonName: string) =>
      openssl(
        'req',
        '-x509',
        ...newKey(name),
        '-out',
        `${name}.crt`,
        '-days',
        '2',
        '-subj',
        `/CN=${commonName}`,
      );

    /** <file>.crt and .key: a server certificate for `name`, signed by the test CA. */
    const serverCertificate = async (name: string, file = name) => {
      await openssl('req', ...newKey(file), '-out', `${file}.csr`, '-subj', `/CN=${name}`);
      writeFileSync(join(dir, `${file}.ext`), `subjectAltName=DNS:${name}\n`);
      await openssl(
        'x509',
        '-req',
        '-in',
        `${file}.csr`,
        '-CA',
        'ca.crt',
        '-CAkey',
        'ca.key',
        '-CAcreateserial',
        '-out',
        `${file}.crt`,
        '-days',
        '2',
        '-extfile',
        `${file}.ext`,
      );
      // The server (user postgres when we are root) refuses a key others can read.
      chmodSync(join(dir, `${file}.key`), 0o600);
      if (userInfo().uid === 0) {
        const { stdout: uid } = await run('id', ['-u', 'postgres']);
        const { stdout: gid } = await run('id', ['-g', 'postgres']);
        for (const part of ['key', 'crt']) {
          chownSync(join(dir, `${file}.${part}`), Number(uid), Number(gid));
        }
      }
    };

    /** Applies configuration the server reloads (ssl, pg_hba.conf) and waits until it has. */
    const reload = async (
      admin: PostgresConfig,
      check: (config: PostgresConfig) => Promise<boolean>,
    ) => {
      const client = new Client({ ...adminConnection(admin) });
      await client.connect();
      await client.query('SELECT pg_reload_conf()');
      await client.end();
      await waitFor(() => check(admin).catch(() => false), hangGuardMillis, 'the server to reload');
    };
    const adminConnection = (config: PostgresConfig) => ({
      host: config.host,
      port: config.port,
      user: config.user,
      database: config.database,
      ssl: config.ssl,
    });

    before(async function () {
      this.timeout(120000);
      // A CA, a server certificate it signs for db.payflow.test (not 127.0.0.1), another CA.
      await selfSignedCa('ca', 'payflow-test-ca');
      await selfSignedCa('other', 'other-ca');
      await serverCertificate('db.payflow.test', 'server');
      // The server (user postgres when we are root) reads its files from here.
      chmodSync(dir, 0o755);
      caFile = join(dir, 'ca.crt');
      otherCaFile = join(dir, 'other.crt');

      cluster = await PrivatePostgres.start();
      url = cluster.url();
      const admin = new Client({ connectionString: url });
      await admin.connect();
      await admin.query('ALTER SYSTEM SET ssl = on');
      await admin.query(`ALTER SYSTEM SET ssl_cert_file = '${join(dir, 'server.crt')}'`);
      await admin.query(`ALTER SYSTEM SET ssl_key_file = '${join(dir, 'server.key')}'`);
      await admin.end();
      const plain = yamlConfig(url, 'disable').config;
      await reload(plain, async () => {
        const client = new Client({
          ...adminConnection(plain),
          ssl: { rejectUnauthorized: false },
        });
        await client.connect();
        await client.end();
        return true;
      });
    });
    after(async function () {
      await cluster?.destroy();
    });

    it('prefer and require use SSL; allow does not while the server accepts both', async function () {
      const preferred = await negotiateSsl(yamlConfig(url, 'prefer').config, silent);
      expect(await sslInUse(preferred)).to.equal(true);
      expect(await sslInUse(yamlConfig(url, 'require').config)).to.equal(true);
      const allowed = await negotiateSsl(yamlConfig(url, 'allow').config, silent);
      expect(allowed.ssl).to.equal(false);
      expect(await sslInUse(allowed)).to.equal(false);
    });

    it('verify-ca checks the chain but not the host name; verify-full checks both', async function () {
      const verifyCa = yamlConfig(url, 'verify-ca', { PGSSLROOTCERT: caFile }).config;
      expect(await sslInUse(verifyCa)).to.equal(true);

      const wrongCa = yamlConfig(url, 'verify-ca', { PGSSLROOTCERT: otherCaFile }).config;
      expect((await connectError(wrongCa)).message).to.match(
        /self[- ]signed certificate|unable to verify/i,
      );

      // The certificate names db.payflow.test; the client connects to 127.0.0.1.
      const verifyFull = yamlConfig(url, 'verify-full', { PGSSLROOTCERT: caFile }).config;
      const mismatch = (await connectError(verifyFull)) as Error & { code?: string };
      expect(mismatch.code).to.equal('ERR_TLS_CERT_ALTNAME_INVALID');
    });

    it('auth iam: a token from the RDS signer for every new connection, sent over verify-full only', async function () {
      // As on RDS: the role's password is asked for in clear text, over SSL only. This server
      // is no RDS, so it refuses every token (RDS checks the signature and rds-db:connect); what
      // is tested is what the API sends, when, and to whom.
      const role = 'payflow_iam_test';
      writeFileSync(
        join(cluster.dataDirectory, 'pg_hba.conf'),
        'local all all trust\n' +
          `hostssl all ${role} 127.0.0.1/32 password\nhostssl all ${role} ::1/128 password\n` +
          'host all postgres 127.0.0.1/32 trust\n',
      );
      // verify-full by name: the server now shows a certificate for localhost, from the same CA.
      await serverCertificate('localhost');
      const plain = yamlConfig(url, 'disable').config;
      const admin = new Client(adminConnection(plain));
      await admin.connect();
      await admin.query(`ALTER SYSTEM SET ssl_cert_file = '${join(dir, 'localhost.crt')}'`);
      await admin.query(`ALTER SYSTEM SET ssl_key_file = '${join(dir, 'localhost.key')}'`);
      await admin.query(`CREATE ROLE ${role} LOGIN`);
      await admin.end();
      // Reloaded once the role is asked for a password (trust let it in before).
      await reload(plain, async () => {
        const probe = new Client({
          host: '127.0.0.1',
          port: cluster.port,
          user: role,
          database: 'postgres',
          password: 'wrong',
          ssl: { rejectUnauthorized: false },
        });
        probe.on('error', () => undefined);
        return probe.connect().then(
          async () => {
            await probe.end();
            return false;
          },
          (error: { code?: string }) => error.code === '28P01',
        );
      });

      // A real signer with made-up credentials: no AWS account is involved.
      const credentials = fakeAwsCredentials();
      const pools: Pool[] = [];
      try {
        const iamYaml = (rootCert: string) => {
          const path = join(dir, `iam-${rootCert === 'rds' ? 'rds' : 'test'}.yaml`);
          writeFileSync(
            path,
            `host: localhost\nport: ${cluster.port}\nuser: ${role}\nname: postgres\n` +
              `ssl_mode: verify-full\nssl_root_cert: ${rootCert}\nauth: iam\n`,
          );
          return loadPostgresConfig({ POSTGRES_CONFIGURATION: path, AWS_REGION: 'eu-west-3' });
        };
        /** A pool whose every call to the signer is recorded with the token it returned. */
        const recordingPool = (config: PostgresConfig, tokens: string[]) => {
          const clientConfig = postgresClientConfig(config, 'payflow-iam-test');
          const sign = clientConfig.password as () => Promise<string>;
          const pool = new Pool({
            ...clientConfig,
            max: 2,
            password: async () => {
              const token = await sign();
              tokens.push(token);
              return token;
            },
          });
          pools.push(pool);
          return pool;
        };
        const refusal = (pool: Pool) =>
          pool.connect().then(
            () => {
              throw new Error('expected the connection to be refused');
            },
            (error: Error & { code?: string }) => error,
          );

        const config = iamYaml(caFile);
        expect(config.password).to.equal(undefined);
        const tokens: string[] = [];
        const pool = recordingPool(config, tokens);
        // Three new connections, three tokens: none is kept and reused.
        for (let attempt = 1; attempt <= 3; attempt += 1) {
          const failure = await refusal(pool);
          // Refused by authentication, after the TLS handshake verified the server.
          expect(failure.code, failure.message).to.equal('28P01');
          expect(tokens).to.have.length(attempt);
        }
        const date = new Date().toISOString().slice(0, 10).replace(/-/g, '');
        for (const token of tokens) {
          const parsed = new URL(`https://${token}`);
          expect(parsed.host).to.equal(`localhost:${cluster.port}`);
          expect(Object.fromEntries(parsed.searchParams)).to.include({
            Action: 'connect',
            DBUser: role,
            'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
            'X-Amz-Credential': `${credentials.accessKeyId}/${date}/eu-west-3/rds-db/aws4_request`,
            'X-Amz-Expires': '900',
          });
          expect(parsed.searchParams.get('X-Amz-Signature')).to.match(/^[0-9a-f]{64}$/);
        }

        // The RDS CA bundle does not vouch for this test server: the TLS handshake fails, and
        // no token is even signed, so none can reach a server that was not verified.
        const unsigned: string[] = [];
        const failure = await refusal(recordingPool(iamYaml('rds'), unsigned));
        expect(failure.message).to.match(/self[- ]signed certificate|unable to verify/i);
        expect(unsigned).to.deep.equal([]);
      } finally {
        await Promise.all(pools.map((pool) => pool.end()));
        credentials.restore();
        const cleanup = new Client(adminConnection(plain));
        await cleanup.connect();
        await cleanup.query(`DROP ROLE ${role}`);
        await cleanup.end();
      }
    });

    it('allow and prefer use SSL when pg_hba.conf accepts only SSL connections', async function () {
      const hba = join(cluster.dataDirectory, 'pg_hba.conf');
      writeFileSync(hba, 'local all all trust\nhostssl all all 127.0.0.1/32 trust\n');
      const encrypted = yamlConfig(url, 'require').config;
      await reload(encrypted, async () => {
        const plain = new Client(adminConnection(yamlConfig(url, 'disable').config));
        plain.on('error', () => undefined);
        return plain.connect().then(
          async () => {
            await plain.end();
            return false;
          },
          () => true,
        );
      });
      const captured = capturingLogger();
      const allowed = await negotiateSsl(yamlConfig(url, 'allow').config, captured.logger);
      expect(await sslInUse(allowed)).to.equal(true);
      expect(captured.lines.map((line) => line.msg)).to.deep.equal([
        'PostgreSQL refused an unencrypted connection: connecting with SSL (ssl_mode allow)',
      ]);
      const preferred = await negotiateSsl(yamlConfig(url, 'prefer').config, silent);
      expect(await sslInUse(preferred)).to.equal(true);
      const disabled = yamlConfig(url, 'disable').config;
      expect(((await connectError(disabled)) as Error & { code?: string }).code).to.equal('28000');
    });
  });
});
