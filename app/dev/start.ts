// `make dev`: the API from src/ with hot reload (tsx watch), listening on 127.0.0.1 unless HOST
// says otherwise. Without DATABASE_URL (nor POSTGRES_CONFIGURATION, PGHOST), it first starts an
// embedded PostgreSQL 16 (dev/embedded-postgres.ts) whose data stays in .local/postgres between
// runs. Migrations are applied before the API starts. REDIS_URL is passed on when set, never made
// up: without it the API runs on PostgreSQL alone. Ctrl-C stops the API, then the embedded server.
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { loadLogSettings, loadMigrationSettings, loadPostgresConfig } from '../src/config';
import { runMigrations } from '../src/postgres/migrations';
import { createLogger } from '../src/telemetry/logger';
import { localPostgres, type LocalPostgresMessage } from './local-postgres';

const appRoot = join(__dirname, '..');

function say(text: string): void {
  process.stderr.write(`make dev: ${text}\n`);
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

function running(child: ChildProcess | undefined): child is ChildProcess {
  return child !== undefined && child.exitCode === null && child.signalCode === null;
}

async function startEmbeddedPostgres(env: NodeJS.ProcessEnv): Promise<ChildProcess> {
  const settings = localPostgres(env);
  const started = Date.now();
  say(
    `starting the embedded PostgreSQL on 127.0.0.1:${settings.port} (data: ${settings.dataDirectory})`,
  );
  const child = fork(join(__dirname, 'embedded-postgres.ts'), [], {
    cwd: appRoot,
    env,
    execArgv: ['--require', 'tsx/cjs'],
    // Its own process group: a Ctrl-C in the terminal does not reach the database, which this
    // script stops once the API is gone.
    detached: true,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const message = await new Promise<LocalPostgresMessage>((resolve) => {
    child.once('message', (received) => resolve(received as LocalPostgresMessage));
    child.once('exit', (code) => resolve({ ready: false, error: `it exited with code ${code}` }));
  });
  if (!message.ready) throw new Error(`the embedded PostgreSQL did not start: ${message.error}`);
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  say(
    `PostgreSQL ready in ${seconds} s (${message.firstRun ? 'new data directory' : 'data of the last run'}): ${settings.url}`,
  );
  return child;
}

async function main(): Promise<void> {
  const env: NodeJS.ProcessEnv = { ...process.env, HOST: process.env.HOST || '127.0.0.1' };
  let postgres: ChildProcess | undefined;
  // The migrations log in as the owner; with the embedded server, the API as its own role, as in
  // the cluster (the migrations give it a local-only password here).
  const migrationEnv: NodeJS.ProcessEnv = { ...env };
  if (!env.DATABASE_URL && !env.POSTGRES_CONFIGURATION && !env.PGHOST) {
    postgres = await startEmbeddedPostgres(env);
    const local = localPostgres(env);
    migrationEnv.DATABASE_URL = local.url;
    migrationEnv.POSTGRES_API_PASSWORD ||= local.apiPassword;
    env.DATABASE_URL = local.apiUrl;
  }
  const postgresExited = postgres ? exited(postgres) : Promise.resolve(null);
  if (!env.REDIS_URL) say('no REDIS_URL: the API runs on PostgreSQL alone');

  try {
    await runMigrations(
      loadPostgresConfig(migrationEnv),
      loadMigrationSettings(migrationEnv),
      createLogger(loadLogSettings(migrationEnv)),
    );
  } catch (error) {
    postgres?.kill('SIGTERM');
    await postgresExited;
    throw error;
  }

  // Its own process group too: the terminal's Ctrl-C reaches this script alone, which passes one
  // SIGINT on (tsx watch force-kills the API on a second one). No stdin: a background group
  // reading the terminal would be stopped.
  const api = spawn(process.execPath, [require.resolve('tsx/cli'), 'watch', 'src/server.ts'], {
    cwd: appRoot,
    env,
    detached: true,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const apiExited = exited(api);

  let stopping = false;
  const stop = async (code: number): Promise<void> => {
    if (stopping) return;
    stopping = true;
    if (running(api)) api.kill('SIGINT');
    await apiExited;
    if (running(postgres)) {
      say('stopping the embedded PostgreSQL');
      postgres.kill('SIGTERM');
    }
    await postgresExited;
    process.exit(code);
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => void stop(0));
  }
  void apiExited.then((code) => stop(code ?? 0));
}

main().catch((error: unknown) => {
  say(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
