// The one place that reads the environment. Every value is validated at start-up so that a
// bad deployment fails fast with one line naming the variable, instead of failing later on
// the first request.
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { RDS_CA_BUNDLE, RDS_CA_BUNDLE_NAME } from '../postgres/rds-ca-bundle';

export type Environment = NodeJS.ProcessEnv;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

const sslModes = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'] as const;

export type SslMode = (typeof sslModes)[number];

/**
 * What node-postgres passes to tls.connect. verify-ca sets `checkServerIdentity` to a no-op: the
 * chain is verified, the host name is not (libpq's verify-ca); verify-full keeps Node's check.
 */
export type SslSetting =
  false | { rejectUnauthorized: boolean; ca?: string; checkServerIdentity?: () => undefined };

/**
 * A fixed password, or one obtained again for every new connection (node-postgres calls the
 * function each time it opens a connection): POSTGRES_PASSWORD_FILE, or an IAM token.
 */
export type PostgresPassword = string | (() => Promise<string>);

/** How the API proves who it is to PostgreSQL (YAML `auth`). */
export const postgresAuthModes = ['password', 'iam'] as const;
export type PostgresAuth = (typeof postgresAuthModes)[number];

/**
 * auth iam: RDS IAM database authentication. No password exists: for every new connection the
 * API signs a 15-minute token with the AWS credentials of its pod (EKS Pod Identity).
 */
export interface PostgresIamAuth {
  /** AWS_REGION: the region of the RDS instance, part of the token's signature. */
  region: string;
}

export interface PostgresConfig {
  /** Either a connection string (DATABASE_URL) or discrete fields (YAML file / PG* variables). */
  connectionString?: string;
  host?: string;
  port?: number;
  user?: string;
  password?: PostgresPassword;
  database?: string;
  ssl?: SslSetting;
  /**
   * The libpq sslmode `ssl` was derived from (YAML ssl_mode or PGSSLMODE). With `prefer` and
   * `allow`, negotiateSsl() (postgres/ssl.ts) settles SSL or not once at start-up, since
   * node-postgres itself never falls back from one to the other.
   */
  sslMode?: SslMode;
  /** Set with YAML `auth: iam` (and no password): the pool signs a token per connection. */
  iam?: PostgresIamAuth;
  poolMax: number;
  connectionTimeoutMillis: number;
  statementTimeoutMillis: number;
  idleTimeoutMillis: number;
}

/**
 * REDIS_AUTH=iam: ElastiCache IAM authentication. REDIS_URL names the user (rediss://user@host)
 * and carries no password; for every new connection the API signs a 15-minute token.
 */
export interface RedisIamAuth {
  /** The ElastiCache user id (= user name for IAM users), from REDIS_URL. */
  user: string;
  /** REDIS_IAM_CACHE_NAME: the replication group id, the "host" the token is signed for. */
  cacheName: string;
  /** AWS_REGION. */
  region: string;
}

/** Redis, when REDIS_URL is set: the idempotency replay cache (optional). */
export interface RedisConfig {
  url: string;
  /** Set with REDIS_AUTH=iam (password in REDIS_URL otherwise, or none). */
  iam?: RedisIamAuth;
  keyPrefix: string;
  commandTimeoutMillis: number;
  connectTimeoutMillis: number;
}

export interface AppConfig {
  port: number;
  /** HOST: the address to listen on; undefined → every interface (what a container needs). */
  host: string | undefined;
  appVersion: string;
  appEnv: 'development' | 'staging' | 'production' | 'test';
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Full OTLP/HTTP traces URL (…/v1/traces); undefined → spans are written to stdout. */
  otlpTracesUrl: string | undefined;
  /**
   * TRACE_SAMPLE_RATIO: share (0…1) of new traces that are recorded. 1 traces every request;
   * production can lower it to cut the tracing cost. A request arriving with a sampled
   * `traceparent` is always recorded (parent-based sampling).
   */
  traceSampleRatio: number;
  postgres: PostgresConfig;
  /** undefined: no REDIS_URL, idempotency is served by PostgreSQL alone. */
  redis: RedisConfig | undefined;
  readinessTimeoutMillis: number;
  /** false: Redis down leaves /ready at 200 ("degraded"); PostgreSQL down is always 503. */
  readinessRequiresRedis: boolean;
  shutdownDelayMillis: number;
  shutdownTimeoutMillis: number;
  idempotencyTtlSeconds: number;
  /** Deleting expired idempotency_keys rows; intervalMillis 0 turns it off. */
  idempotencyPurge: { intervalMillis: number; batchSize: number };
}

