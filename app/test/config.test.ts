// The configuration contract: POSTGRES_CONFIGURATION (YAML) + POSTGRES_PASSWORD, DATABASE_URL,
// PG* variables, and one clear line naming the variable when something is wrong.
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ConfigError,
  loadConfig,
  loadLogSettings,
  loadMigrationSettings,
  loadPostgresConfig,
  otlpTracesUrl,
} from '../src/config';

describe('configuration', function () {
  let dir: string;
  const redis = { REDIS_URL: 'redis://127.0.0.1:6379' };
  const yamlFile = (text: string) => {
    const path = join(dir, `pg-${Math.random().toString(16).slice(2)}.yaml`);
    writeFileSync(path, text);
    return path;
  };
  const failure = (env: NodeJS.ProcessEnv): string => {
    try {
      loadConfig(env);
    } catch (error) {
      expect(error).to.be.instanceOf(ConfigError);
      expect((error as Error).message).to.not.include('\n');
      return (error as Error).message;
    }
    throw new Error('expected a ConfigError');
  };

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'payflow-config-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the YAML file and the password from POSTGRES_PASSWORD', function () {
    const config = loadConfig({
      ...redis,
      POSTGRES_CONFIGURATION: yamlFile(
        'host: db.internal\nport: 6543\nuser: payflow\nname: payments\nssl_mode: require\n',
      ),
      POSTGRES_PASSWORD: 'change-me',
    });
    expect(config.postgres).to.include({
      host: 'db.internal',
      port: 6543,
      user: 'payflow',
      database: 'payments',
      password: 'change-me',
    });
    expect(config.postgres.ssl).to.deep.equal({ rejectUnauthorized: false });
    expect(config.postgres.connectionString).to.equal(undefined);
  });

  it('maps ssl_mode disable, verify-full and verify-ca, and defaults the port to 5432', function () {
    const base = 'host: h\nuser: u\nname: n\n';
    const disabled = loadPostgresConfig({
      POSTGRES_CONFIGURATION: yamlFile(`${base}ssl_mode: disable\n`),
      POSTGRES_PASSWORD: 'p',
    });
    expect(disabled.ssl).to.equal(false);
    expect(disabled.port).to.equal(5432);
    const verified = loadPostgresConfig({
      POSTGRES_CONFIGURATION: yamlFile(`${base}ssl_mode: verify-full\n`),
      POSTGRES_PASSWORD: 'p',
    });
    expect(verified.ssl).to.deep.equal({ rejectUnauthorized: true });
    const ca = yamlFile('not really a certificate');
    const withCa = loadPostgresConfig({
      POSTGRES_CONFIGURATION: yamlFile(`${base}ssl_mode: verify-ca\n`),
      POSTGRES_PASSWORD: 'p',
      PGSSLROOTCERT: ca,
    });
    // verify-ca: the chain is verified, the host name is not (a certificate for any name passes).
    expect(withCa.ssl).to.deep.include({
      rejectUnauthorized: true,
      ca: 'not really a certificate',
    });
    const skipName = (withCa.ssl as { checkServerIdentity?: (...args: unknown[]) => unknown })
      .checkServerIdentity;
    expect(skipName).to.be.a('function');
    expect(skipName?.('db.example', { subject: { CN: 'elsewhere' } })).to.equal(undefined);
    expect(verified.ssl).to.not.have.property('checkServerIdentity');
  });

  it('ssl_mode defaults to prefer: SSL options, settled at start-up by negotiateSsl', function () {
    for (const text of [
      'host: h\nuser: u\nname: n\n',
      'host: h\nuser: u\nname: n\nssl_mode: allow\n',
    ]) {
      const config = loadPostgresConfig({
        POSTGRES_CONFIGURATION: yamlFile(text),
        POSTGRES_PASSWORD: 'p',
      });
      expect(config.ssl).to.deep.equal({ rejectUnauthorized: false });
      expect(config.sslMode).to.equal(text.includes('allow') ? 'allow' : 'prefer');
    }
    // PG* variables without PGSSLMODE: no SSL, as node-postgres does.
    const plain = loadPostgresConfig({ PGHOST: 'h' });
    expect(plain.ssl).to.equal(false);
    expect(plain.sslMode).to.equal(undefined);
  });

  const yamlErrors: Array<[string, string, NodeJS.ProcessEnv, RegExp]> = [
    ['a missing password', 'host: h\nuser: u\nname: n\n', {}, /^POSTGRES_PASSWORD is required/],
    [
      'a missing host',
      'user: u\nname: n\n',
      { POSTGRES_PASSWORD: 'p' },
      /POSTGRES_CONFIGURATION .*host/,
    ],
    [
      'an unknown key',
      'host: h\nuser: u\nname: n\npassword: x\n',
      { POSTGRES_PASSWORD: 'p' },
      /POSTGRES_CONFIGURATION .*password/,
    ],
    [
      'a bad ssl_mode',
      'host: h\nuser: u\nname: n\nssl_mode: maybe\n',
      { POSTGRES_PASSWORD: 'p' },
      /ssl_mode/,
    ],
    ['a bad port', 'host: h\nport: 99999\nuser: u\nname: n\n', { POSTGRES_PASSWORD: 'p' }, /port/],
    ['invalid YAML', 'host: [unclosed\n', { POSTGRES_PASSWORD: 'p' }, /not valid YAML/],
  ];
  for (const [name, text, env, pattern] of yamlErrors) {
    it(`names the problem for ${name}`, function () {
      expect(failure({ ...redis, ...env, POSTGRES_CONFIGURATION: yamlFile(text) })).to.match(
        pattern,
      );
    });
  }

  it('names a YAML file that cannot be read', function () {
    expect(
      failure({
        ...redis,
        POSTGRES_CONFIGURATION: join(dir, 'absent.yaml'),
        POSTGRES_PASSWORD: 'p',
      }),
    ).to.match(/^POSTGRES_CONFIGURATION: cannot read .*absent\.yaml \(ENOENT\)$/);
  });

  it('accepts DATABASE_URL and PG* variables as alternatives', function () {
    expect(
      loadPostgresConfig({ DATABASE_URL: 'postgres://u:p@h:5432/d' }).connectionString,
    ).to.equal('postgres://u:p@h:5432/d');
    const fromPg = loadPostgresConfig({
      PGHOST: 'h',
      PGPORT: '6000',
      PGUSER: 'u',
      PGPASSWORD: 'p',
      PGDATABASE: 'd',
      PGSSLMODE: 'require',
    });
    expect(fromPg).to.include({ host: 'h', port: 6000, user: 'u', password: 'p', database: 'd' });
    expect(fromPg.ssl).to.deep.equal({ rejectUnauthorized: false });
    expect(fromPg.sslMode).to.equal('require');
    expect(() => loadPostgresConfig({ PGHOST: 'h', PGPORT: 'x' })).to.throw(ConfigError, /^PGPORT/);
    expect(() => loadPostgresConfig({ PGHOST: 'h', PGSSLMODE: 'sometimes' })).to.throw(
      ConfigError,
      /^PGSSLMODE/,
    );
  });

  it('requires some PostgreSQL setting and a valid DATABASE_URL', function () {
    expect(failure({ ...redis })).to.match(/^DATABASE_URL is required/);
    expect(failure({ ...redis, DATABASE_URL: 'mysql://x' })).to.match(
      /^DATABASE_URL must be a postgres/,
    );
  });

  it('applies defaults and reads every runtime variable', function () {
    const defaults = loadConfig({ ...redis, DATABASE_URL: 'postgres://h/d' });
    expect(defaults).to.include({
      port: 8080,
      appEnv: 'development',
      logLevel: 'info',
      otlpTracesUrl: undefined,
      traceSampleRatio: 1,
    });
    expect(defaults.postgres).to.include({
      poolMax: 10,
      connectionTimeoutMillis: 2000,
      statementTimeoutMillis: 5000,
    });
    expect(defaults.redis).to.include({ keyPrefix: 'payflow:', commandTimeoutMillis: 500 });
    expect(defaults.idempotencyTtlSeconds).to.equal(86400);
    expect(defaults.idempotencyPurge).to.deep.equal({ intervalMillis: 300000, batchSize: 1000 });
    const custom = loadConfig({
      ...redis,
      DATABASE_URL: 'postgres://h/d',
      PORT: '9000',
      APP_VERSION: '2.3.4',
      APP_ENV: 'production',
      LOG_LEVEL: 'warn',
      OTLP_ENDPOINT: 'tempo:4318',
      PG_POOL_MAX: '20',
      TRACE_SAMPLE_RATIO: '0.1',
      IDEMPOTENCY_PURGE_INTERVAL_SECONDS: '60',
      IDEMPOTENCY_PURGE_BATCH_SIZE: '250',
    });
    expect(defaults.host).to.equal(undefined);
    expect(
      loadConfig({ ...redis, DATABASE_URL: 'postgres://h/d', HOST: '127.0.0.1' }).host,
    ).to.equal('127.0.0.1');
    expect(custom).to.include({
      port: 9000,
      appVersion: '2.3.4',
      appEnv: 'production',
      logLevel: 'warn',
      traceSampleRatio: 0.1,
    });
    expect(custom.otlpTracesUrl).to.equal('http://tempo:4318/v1/traces');
    expect(custom.postgres.poolMax).to.equal(20);
    expect(custom.idempotencyPurge).to.deep.equal({ intervalMillis: 60000, batchSize: 250 });
    const off = loadConfig({
      ...redis,
      DATABASE_URL: 'postgres://h/d',
      IDEMPOTENCY_PURGE_INTERVAL_SECONDS: '0',
    });
    expect(off.idempotencyPurge.intervalMillis).to.equal(0);
  });

  it('reads TRACE_SAMPLE_RATIO as any ratio from 0 to 1, blank meaning the default 1', function () {
    const base = { ...redis, DATABASE_URL: 'postgres://h/d' };
    for (const [value, expected] of [
      [' ', 1],
      ['0', 0],
      ['0.25', 0.25],
      ['1', 1],
    ] as const) {
      expect(loadConfig({ ...base, TRACE_SAMPLE_RATIO: value }).traceSampleRatio).to.equal(
        expected,
      );
    }
  });

  const runtimeErrors: Array<[NodeJS.ProcessEnv, RegExp]> = [
    [{}, /^DATABASE_URL is required \(or POSTGRES_CONFIGURATION \+ POSTGRES_PASSWORD/],
    [
      { DATABASE_URL: 'postgres://h/d', REDIS_KEY_PREFIX: 'p:' },
      /^REDIS_KEY_PREFIX set without REDIS_URL: set REDIS_URL to use Redis, or remove it to run on PostgreSQL alone$/,
    ],
    [
      {
        DATABASE_URL: 'postgres://h/d',
        REDIS_COMMAND_TIMEOUT_MS: '100',
        REDIS_CONNECT_TIMEOUT_MS: '100',
        READINESS_REQUIRES_REDIS: 'true',
      },
      /^REDIS_COMMAND_TIMEOUT_MS, REDIS_CONNECT_TIMEOUT_MS, READINESS_REQUIRES_REDIS=true set without REDIS_URL: .* remove them to run on PostgreSQL alone$/,
    ],
    [
      { ...redis, REDIS_URL: 'http://nope', DATABASE_URL: 'postgres://h/d' },
      /^REDIS_URL must be a redis:\/\/ or rediss:\/\/ URL$/,
    ],
    [
      { ...redis, DATABASE_URL: 'postgres://h/d', PORT: 'eighty' },
      /^PORT must be an integer between 1 and 65535 \(got "eighty"\)$/,
    ],
    [{ ...redis, DATABASE_URL: 'postgres://h/d', PORT: '70000' }, /^PORT must be/],
    [
      { ...redis, DATABASE_URL: 'postgres://h/d', HOST: 'localhost' },
      /^HOST must be an IP address/,
    ],
    [{ ...redis, DATABASE_URL: 'postgres://h/d', APP_ENV: 'prod' }, /^APP_ENV: /],
    [{ ...redis, DATABASE_URL: 'postgres://h/d', LOG_LEVEL: 'loud' }, /^LOG_LEVEL: /],
    [{ ...redis, DATABASE_URL: 'postgres://h/d', PG_POOL_MAX: '0' }, /^PG_POOL_MAX must be/],
    [
      { ...redis, DATABASE_URL: 'postgres://h/d', OTLP_ENDPOINT: 'ftp://tempo:21' },
      /^OTLP_ENDPOINT must use http/,
    ],
    [
      { ...redis, DATABASE_URL: 'postgres://h/d', OTLP_ENDPOINT: 'http://[::1' },
      /^OTLP_ENDPOINT must be host:port/,
    ],
    ...['-1', '1.5', '86401', 'often'].map((value): [NodeJS.ProcessEnv, RegExp] => [
      { ...redis, DATABASE_URL: 'postgres://h/d', IDEMPOTENCY_PURGE_INTERVAL_SECONDS: value },
      new RegExp(
        `^IDEMPOTENCY_PURGE_INTERVAL_SECONDS must be an integer between 0 and 86400 \\(got "${value}"\\)$`,
      ),
    ]),
    ...['0', '100001', '10.5'].map((value): [NodeJS.ProcessEnv, RegExp] => [
      { ...redis, DATABASE_URL: 'postgres://h/d', IDEMPOTENCY_PURGE_BATCH_SIZE: value },
      new RegExp(
        `^IDEMPOTENCY_PURGE_BATCH_SIZE must be an integer between 1 and 100000 \\(got "${value}"\\)$`,
      ),
    ]),
    ...['abc', '-0.1', '1.5', 'Infinity'].map((value): [NodeJS.ProcessEnv, RegExp] => [
      { ...redis, DATABASE_URL: 'postgres://h/d', TRACE_SAMPLE_RATIO: value },
      new RegExp(`^TRACE_SAMPLE_RATIO must be a number between 0 and 1 \\(got "${value}"\\)$`),
    ]),
  ];
  for (const [env, pattern] of runtimeErrors) {
    it(`rejects ${JSON.stringify(env).slice(0, 90)} with ${pattern}`, function () {
      expect(failure(env)).to.match(pattern);
    });
  }

  it('runs on PostgreSQL alone without REDIS_URL (unset or blank)', function () {
    for (const env of [
      { DATABASE_URL: 'postgres://h/d' },
      { DATABASE_URL: 'postgres://h/d', REDIS_URL: ' ' },
      // false asks nothing of a Redis: harmless without one (the chart always sets it).
      { DATABASE_URL: 'postgres://h/d', READINESS_REQUIRES_REDIS: 'false' },
    ]) {
      expect(loadConfig(env).redis, JSON.stringify(env)).to.equal(undefined);
    }
    expect(loadConfig({ ...redis, DATABASE_URL: 'postgres://h/d' }).redis).to.deep.equal({
      url: 'redis://127.0.0.1:6379',
      keyPrefix: 'payflow:',
      commandTimeoutMillis: 500,
      connectTimeoutMillis: 2000,
    });
  });

  it('turns OTLP_ENDPOINT host:port or URL into the /v1/traces URL', function () {
    expect(otlpTracesUrl('tempo:4318')).to.equal('http://tempo:4318/v1/traces');
    expect(otlpTracesUrl('http://collector:4318/')).to.equal('http://collector:4318/v1/traces');
    expect(otlpTracesUrl('https://otel.example.com/v1/traces')).to.equal(
      'https://otel.example.com/v1/traces',
    );
    expect(otlpTracesUrl('https://otel.example.com/prefix')).to.equal(
      'https://otel.example.com/prefix/v1/traces',
    );
  });

  it('loads the logger settings alone for the migration command', function () {
    expect(loadLogSettings({ LOG_LEVEL: 'debug' })).to.deep.equal({
      level: 'debug',
      appVersion: '1.0.0',
      appEnv: 'development',
    });
    expect(() => loadLogSettings({ LOG_LEVEL: 'chatty' })).to.throw(ConfigError, /LOG_LEVEL/);
  });

  describe('IAM authentication (no password for the API)', function () {
    const iamYaml = (extra = '') =>
      yamlFile(
        `host: db.eu-west-3.rds.amazonaws.com\nuser: payflow_api\nname: payflow\nauth: iam\n${extra}`,
      );
    const region = { AWS_REGION: 'eu-west-3' };
    const postgresFailure = (env: NodeJS.ProcessEnv) => failure({ ...redis, ...env });

    it('PostgreSQL auth iam: verify-full against the RDS CA bundle, no password, the region', function () {
      const config = loadPostgresConfig({
        POSTGRES_CONFIGURATION: iamYaml('ssl_mode: verify-full\nssl_root_cert: rds\n'),
        ...region,
      });
      expect(config).to.include({ user: 'payflow_api', sslMode: 'verify-full' });
      expect(config).to.not.have.property('password');
      expect(config.iam).to.deep.equal({ region: 'eu-west-3' });
      const ssl = config.ssl as { rejectUnauthorized: boolean; ca: string };
      expect(ssl.rejectUnauthorized).to.equal(true);
      expect(ssl).to.not.have.property('checkServerIdentity');
      // AWS's global bundle: a root CA per region, eu-west-3 among them.
      expect(ssl.ca.match(/BEGIN CERTIFICATE/g)?.length).to.be.greaterThan(100);
    });

    it('refuses auth iam without verify-full, with a password, or without a region', function () {
      for (const mode of ['disable', 'prefer', 'require', 'verify-ca']) {
        expect(
          postgresFailure({ POSTGRES_CONFIGURATION: iamYaml(`ssl_mode: ${mode}\n`), ...region }),
        ).to.match(new RegExp(`auth iam requires ssl_mode verify-full \\(got ${mode}\\)$`));
      }
      expect(postgresFailure({ POSTGRES_CONFIGURATION: iamYaml(), ...region })).to.match(
        /auth iam requires ssl_mode verify-full \(got prefer\)$/,
      );
      const verified = iamYaml('ssl_mode: verify-full\n');
      expect(
        postgresFailure({ POSTGRES_CONFIGURATION: verified, POSTGRES_PASSWORD: 'p', ...region }),
      ).to.match(/must not be set with auth iam: the API has no database password$/);
      expect(postgresFailure({ POSTGRES_CONFIGURATION: verified })).to.match(
        /^AWS_REGION must name the AWS region .* with auth iam/,
      );
      expect(postgresFailure({ POSTGRES_CONFIGURATION: verified, AWS_REGION: 'paris' })).to.match(
        /^AWS_REGION must name/,
      );
      expect(
        postgresFailure({
          POSTGRES_CONFIGURATION: yamlFile('host: h\nuser: u\nname: n\nauth: kerberos\n'),
          POSTGRES_PASSWORD: 'p',
        }),
      ).to.match(/auth/);
    });

    it('ssl_root_cert names a PEM file or the RDS bundle, and excludes PGSSLROOTCERT', function () {
      const pem = yamlFile('a pem file');
      const fromFile = loadPostgresConfig({
        POSTGRES_CONFIGURATION: yamlFile(
          `host: h\nuser: u\nname: n\nssl_mode: verify-full\nssl_root_cert: ${pem}\n`,
        ),
        POSTGRES_PASSWORD: 'p',
      });
      expect(fromFile.ssl).to.deep.equal({ rejectUnauthorized: true, ca: 'a pem file' });
      const both = yamlFile(
        `host: h\nuser: u\nname: n\nssl_mode: verify-full\nssl_root_cert: rds\n`,
      );
      expect(
        postgresFailure({
          POSTGRES_CONFIGURATION: both,
          POSTGRES_PASSWORD: 'p',
          PGSSLROOTCERT: pem,
        }),
      ).to.equal('set either ssl_root_cert in POSTGRES_CONFIGURATION or PGSSLROOTCERT, not both');
      const missing = yamlFile(
        'host: h\nuser: u\nname: n\nssl_mode: verify-ca\nssl_root_cert: /nonexistent.pem\n',
      );
      expect(postgresFailure({ POSTGRES_CONFIGURATION: missing, POSTGRES_PASSWORD: 'p' })).to.equal(
        'POSTGRES_CONFIGURATION ssl_root_cert: cannot read /nonexistent.pem (ENOENT)',
      );
    });

    it('Redis REDIS_AUTH=iam: the user from a rediss:// URL without password, the cache name, the region', function () {
      const env = {
        DATABASE_URL: 'postgres://h/d',
        REDIS_URL: 'rediss://payflow-production-api@master.redis.example:6379',
        REDIS_AUTH: 'iam',
        REDIS_IAM_CACHE_NAME: 'payflow-production-redis',
        ...region,
      };
      expect(loadConfig(env).redis?.iam).to.deep.equal({
        user: 'payflow-production-api',
        cacheName: 'payflow-production-redis',
        region: 'eu-west-3',
      });
      expect(failure({ ...env, REDIS_URL: 'redis://payflow-production-api@h:6379' })).to.equal(
        'REDIS_AUTH=iam requires TLS: REDIS_URL must be a rediss:// URL',
      );
      expect(failure({ ...env, REDIS_URL: 'rediss://u:token@h:6379' })).to.match(
        /must not hold a password/,
      );
      expect(failure({ ...env, REDIS_URL: 'rediss://h:6379' })).to.match(
        /must name the ElastiCache user/,
      );
      expect(failure({ ...env, REDIS_IAM_CACHE_NAME: '' })).to.match(
        /requires REDIS_IAM_CACHE_NAME/,
      );
      expect(failure({ ...env, AWS_REGION: '' })).to.match(/^AWS_REGION must name/);
      expect(failure({ ...env, REDIS_AUTH: 'password' })).to.equal(
        'REDIS_IAM_CACHE_NAME is only used with REDIS_AUTH=iam',
      );
      expect(
        loadConfig({ ...env, REDIS_AUTH: undefined, REDIS_IAM_CACHE_NAME: undefined }).redis,
      ).to.not.have.property('iam');
    });
  });

  describe('the migration command', function () {
    it('creates the role payflow_api unless told otherwise, with a password only when given', function () {
      expect(loadMigrationSettings({})).to.deep.equal({
        apiRole: 'payflow_api',
        apiPassword: undefined,
        seedDemoUsers: true,
      });
      expect(
        loadMigrationSettings({ POSTGRES_API_ROLE: 'api_v2', POSTGRES_API_PASSWORD: 'local-only' }),
      ).to.include({ apiRole: 'api_v2', apiPassword: 'local-only' });
      expect(() => loadMigrationSettings({ POSTGRES_API_ROLE: 'Robert"); DROP' })).to.throw(
        ConfigError,
        /POSTGRES_API_ROLE must be a lowercase PostgreSQL identifier/,
      );
    });

    it('seeds the demo users in development only by default, and never in production', function () {
      const seeds = (env: NodeJS.ProcessEnv) => loadMigrationSettings(env).seedDemoUsers;
      expect(seeds({ APP_ENV: 'development' })).to.equal(true);
      for (const appEnv of ['test', 'staging', 'production']) {
        expect(seeds({ APP_ENV: appEnv }), appEnv).to.equal(false);
      }
      expect(seeds({ APP_ENV: 'staging', SEED_DEMO_USERS: 'true' })).to.equal(true);
      expect(seeds({ APP_ENV: 'development', SEED_DEMO_USERS: 'false' })).to.equal(false);
      expect(() =>
        loadMigrationSettings({ APP_ENV: 'production', SEED_DEMO_USERS: 'true' }),
      ).to.throw(ConfigError, 'SEED_DEMO_USERS=true is refused with APP_ENV=production');
      expect(() => loadMigrationSettings({ SEED_DEMO_USERS: 'yes' })).to.throw(
        ConfigError,
        /SEED_DEMO_USERS must be true or false/,
      );
    });
  });
});
