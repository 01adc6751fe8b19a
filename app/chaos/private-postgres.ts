// A throw-away PostgreSQL cluster that fault runs may stop and start at will: initdb in a temp
// directory, its own port, fsync off (the data is discarded anyway). Never the shared server.
import { execFile } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { userInfo } from 'node:os';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { freePort } from './network';

const run = promisify(execFile);

/** initdb and postgres refuse to run as root: when we are root, run them as `postgres`. */
const asRoot = userInfo().uid === 0;

async function pgTool(tool: string, args: string[]): Promise<string> {
  const [command, commandArgs] = asRoot
    ? ['runuser', ['-u', 'postgres', '--', tool, ...args]]
    : [tool, args];
  try {
    const { stdout } = await run(command, commandArgs, { timeout: 60_000 });
    return stdout;
  } catch (error) {
    const failure = error as Error & { stderr?: string };
    throw new Error(`${tool} ${args[0] ?? ''} failed: ${failure.stderr || failure.message}`);
  }
}

async function postgresUid(): Promise<{ uid: number; gid: number }> {
  const { stdout: uid } = await run('id', ['-u', 'postgres']);
  const { stdout: gid } = await run('id', ['-g', 'postgres']);
  return { uid: Number(uid.trim()), gid: Number(gid.trim()) };
}

export class PrivatePostgres {
  private running = false;

  private constructor(
    readonly port: number,
    private readonly directory: string,
  ) {}

  get dataDirectory(): string {
    return join(this.directory, 'data');
  }

  static async start(): Promise<PrivatePostgres> {
    const directory = mkdtempSync(join(tmpdir(), 'payflow-chaos-pg-'));
    if (asRoot) {
      const { uid, gid } = await postgresUid();
      chownSync(directory, uid, gid);
    }
    const cluster = new PrivatePostgres(await freePort(), directory);
    await pgTool('initdb', [
      '-D',
      cluster.dataDirectory,
      '-U',
      'postgres',
      '--auth=trust',
      '--encoding=UTF8',
      '--no-sync',
    ]);
    await cluster.startAgain();
    return cluster;
  }

  /** postgres://… for a database of this cluster (trust authentication, loopback only). */
  url(database = 'postgres'): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
  }

  async startAgain(): Promise<void> {
    const options = [
      `-p ${this.port}`,
      '-c listen_addresses=127.0.0.1',
      `-c unix_socket_directories=${this.directory}`,
      '-c fsync=off',
      '-c synchronous_commit=off',
      '-c full_page_writes=off',
      '-c max_connections=100',
    ].join(' ');
    await pgTool('pg_ctl', [
      'start',
      '-D',
      this.dataDirectory,
      '-w',
      '-t',
      '30',
      '-l',
      join(this.directory, 'postgres.log'),
      '-o',
      options,
    ]);
    this.running = true;
  }

  /** `pg_ctl stop -m fast`: open sessions are terminated, in-flight transactions roll back. */
  async stop(): Promise<void> {
    if (!this.running) return;
    await pgTool('pg_ctl', ['stop', '-D', this.dataDirectory, '-m', 'fast', '-w', '-t', '30']);
    this.running = false;
  }

  async createDatabase(name: string): Promise<string> {
    const client = new Client({ connectionString: this.url() });
    await client.connect();
    try {
      await client.query(`CREATE DATABASE ${name}`);
    } finally {
      await client.end();
    }
    return this.url(name);
  }

  async destroy(): Promise<void> {
    try {
      if (this.running) {
        await pgTool('pg_ctl', ['stop', '-D', this.dataDirectory, '-m', 'immediate', '-w']);
      }
    } finally {
      this.running = false;
      rmSync(this.directory, { recursive: true, force: true });
    }
  }
}