const integer = (name: string, fallback: number, min: number, max: number) =>
  z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined || value.trim() === '') return fallback;
      const parsed = Number(value);
      if (!Number.isInteger(parsed) || parsed < min || parsed > max) {
        ctx.addIssue({
          code: 'custom',
          message: `${name} must be an integer between ${min} and ${max} (got "${value}")`,
        });
        return z.NEVER;
      }
      return parsed;
    });

const ratio = (name: string, fallback: number) =>
  z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined || value.trim() === '') return fallback;
      const parsed = Number(value);
      if (!Number.isFinite(parsed) || parsed < 0 || parsed > 1) {
        ctx.addIssue({
          code: 'custom',
          message: `${name} must be a number between 0 and 1 (got "${value}")`,
        });
        return z.NEVER;
      }
      return parsed;
    });

const boolean = (name: string, fallback: boolean) =>
  z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined || value.trim() === '') return fallback;
      const normalized = value.trim().toLowerCase();
      if (normalized === 'true') return true;
      if (normalized === 'false') return false;
      ctx.addIssue({ code: 'custom', message: `${name} must be true or false (got "${value}")` });
      return z.NEVER;
    });

const runtimeSchema = z.object({
  PORT: integer('PORT', 8080, 1, 65535),
  // `make dev` sets 127.0.0.1: on a laptop, the API is nobody else's business.
  HOST: z
    .string()
    .trim()
    .optional()
    .refine((value) => !value || isIP(value) !== 0, {
      message: 'HOST must be an IP address to listen on, e.g. 127.0.0.1',
    }),
  APP_VERSION: z.string().trim().min(1).optional().default('1.0.0'),
  APP_ENV: z
    .enum(['development', 'staging', 'production', 'test'])
    .optional()
    .default('development'),
  LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
    .optional()
    .default('info'),
  OTLP_ENDPOINT: z.string().trim().optional(),
  TRACE_SAMPLE_RATIO: ratio('TRACE_SAMPLE_RATIO', 1),
  READINESS_TIMEOUT_MS: integer('READINESS_TIMEOUT_MS', 1000, 50, 30000),
  READINESS_REQUIRES_REDIS: boolean('READINESS_REQUIRES_REDIS', true),
  SHUTDOWN_DELAY_MS: integer('SHUTDOWN_DELAY_MS', 0, 0, 120000),
  SHUTDOWN_TIMEOUT_MS: integer('SHUTDOWN_TIMEOUT_MS', 10000, 100, 120000),
  IDEMPOTENCY_TTL_SECONDS: integer('IDEMPOTENCY_TTL_SECONDS', 86400, 1, 604800),
  // 0 disables the purge (e.g. when a database job does it instead).
  IDEMPOTENCY_PURGE_INTERVAL_SECONDS: integer('IDEMPOTENCY_PURGE_INTERVAL_SECONDS', 300, 0, 86400),
  IDEMPOTENCY_PURGE_BATCH_SIZE: integer('IDEMPOTENCY_PURGE_BATCH_SIZE', 1000, 1, 100000),
  // Optional: without it the API runs on PostgreSQL alone (no replay cache).
  REDIS_URL: z
    .string()
    .trim()
    .optional()
    .transform((value) => (value === '' ? undefined : value))
    .refine(
      (value) => value === undefined || (/^rediss?:\/\/[^\s]+$/.test(value) && URL.canParse(value)),
      { message: 'REDIS_URL must be a redis:// or rediss:// URL' },
    ),
  REDIS_AUTH: z.enum(['password', 'iam']).optional().default('password'),
  REDIS_IAM_CACHE_NAME: z
    .string()
    .trim()
    .optional()
    .transform((value) => (value === '' ? undefined : value))
    .refine((value) => value === undefined || /^[a-z][a-z0-9-]{0,39}$/.test(value), {
      message: 'REDIS_IAM_CACHE_NAME must be an ElastiCache replication group id (lowercase)',
    }),
  REDIS_KEY_PREFIX: z.string().optional().default('payflow:'),
  REDIS_COMMAND_TIMEOUT_MS: integer('REDIS_COMMAND_TIMEOUT_MS', 500, 10, 60000),
  REDIS_CONNECT_TIMEOUT_MS: integer('REDIS_CONNECT_TIMEOUT_MS', 2000, 10, 60000),
});

