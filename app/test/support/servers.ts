// Test infrastructure: throw-away databases on the shared PostgreSQL, private Redis servers,
// a cuttable TCP proxy in front of PostgreSQL, and spawned API processes.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import net from 'node:net';
import { join } from 'node:path';
import { Client } from 'pg';
import { createClient } from 'redis';
import { freePort, waitFor } from '../../chaos/network';

// One implementation of the loopback plumbing and of the private Redis, shared with the fault
// runs and the benchmark.
export { canConnect, freePort, sleep, waitFor } from '../../chaos/network';
export { PrivateRedis } from '../../chaos/private-redis';

export const appRoot = join(__dirname, '..', '..');

/**
 * How long a test waits for something to happen before calling it hung: a bound on waiting, never
 * a claim about speed (a loaded machine once took more than 5 s to reconnect). Tests assert what
 * happens; how fast is for make bench and make chaos.
 */
export const hangGuardMillis = 20_000;

export function sharedServers(): { databaseUrl: string; redisUrl: string } {
  const databaseUrl = process.env.DATABASE_URL;
  const redisUrl = process.env.REDIS_URL;
  if (!databaseUrl || !redisUrl) {
    throw new Error(
      'The API tests need a real PostgreSQL and Redis: set DATABASE_URL and REDIS_URL (make test-app does)',
    );
  }
  return { databaseUrl, redisUrl };
}

export function uniqueName(prefix: string): string {
  return `${prefix}_${randomBytes(4).toString('hex')}`;
}

/**
 * The prefix of every Redis key this run of the suite writes on the shared Redis (REDIS_URL).
 * The idempotency keys the API stores live 24 h: the root hook below deletes this prefix once
 * the run ends, passed or failed.
 */
export const runKeyPrefix = `${uniqueName('payflow_test_run')}:`;

export async function deleteRunKeys(): Promise<void> {
  if (process.env.REDIS_URL) await deleteRedisKeys(process.env.REDIS_URL, runKeyPrefix);
}

// Registered once, on mocha's root suite, by the first test file that loads this module: it runs
// after the last test whatever failed, with or without .mocharc.cjs (`npx mocha --no-config`).
if (typeof after === 'function') after(deleteRunKeys);

/** A REDIS_KEY_PREFIX of its own for one API under test, inside this run's prefix. */
export function testKeyPrefix(label: string): string {
  return `${runKeyPrefix}${uniqueName(label)}:`;
}

