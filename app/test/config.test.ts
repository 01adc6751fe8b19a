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
});