const poolSchema = z.object({
  PG_POOL_MAX: integer('PG_POOL_MAX', 10, 1, 200),
  PG_CONNECTION_TIMEOUT_MS: integer('PG_CONNECTION_TIMEOUT_MS', 2000, 10, 60000),
  PG_STATEMENT_TIMEOUT_MS: integer('PG_STATEMENT_TIMEOUT_MS', 5000, 10, 600000),
  PG_IDLE_TIMEOUT_MS: integer('PG_IDLE_TIMEOUT_MS', 30000, 100, 3600000),
});

// The seed's contract: a YAML file with the non-secret connection settings, the password apart.
const postgresFileSchema = z.strictObject({
  host: z.string().trim().min(1),
  port: z.coerce.number().int().min(1).max(65535).optional().default(5432),
  user: z.string().trim().min(1),
  name: z.string().trim().min(1),
  ssl_mode: z.enum(sslModes).optional().default('prefer'),
  // libpq's sslrootcert: a PEM file, or `rds` for the RDS CA bundle shipped with the image.
  ssl_root_cert: z.string().trim().min(1).optional(),
  auth: z.enum(postgresAuthModes).optional().default('password'),
});

/** AWS_REGION, required by IAM authentication (PostgreSQL or Redis) to sign its tokens. */
function awsRegion(env: Environment, usedBy: string): string {
  const region = env.AWS_REGION?.trim() ?? '';
  if (!/^[a-z]{2}(-[a-z]+)+-[0-9]$/.test(region)) {
    throw new ConfigError(
      `AWS_REGION must name the AWS region (e.g. eu-west-3) with ${usedBy} (got "${region}")`,
    );
  }
  return region;
}

/** All issues on one line, each naming its variable (or YAML key). */
function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const name = issue.path.join('.');
      return name === '' || issue.message.startsWith(name)
        ? issue.message
        : `${name}: ${issue.message}`;
    })
    .join('; ');
}

/** libpq's verify-ca: any name will do once the chain is trusted. */
const skipHostnameCheck = (): undefined => undefined;

/**
 * The tls.connect options of a libpq sslmode. allow/prefer get the same options as require: they
 * are used only when negotiateSsl() finds SSL is to be used.
 */
