// Where `make dev`'s embedded PostgreSQL lives and how to reach it: one definition for
// dev/start.ts, dev/embedded-postgres.ts and the test that runs make dev.
import { join } from 'node:path';

export interface LocalPostgres {
  /** LOCAL_POSTGRES_DIR; default .local/postgres at the repository root (git-ignored). */
  dataDirectory: string;
  /** The server's log, next to its data directory. */
  logFile: string;
  /** LOCAL_POSTGRES_PORT; default 55432, away from a system PostgreSQL's 5432. */
  port: number;
  /** A local-only password (the server listens on 127.0.0.1 only): not a secret. */
  password: string;
  database: string;
  /** The owner's URL: the migrations. */
  url: string;
  /** The API's own role (POSTGRES_API_ROLE's default), with its local-only password. */
  apiPassword: string;
  apiUrl: string;
}

export type LocalPostgresMessage =
  { ready: true; firstRun: boolean } | { ready: false; error: string };

export function localPostgres(env: NodeJS.ProcessEnv): LocalPostgres {
  const dataDirectory = env.LOCAL_POSTGRES_DIR || join(__dirname, '..', '..', '.local', 'postgres');
  const port = Number(env.LOCAL_POSTGRES_PORT || 55432);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`LOCAL_POSTGRES_PORT must be a port number (got "${env.LOCAL_POSTGRES_PORT}")`);
  }
  const password = 'local-only-postgres';
  const database = 'payflow';
  return {
    dataDirectory,
    logFile: `${dataDirectory}.log`,
    port,
    password,
    database,
    url: `postgres://postgres:${password}@127.0.0.1:${port}/${database}`,
    apiPassword: 'local-only-postgres-api',
    apiUrl: `postgres://payflow_api:local-only-postgres-api@127.0.0.1:${port}/${database}`,
  };
}
