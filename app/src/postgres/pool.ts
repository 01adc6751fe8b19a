import { Pool, type PoolConfig } from 'pg';
import type { PostgresConfig } from '../config';
import type { Logger } from '../telemetry/logger';
import { rdsIamPassword } from './iam-token';

export function postgresClientConfig(config: PostgresConfig, applicationName: string): PoolConfig {
  const connection: PoolConfig = config.connectionString
    ? { connectionString: config.connectionString }
    : {
        host: config.host,
        port: config.port,
        user: config.user,
        password: config.iam ? rdsIamPassword(config) : config.password,
        database: config.database,
        ssl: config.ssl,
      };
  return { ...connection, application_name: applicationName };
}

export function createPostgresPool(config: PostgresConfig, logger: Logger): Pool {
  const pool = new Pool({
    ...postgresClientConfig(config, 'payflow-api'),
    max: config.poolMax,
    // pg waits forever for a connection by default; a bounded wait turns an outage into a 503.
    connectionTimeoutMillis: config.connectionTimeoutMillis,
    idleTimeoutMillis: config.idleTimeoutMillis,
    statement_timeout: config.statementTimeoutMillis,
    // Client-side guard for when the server stops answering altogether.
    query_timeout: config.statementTimeoutMillis + 1000,
    keepAlive: true,
  });
  // An idle client whose server connection dies emits 'error' on the pool; unhandled, it
  // would crash the process.
  pool.on('error', (error) => {
    logger.warn({ err: { message: error.message } }, 'idle PostgreSQL client failed');
  });
  return pool;
}

const unavailableCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'EHOSTUNREACH',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '57014', // query_canceled (statement_timeout)
  '53300', // too_many_connections
  // invalid_password: during an RDS password rotation, new connections are refused until the
  // kubelet refreshes the mounted password file (POSTGRES_PASSWORD_FILE); a retry then works.
  '28P01',
  '55000', // database not currently accepting connections (ALTER DATABASE … ALLOW_CONNECTIONS false)
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
]);

/** True when the error means "PostgreSQL is unreachable or overloaded", not a bug. */
export function isPostgresUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && unavailableCodes.has(code)) return true;
  return /timeout exceeded when trying to connect|Connection terminated|Query read timeout|connection timeout/i.test(
    error.message,
  );
}