function sslFor(mode: SslMode, rootCert: RootCert | undefined): SslSetting {
  if (mode === 'disable') return false;
  if (mode !== 'verify-ca' && mode !== 'verify-full') {
    // allow/prefer/require encrypt without verifying the server certificate, as libpq does.
    return { rejectUnauthorized: false };
  }
  const hostname = mode === 'verify-ca' ? { checkServerIdentity: skipHostnameCheck } : {};
  if (!rootCert) return { rejectUnauthorized: true, ...hostname };
  if (rootCert.value === RDS_CA_BUNDLE_NAME) {
    return { rejectUnauthorized: true, ca: RDS_CA_BUNDLE, ...hostname };
  }
  try {
    return { rejectUnauthorized: true, ca: readFileSync(rootCert.value, 'utf8'), ...hostname };
  } catch (error) {
    throw new ConfigError(
      `${rootCert.setting}: cannot read ${rootCert.value} (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
}

/** The CA certificates to verify the server with: a PEM file or `rds`, and where that was set. */
interface RootCert {
  value: string;
  setting: string;
}

/** YAML ssl_root_cert, else PGSSLROOTCERT (one of the two). */
function rootCertOf(fileValue: string | undefined, env: Environment): RootCert | undefined {
  const fromEnv = env.PGSSLROOTCERT?.trim() || undefined;
  if (fileValue && fromEnv) {
    throw new ConfigError(
      'set either ssl_root_cert in POSTGRES_CONFIGURATION or PGSSLROOTCERT, not both',
    );
  }
  if (fileValue) return { value: fileValue, setting: 'POSTGRES_CONFIGURATION ssl_root_cert' };
  return fromEnv ? { value: fromEnv, setting: 'PGSSLROOTCERT' } : undefined;
}

/** Mounted Secret files usually end with a newline that is not part of the password. */
function passwordFromFileText(text: string): string {
  return text.replace(/\r?\n$/, '');
}

/**
 * POSTGRES_PASSWORD_FILE: checked once now (a bad path fails the start-up), then read again for
 * every new connection, so that a rotated password written into the file (a Kubernetes Secret
 * volume, refreshed by the kubelet) is used without restarting the process.
 */
function passwordFileReader(path: string): () => Promise<string> {
  const describe = (error: unknown) => (error as NodeJS.ErrnoException).code ?? 'error';
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`POSTGRES_PASSWORD_FILE: cannot read ${path} (${describe(error)})`);
  }
  if (passwordFromFileText(text) === '') {
    throw new ConfigError(`POSTGRES_PASSWORD_FILE: ${path} is empty`);
  }
  return async () => {
    let password: string;
    try {
      password = passwordFromFileText(await readFile(path, 'utf8'));
    } catch (error) {
      throw connectionError(`cannot read POSTGRES_PASSWORD_FILE ${path} (${describe(error)})`);
    }
    if (password === '') throw connectionError(`POSTGRES_PASSWORD_FILE ${path} is empty`);
    return password;
  };
}

/**
 * SQLSTATE 08001 (sqlclient_unable_to_establish_sqlconnection): the pool reports it like any
 * other failed connection attempt, so requests get a 503 rather than a 500.
 */
function connectionError(message: string): Error {
  return Object.assign(new Error(message), { code: '08001' });
}

/** Exactly one of POSTGRES_PASSWORD and POSTGRES_PASSWORD_FILE, with POSTGRES_CONFIGURATION. */
function postgresPassword(env: Environment): PostgresPassword {
  const literal = env.POSTGRES_PASSWORD;
  const file = env.POSTGRES_PASSWORD_FILE?.trim();
  if (file && literal) {
    throw new ConfigError('set either POSTGRES_PASSWORD or POSTGRES_PASSWORD_FILE, not both');
  }
  if (file) return passwordFileReader(file);
  if (literal === undefined || literal === '') {
    throw new ConfigError(
      'POSTGRES_PASSWORD is required when POSTGRES_CONFIGURATION is set (or POSTGRES_PASSWORD_FILE, a file holding it)',
    );
  }
  return literal;
}

function loadPostgresFromFile(path: string, env: Environment) {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(
      `POSTGRES_CONFIGURATION: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch {
    throw new ConfigError(`POSTGRES_CONFIGURATION: ${path} is not valid YAML`);
  }
  const parsed = postgresFileSchema.safeParse(document ?? {});
  if (!parsed.success) {
    throw new ConfigError(`POSTGRES_CONFIGURATION (${path}): ${describeIssues(parsed.error)}`);
  }
  const file = parsed.data;
  const connection = {
    host: file.host,
    port: file.port,
    user: file.user,
    database: file.name,
    ssl: sslFor(file.ssl_mode, rootCertOf(file.ssl_root_cert, env)),
    sslMode: file.ssl_mode,
  };
  if (file.auth === 'password') return { ...connection, password: postgresPassword(env) };
  // The token is a bearer credential for 15 minutes: it only goes to a server whose certificate
  // and name were verified, never to whoever answers on the address.
  if (file.ssl_mode !== 'verify-full') {
    throw new ConfigError(
      `POSTGRES_CONFIGURATION (${path}): auth iam requires ssl_mode verify-full (got ${file.ssl_mode})`,
    );
  }
  if (env.POSTGRES_PASSWORD || env.POSTGRES_PASSWORD_FILE) {
    throw new ConfigError(
      'POSTGRES_PASSWORD and POSTGRES_PASSWORD_FILE must not be set with auth iam: the API has no database password',
    );
  }
  // No password here: the pool signs a token for every new connection (postgres/pool.ts).
  return { ...connection, iam: { region: awsRegion(env, 'auth iam (PostgreSQL)') } };
}

function loadPostgresConnection(env: Environment): Omit<PostgresConfig, keyof PoolSettings> {
  if (env.POSTGRES_CONFIGURATION) return loadPostgresFromFile(env.POSTGRES_CONFIGURATION, env);
  if (env.POSTGRES_PASSWORD_FILE) {
    // Silently ignoring it would leave a deployment on a password it believes it rotates.
    throw new ConfigError(
      'POSTGRES_PASSWORD_FILE is only used with POSTGRES_CONFIGURATION (DATABASE_URL and PGPASSWORD carry their own password)',
    );
  }
  if (env.DATABASE_URL) {
    const url = env.DATABASE_URL.trim();
    if (!/^postgres(ql)?:\/\//.test(url) || !URL.canParse(url)) {
      throw new ConfigError('DATABASE_URL must be a postgres:// or postgresql:// URL');
    }
    return { connectionString: url };
  }
  if (env.PGHOST) {
    const port = env.PGPORT ? Number(env.PGPORT) : 5432;
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      throw new ConfigError(`PGPORT must be an integer between 1 and 65535 (got "${env.PGPORT}")`);
    }
    const connection = {
      host: env.PGHOST,
      port,
      user: env.PGUSER ?? 'postgres',
      password: env.PGPASSWORD,
      database: env.PGDATABASE ?? env.PGUSER ?? 'postgres',
    };
    // Without PGSSLMODE: no SSL, as node-postgres does with PG* variables.
    if (!env.PGSSLMODE) return { ...connection, ssl: false };
    const mode = env.PGSSLMODE as SslMode;
    if (!sslModes.includes(mode)) {
      throw new ConfigError(`PGSSLMODE must be one of ${sslModes.join(', ')}`);
    }
    return { ...connection, ssl: sslFor(mode, rootCertOf(undefined, env)), sslMode: mode };
  }
  throw new ConfigError(
    'DATABASE_URL is required (or POSTGRES_CONFIGURATION + POSTGRES_PASSWORD, or PGHOST/PGUSER/PGPASSWORD)',
  );
}

type PoolSettings = Pick<
  PostgresConfig,
  'poolMax' | 'connectionTimeoutMillis' | 'statementTimeoutMillis' | 'idleTimeoutMillis'
>;

/** PostgreSQL settings only: what the migration command needs (it never talks to Redis). */
export function loadPostgresConfig(env: Environment = process.env): PostgresConfig {
  const pool = poolSchema.safeParse(env);
  if (!pool.success) throw new ConfigError(describeIssues(pool.error));
  return {
    ...loadPostgresConnection(env),
    poolMax: pool.data.PG_POOL_MAX,
    connectionTimeoutMillis: pool.data.PG_CONNECTION_TIMEOUT_MS,
    statementTimeoutMillis: pool.data.PG_STATEMENT_TIMEOUT_MS,
    idleTimeoutMillis: pool.data.PG_IDLE_TIMEOUT_MS,
  };
}

/** Accepts `host:port` (the seed's form, e.g. tempo:4318) or a URL; returns the traces URL. */
export function otlpTracesUrl(endpoint: string): string {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(endpoint) ? endpoint : `http://${endpoint}`;
  if (!URL.canParse(withScheme)) {
    throw new ConfigError(`OTLP_ENDPOINT must be host:port or an http(s) URL (got "${endpoint}")`);
  }
  const url = new URL(withScheme);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(`OTLP_ENDPOINT must use http or https (got "${url.protocol}")`);
  }
  if (!url.pathname.endsWith('/v1/traces')) {
    url.pathname = `${url.pathname.replace(/\/+$/, '')}/v1/traces`;
  }
  return url.toString();
}

