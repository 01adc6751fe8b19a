// `make dev` on a machine with no database, no Redis and no Docker: an embedded PostgreSQL
// (real server binaries, no mock), migrations, the API on 127.0.0.1; Ctrl-C stops everything
// cleanly; the next run finds the data of the last one. Free ports and a scratch data directory
// (LOCAL_POSTGRES_PORT, LOCAL_POSTGRES_DIR, PORT) keep it away from a developer's own make dev.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { localPostgres } from '../dev/local-postgres';
import { appRoot, canConnect, freePort, uniqueName, waitFor } from './support/servers';

const repoRoot = join(appRoot, '..');

interface MakeDev {
  child: ChildProcess;
  output: string[];
  exit: Promise<number | null>;
}

/** `make dev` in a process group of its own, as a terminal runs it (Ctrl-C = SIGINT to the group). */
function makeDev(env: NodeJS.ProcessEnv): MakeDev {
  const child = spawn('make', ['--no-print-directory', 'dev'], {
    cwd: repoRoot,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => output.push(...chunk.split('\n').filter(Boolean)));
  }
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output, exit };
}

/** Until GET /users answers 200; fails at once when make dev exits or the API refuses to start. */
async function untilServing(run: MakeDev, apiUrl: string): Promise<void> {
  await waitFor(
    async () => {
      const refused = run.output.find((line) => line.startsWith('payflow-api: '));
      if (refused || run.child.exitCode !== null) {
        throw new Error(`make dev did not serve: ${refused ?? `exit ${run.child.exitCode}`}`);
      }
      return (await fetch(`${apiUrl}/users`).catch(() => undefined))?.status === 200;
    },
    240_000,
    'GET /users to answer 200',
    500,
  );
}

/** An address of this machine other than loopback, if it has one. */
function externalAddress(): string | undefined {
  return Object.values(networkInterfaces())
    .flat()
    .find((address) => address?.family === 'IPv4' && !address.internal)?.address;
}

describe('make dev without DATABASE_URL, REDIS_URL or Docker (embedded PostgreSQL)', function () {
  // Hang guards: the first run creates a PostgreSQL cluster, then tsx compiles the API.
  this.timeout(300_000);
  let scratch: string;
  let env: NodeJS.ProcessEnv;
  let run: MakeDev | undefined;
  let apiUrl: string;
  let paymentId: string;

  before(async function () {
    // As root, PostgreSQL runs as the user postgres, which must be able to enter the directory.
    scratch = mkdtempSync(join(tmpdir(), 'payflow-make-dev-'));
    chmodSync(scratch, 0o755);
    const port = await freePort();
    apiUrl = `http://127.0.0.1:${port}`;
    // Nothing of the caller's servers: only what a fresh machine has.
    env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      PORT: String(port),
      LOCAL_POSTGRES_PORT: String(await freePort()),
      LOCAL_POSTGRES_DIR: join(scratch, 'postgres'),
      LOG_LEVEL: 'warn',
    };
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed' && run) console.error(run.output.join('\n'));
  });

  after(async function () {
    if (run && run.child.exitCode === null) {
      process.kill(-(run.child.pid as number), 'SIGINT');
      await run.exit;
    }
    rmSync(scratch, { recursive: true, force: true });
  });

  it('serves GET /users (200, the six seed users) on 127.0.0.1 from a fresh data directory', async function () {
    run = makeDev(env);
    await untilServing(run, apiUrl);
    const users = (await (await fetch(`${apiUrl}/users`)).json()) as unknown[];
    expect(users).to.have.lengthOf(6);
    expect(run.output.join('\n')).to.include('(new data directory)');
    // No Redis anywhere: readiness asks nothing of it, and idempotency runs on PostgreSQL alone.
    expect(run.output).to.include('make dev: no REDIS_URL: the API runs on PostgreSQL alone');
    const ready = await fetch(`${apiUrl}/ready`);
    expect(await ready.json()).to.deep.equal({
      status: 'ready',
      checks: { postgres: 'ok', redis: 'disabled' },
    });
    const created = await fetch(`${apiUrl}/api/v1/payments`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': uniqueName('make-dev') },
      body: JSON.stringify({ amount: 4.2, currency: 'EUR' }),
    });
    expect(created.status).to.equal(201);
    paymentId = ((await created.json()) as { id: string }).id;
  });

  it('listens on loopback only', async function () {
    const external = externalAddress();
    if (!external) this.skip();
    const port = Number(env.PORT);
    expect(await canConnect(port), 'on 127.0.0.1').to.equal(true);
    expect(await canConnect(port, external), `on ${external}`).to.equal(false);
  });

  it('Ctrl-C stops the API, then PostgreSQL, which shuts down cleanly', async function () {
    const settings = localPostgres(env);
    const postmasterPid = Number(
      readFileSync(join(settings.dataDirectory, 'postmaster.pid'), 'utf8').split('\n')[0],
    );
    process.kill(-(run?.child.pid as number), 'SIGINT');
    await run?.exit;
    expect(await canConnect(Number(env.PORT))).to.equal(false);
    expect(await canConnect(settings.port)).to.equal(false);
    // A clean shutdown removes postmaster.pid; the server process is gone.
    expect(existsSync(join(settings.dataDirectory, 'postmaster.pid'))).to.equal(false);
    expect(() => process.kill(postmasterPid, 0)).to.throw();
    expect(readFileSync(settings.logFile, 'utf8')).to.include('database system is shut down');
  });

  it('the next make dev reuses the data directory: the payment is still there', async function () {
    run = makeDev(env);
    await untilServing(run, apiUrl);
    expect(run.output.join('\n')).to.include('(data of the last run)');
    const payment = await fetch(`${apiUrl}/api/v1/payments/${paymentId}`);
    expect(payment.status).to.equal(200);
  });
});