export interface TestDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/** A database of its own for one suite, created through DATABASE_URL and dropped after. */
export async function createTestDatabase(suite: string): Promise<TestDatabase> {
  const { databaseUrl } = sharedServers();
  const name = uniqueName(`payflow_${suite}`);
  const admin = new Client({ connectionString: databaseUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(databaseUrl);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    async drop() {
      const client = new Client({ connectionString: databaseUrl });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}

/**
 * Holds an idempotency key's row in an open transaction: a POST with that key then blocks in
 * PostgreSQL until release() rolls it back.
 */
export async function holdIdempotencyKey(
  databaseUrl: string,
  key: string,
): Promise<{ release(): Promise<void> }> {
  const holder = new Client({ connectionString: databaseUrl });
  await holder.connect();
  await holder.query('BEGIN');
  await holder.query(
    `INSERT INTO idempotency_keys (scope, key, request_hash, response_status, response_body, expires_at)
     VALUES ('payments.create', $1, 'x', 201, '{}', now() + interval '1 day')`,
    [key],
  );
  return {
    async release() {
      await holder.query('ROLLBACK');
      await holder.end();
    },
  };
}

/**
 * Waits until a session of the database waits for a lock: a request that must block on a row
 * held by the test is then in flight in PostgreSQL, on a fast machine or a slow one (a fixed
 * sleep is either too short under load or wasted otherwise).
 */
export async function waitForLockWaiter(databaseUrl: string): Promise<void> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await waitFor(
      async () =>
        (
          await client.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM pg_stat_activity
              WHERE datname = current_database() AND wait_event_type = 'Lock'`,
          )
        ).rows[0]?.n !== 0,
      20_000,
      'a request blocked on the held row',
    );
  } finally {
    await client.end();
  }
}

/** Deletes every key under a prefix: "flushing" our own keys on the shared Redis. */
export async function deleteRedisKeys(redisUrl: string, prefix: string): Promise<number> {
  // No reconnection: a Redis that is gone must fail the caller, not keep it waiting for ever.
  const client = createClient({ url: redisUrl, socket: { reconnectStrategy: false } });
  await client.connect();
  let deleted = 0;
  for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) {
    if (keys.length > 0) deleted += await client.del(keys);
  }
  client.destroy();
  return deleted;
}

/** PostgreSQL's SSLRequest and GSSENCRequest codes: a length-prefixed message before startup. */
const preStartupRequests = new Set([80877103, 80877104]);

/**
 * Reads what a PostgreSQL client sends on one connection and counts its round trips: every
 * query ends with one message the server must answer, a simple Query ('Q') or the Sync ('S')
 * that closes an extended-protocol Parse/Bind/Execute batch.
 */
class PostgresRoundTrips {
  private pending = Buffer.alloc(0);
  private started = false;

  constructor(private readonly count: () => void) {}

  read(chunk: Buffer): void {
    this.pending = Buffer.concat([this.pending, chunk]);
    for (;;) {
      // Before startup: untyped Int32 length + code; after: type byte + Int32 length.
      const header = this.started ? 5 : 8;
      if (this.pending.length < header) return;
      const size = this.started ? 1 + this.pending.readInt32BE(1) : this.pending.readInt32BE(0);
      if (this.pending.length < size) return;
      if (!this.started) {
        this.started = !preStartupRequests.has(this.pending.readInt32BE(4));
      } else if (this.pending[0] === 0x51 || this.pending[0] === 0x53) {
        this.count();
      }
      this.pending = this.pending.subarray(size);
    }
  }
}

/**
 * A loopback TCP proxy in front of a real server. cut() drops every connection and refuses
 * new ones, as a stopped server would; restore() lets traffic through again. In front of
 * PostgreSQL (without SSL) it also counts the clients' round trips.
 */
export class TcpProxy {
  private readonly sockets = new Set<net.Socket>();
  private server: net.Server | undefined;
  private handshakesToReset = 0;
  /** Round trips of the clients through the proxy, when it is in front of PostgreSQL. */
  postgresRoundTrips = 0;

  private constructor(
    readonly port: number,
    private readonly targetHost: string,
    private readonly targetPort: number,
    private readonly postgres: boolean,
  ) {}

  static async start(
    targetHost: string,
    targetPort: number,
    { postgres = false } = {},
  ): Promise<TcpProxy> {
    const proxy = new TcpProxy(await freePort(), targetHost, targetPort, postgres);
    await proxy.restore();
    return proxy;
  }

  /** Listens again (nothing to do when it already does). */
  async restore(): Promise<void> {
    if (this.server) return;
    const server = net.createServer((client) => {
      if (this.handshakesToReset > 0) {
        // Accepted, then reset once the client speaks: a server that dies mid-handshake.
        this.handshakesToReset -= 1;
        client.once('data', () => client.resetAndDestroy());
        client.on('error', () => client.destroy());
        return;
      }
      const upstream = net.connect(this.targetPort, this.targetHost);
      if (this.postgres) {
        const roundTrips = new PostgresRoundTrips(() => (this.postgresRoundTrips += 1));
        client.on('data', (chunk: Buffer) => roundTrips.read(chunk));
      }
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    });
    server.listen(this.port, '127.0.0.1');
    await once(server, 'listening');
    this.server = server;
  }

  /**
   * Resets every open connection and the handshake of the next `handshakes` ones, while still
   * listening: a server restarting under its clients, whose first reconnections fail midway.
   */
  resetConnections(handshakes: number): void {
    this.handshakesToReset = handshakes;
    for (const socket of this.sockets) socket.resetAndDestroy();
  }

  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    if (server) await new Promise((resolve) => server.close(resolve));
  }
}

const defaultPorts: Record<string, number> = {
  'postgres:': 5432,
  'postgresql:': 5432,
  'redis:': 6379,
};

/** A TcpProxy in front of a PostgreSQL or Redis server, and the server's URL through the proxy. */
export async function proxied(serverUrl: string): Promise<{ proxy: TcpProxy; url: string }> {
  const target = new URL(serverUrl);
  const port = Number(target.port || defaultPorts[target.protocol]);
  if (!port) throw new Error(`no default port known for ${target.protocol} URLs`);
  const proxy = await TcpProxy.start(target.hostname, port, {
    postgres: target.protocol.startsWith('postgres'),
  });
  const viaProxy = new URL(serverUrl);
  viaProxy.hostname = '127.0.0.1';
  viaProxy.port = String(proxy.port);
  return { proxy, url: viaProxy.toString() };
}

export interface SpawnedProcess {
  child: ChildProcess;
  stdout: string[];
  stderr: string[];
  exit: Promise<number | null>;
}

/**
 * Runs an entry point with its own env: from src/ the way `npm run dev` would, or the build in
 * dist/ (`npm run build`) the way the image does.
 */
export function spawnEntryPoint(
  entry: 'server' | 'migrate',
  env: NodeJS.ProcessEnv,
  from: 'src' | 'dist' = 'src',
): SpawnedProcess {
  const args =
    from === 'src'
      ? ['--require', 'tsx/cjs', join('src', `${entry}.ts`)]
      : [join('dist', `${entry}.js`)];
  const child = spawn(process.execPath, args, {
    cwd: appRoot,
    env: { PATH: process.env.PATH, NODE_V8_COVERAGE: process.env.NODE_V8_COVERAGE, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stdout: string[] = [];
  const stderr: string[] = [];
  const collect = (stream: NodeJS.ReadableStream, lines: string[]) => {
    let rest = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      const parts = (rest + chunk).split('\n');
      rest = parts.pop() ?? '';
      lines.push(...parts.filter((line) => line !== ''));
    });
    stream.on('end', () => {
      if (rest !== '') lines.push(rest);
    });
  };
  collect(child.stdout as NodeJS.ReadableStream, stdout);
  collect(child.stderr as NodeJS.ReadableStream, stderr);
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, stdout, stderr, exit };
}

/** Waits until a spawned API logs that it listens, or exits (callers check which). */
export async function waitUntilListening(api: SpawnedProcess): Promise<void> {
  await waitFor(
    () =>
      api.stdout.some((line) => line.includes('PayFlow API listening')) ||
      api.child.exitCode !== null,
    20000,
    'the API to listen',
  );
}

export function jsonLines(lines: string[]): Array<Record<string, unknown>> {
  return lines.flatMap((line) => {
    try {
      return [JSON.parse(line) as Record<string, unknown>];
    } catch {
      return [];
    }
  });
}