/** Logger settings alone: for the migration command, which needs neither Redis nor a port. */
export function loadLogSettings(env: Environment = process.env) {
  const parsed = runtimeSchema
    .pick({ APP_VERSION: true, APP_ENV: true, LOG_LEVEL: true })
    .safeParse(env);
  if (!parsed.success) throw new ConfigError(describeIssues(parsed.error));
  return {
    level: parsed.data.LOG_LEVEL,
    appVersion: parsed.data.APP_VERSION,
    appEnv: parsed.data.APP_ENV,
  };
}

/** What the migration command does besides the schema (postgres/migrations.ts). */
export interface MigrationSettings {
  /** The API's own database role: created and granted its table rights by the command. */
  apiRole: string;
  /**
   * POSTGRES_API_PASSWORD: the API role's password (local compose, tests). Unset: the role has
   * no password at all, as on RDS, where it logs in with IAM tokens (rds_iam).
   */
  apiPassword: string | undefined;
  /** SEED_DEMO_USERS: insert the six users of the SRE brief (never in production). */
  seedDemoUsers: boolean;
}

/** PostgreSQL identifiers the command creates: lowercase, so that they never need quoting. */
const roleName = /^[a-z_][a-z0-9_]{0,62}$/;

export function loadMigrationSettings(env: Environment = process.env): MigrationSettings {
  const { appEnv } = loadLogSettings(env);
  const parsed = z
    .object({
      POSTGRES_API_ROLE: z
        .string()
        .trim()
        .optional()
        .transform((value) => (value ? value : 'payflow_api'))
        .refine((value) => roleName.test(value), {
          message: 'POSTGRES_API_ROLE must be a lowercase PostgreSQL identifier (e.g. payflow_api)',
        }),
      POSTGRES_API_PASSWORD: z
        .string()
        .optional()
        .transform((value) => (value === '' ? undefined : value)),
      // Development (the default APP_ENV, make dev, compose) gets the SRE brief's users.
      SEED_DEMO_USERS: boolean('SEED_DEMO_USERS', appEnv === 'development'),
    })
    .safeParse(env);
  if (!parsed.success) throw new ConfigError(describeIssues(parsed.error));
  const settings = parsed.data;
  if (settings.SEED_DEMO_USERS && appEnv === 'production') {
    throw new ConfigError(
      'SEED_DEMO_USERS=true is refused with APP_ENV=production: demo users never go to production',
    );
  }
  return {
    apiRole: settings.POSTGRES_API_ROLE,
    apiPassword: settings.POSTGRES_API_PASSWORD,
    seedDemoUsers: settings.SEED_DEMO_USERS,
  };
}

