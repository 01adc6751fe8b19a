// libpq's sslmode prefer and allow for node-postgres, which has neither: given `ssl` it insists
// on SSL ("The server does not support SSL connections"), without it it never asks
// (brianc/node-postgres#2720). One probe connection at start-up (API and migration command)
// settles which of the two the process uses from then on.
import { Client } from 'pg';
import type { PostgresConfig } from '../config';
import type { Logger } from '../telemetry/logger';
import { postgresClientConfig } from './pool';

/** node-postgres' error when the server answers "N" to the SSL request; it carries no code. */
export const sslNotSupportedMessage = 'The server does not support SSL connections';

/** SQLSTATE invalid_authorization_specification: pg_hba.conf has no line for this connection. */
const noHbaEntry = '28000';

async function tryConnect(config: PostgresConfig): Promise<Error | undefined> {
  const client = new Client({
    ...postgresClientConfig(config, 'payflow-ssl-probe'),
    connectionTimeoutMillis: config.connectionTimeoutMillis,
  });
  // A connection failure also rejects connect(); the listener keeps a late socket error from
  // becoming an uncaught exception.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
  await client.end().catch(() => undefined);
  return undefined;
}

/**
 * The configuration the pool and the migration client should use.
 *
 * - prefer: SSL, unless the server says it does not support SSL; then no SSL. Any other failure
 *   keeps SSL and shows up as usual on the first real connection.
 * - allow: no SSL, unless the server refuses an unencrypted connection (pg_hba.conf, 28000);
 *   then SSL.
 * - any other mode, or a connection string: unchanged.
 *
 * The choice holds until the process restarts (libpq makes it per connection): a server that
 * turns SSL on or off later is followed after a restart.
 */
export async function negotiateSsl(
  config: PostgresConfig,
  logger: Logger,
): Promise<PostgresConfig> {
  if (config.connectionString || !config.ssl) return config;
  if (config.sslMode === 'prefer') {
    const failure = await tryConnect(config);
    if (failure?.message !== sslNotSupportedMessage) return config;
    logger.info(
      { ssl_mode: 'prefer' },
      'PostgreSQL does not support SSL: connecting without it (ssl_mode prefer)',
    );
    return { ...config, ssl: false };
  }
  if (config.sslMode === 'allow') {
    const plain = { ...config, ssl: false as const };
    const failure = await tryConnect(plain);
    if ((failure as { code?: unknown } | undefined)?.code !== noHbaEntry) return plain;
    logger.info(
      { ssl_mode: 'allow' },
      'PostgreSQL refused an unencrypted connection: connecting with SSL (ssl_mode allow)',
    );
    return config;
  }
  return config;
}

/** The error's message, with what to do when SSL was required of a server that has none. */
export function describeConnectionFailure(error: unknown, config: PostgresConfig): string {
  const message = (error as Error | undefined)?.message || String(error);
  if (message !== sslNotSupportedMessage || !config.ssl) return message;
  const mode = config.sslMode ? `ssl_mode ${config.sslMode}` : 'the configuration';
  return `${message}, but ${mode} requires SSL (prefer falls back to an unencrypted connection, disable never uses SSL)`;
}