/** Settings that only mean something with a Redis: set without REDIS_URL, one was forgotten. */
const redisOnlySettings = [
  'REDIS_AUTH',
  'REDIS_IAM_CACHE_NAME',
  'REDIS_KEY_PREFIX',
  'REDIS_COMMAND_TIMEOUT_MS',
  'REDIS_CONNECT_TIMEOUT_MS',
];

function refuseRedisSettingsWithoutUrl(env: Environment, requiresRedis: boolean): void {
  const orphans = redisOnlySettings.filter((name) => (env[name] ?? '').trim() !== '');
  if (requiresRedis && (env.READINESS_REQUIRES_REDIS ?? '').trim() !== '') {
    orphans.push('READINESS_REQUIRES_REDIS=true');
  }
  if (orphans.length === 0) return;
  throw new ConfigError(
    `${orphans.join(', ')} set without REDIS_URL: set REDIS_URL to use Redis, or remove ${orphans.length > 1 ? 'them' : 'it'} to run on PostgreSQL alone`,
  );
}

/**
 * REDIS_AUTH=iam: the user comes from REDIS_URL (rediss://<user>@host:port), which holds no
 * password; the token is signed for REDIS_IAM_CACHE_NAME in AWS_REGION.
 */
function redisIamAuth(url: string, cacheName: string | undefined, env: Environment): RedisIamAuth {
  const parsed = new URL(url);
  if (parsed.protocol !== 'rediss:') {
    throw new ConfigError('REDIS_AUTH=iam requires TLS: REDIS_URL must be a rediss:// URL');
  }
  if (parsed.password !== '') {
    throw new ConfigError(
      'REDIS_AUTH=iam: REDIS_URL must not hold a password (the API signs a token)',
    );
  }
  if (parsed.username === '') {
    throw new ConfigError(
      'REDIS_AUTH=iam: REDIS_URL must name the ElastiCache user (rediss://<user>@host:port)',
    );
  }
  if (!cacheName) {
    throw new ConfigError(
      'REDIS_AUTH=iam requires REDIS_IAM_CACHE_NAME (the replication group id)',
    );
  }
  return {
    user: decodeURIComponent(parsed.username),
    cacheName,
    region: awsRegion(env, 'REDIS_AUTH=iam'),
  };
}

export function loadConfig(env: Environment = process.env): AppConfig {
  const runtime = runtimeSchema.safeParse(env);
  if (!runtime.success) throw new ConfigError(describeIssues(runtime.error));
  const values = runtime.data;
  if (values.REDIS_URL === undefined) {
    refuseRedisSettingsWithoutUrl(env, values.READINESS_REQUIRES_REDIS);
  } else if (values.REDIS_AUTH !== 'iam' && values.REDIS_IAM_CACHE_NAME) {
    throw new ConfigError('REDIS_IAM_CACHE_NAME is only used with REDIS_AUTH=iam');
  }
  const otlp = values.OTLP_ENDPOINT ? otlpTracesUrl(values.OTLP_ENDPOINT) : undefined;
  return {
    port: values.PORT,
    host: values.HOST || undefined,
    appVersion: values.APP_VERSION,
    appEnv: values.APP_ENV,
    logLevel: values.LOG_LEVEL,
    otlpTracesUrl: otlp,
    traceSampleRatio: values.TRACE_SAMPLE_RATIO,
    postgres: loadPostgresConfig(env),
    redis:
      values.REDIS_URL === undefined
        ? undefined
        : {
            url: values.REDIS_URL,
            ...(values.REDIS_AUTH === 'iam'
              ? { iam: redisIamAuth(values.REDIS_URL, values.REDIS_IAM_CACHE_NAME, env) }
              : {}),
            keyPrefix: values.REDIS_KEY_PREFIX,
            commandTimeoutMillis: values.REDIS_COMMAND_TIMEOUT_MS,
            connectTimeoutMillis: values.REDIS_CONNECT_TIMEOUT_MS,
          },
    readinessTimeoutMillis: values.READINESS_TIMEOUT_MS,
    readinessRequiresRedis: values.READINESS_REQUIRES_REDIS,
    shutdownDelayMillis: values.SHUTDOWN_DELAY_MS,
    shutdownTimeoutMillis: values.SHUTDOWN_TIMEOUT_MS,
    idempotencyTtlSeconds: values.IDEMPOTENCY_TTL_SECONDS,
    idempotencyPurge: {
      intervalMillis: values.IDEMPOTENCY_PURGE_INTERVAL_SECONDS * 1000,
      batchSize: values.IDEMPOTENCY_PURGE_BATCH_SIZE,
    },
  };
}
