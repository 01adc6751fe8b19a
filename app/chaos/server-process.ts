// Starts an HTTP server as a child process (the API from dist/ or src/, or a benchmark
// baseline), waits until it answers, and lets a fault run signal or kill it.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';
import { waitFor } from './network';

export const appRoot = join(__dirname, '..');

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Date.now() when the process ended. */
  at: number;
}

export interface ServerProcessOptions {
  /** Arguments after `node`, e.g. ['dist/server.js'], run with app/ as working directory. */
  args: string[];
  env: NodeJS.ProcessEnv;
  port: number;
  /** The Node.js executable; unset, the one running this process. */
  node?: string;
  /** Path answered once the server can take traffic. */
  readyPath?: string;
  /** 'discard' sends stdout to /dev/null (the log lines are still written: that cost is real). */
  stdout?: 'discard' | 'capture';
  startTimeoutMillis?: number;
}

/** How the API is started: the compiled build (what production runs) or the sources via tsx. */
export function apiArguments(entry: 'dist' | 'src', nodeOptions: string[] = []): string[] {
  return entry === 'dist'
    ? [...nodeOptions, 'dist/server.js']
    : [...nodeOptions, '--require', 'tsx/cjs', 'src/server.ts'];
}

export class ServerProcess {
  readonly stdout: string[] = [];
  readonly stderr: string[] = [];
  readonly exited: Promise<ExitStatus>;

  private constructor(
    readonly child: ChildProcess,
    readonly port: number,
  ) {
    this.exited = new Promise((resolve) =>
      child.on('exit', (code, signal) => resolve({ code, signal, at: Date.now() })),
    );
    collectLines(child.stderr, this.stderr);
    collectLines(child.stdout, this.stdout);
  }

  static async start(options: ServerProcessOptions): Promise<ServerProcess> {
    const stdout = options.stdout === 'capture' ? 'pipe' : openSync('/dev/null', 'w');
    const child = spawn(options.node ?? process.execPath, options.args, {
      cwd: appRoot,
      env: {
        PATH: process.env.PATH,
        // Under `npm test` (c8), the API's own coverage counts too.
        ...(process.env.NODE_V8_COVERAGE ? { NODE_V8_COVERAGE: process.env.NODE_V8_COVERAGE } : {}),
        ...options.env,
        PORT: String(options.port),
      },
      stdio: ['ignore', stdout, 'pipe'],
    });
    if (typeof stdout === 'number') closeSync(stdout); // the child holds its own copy
    const server = new ServerProcess(child, options.port);
    let ended: ExitStatus | undefined;
    void server.exited.then((status) => (ended = status));
    try {
      await waitFor(
        async () => {
          if (ended) throw new Error(`exited with ${ended.code ?? ended.signal}`);
          return (await server.status(options.readyPath ?? '/health')) === 200;
        },
        options.startTimeoutMillis ?? 30_000,
        `${options.args.join(' ')} on port ${options.port}`,
        100,
      );
    } catch (error) {
      child.kill('SIGKILL');
      throw new Error(
        `server did not start: ${(error as Error).message}\n${server.stderr.slice(-20).join('\n')}`,
      );
    }
    return server;
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** Status code of a GET, or undefined when the server does not answer (within 2 s). */
  async status(path: string): Promise<number | undefined> {
    try {
      const response = await request(`${this.baseUrl}${path}`, {
        headersTimeout: 2000,
        bodyTimeout: 2000,
        reset: true,
      });
      await response.body.dump();
      return response.statusCode;
    } catch {
      return undefined;
    }
  }

  /** Resident set size from /proc (Linux), in bytes. */
  rssBytes(): number {
    const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(status);
    if (!match?.[1]) throw new Error(`no VmRSS for process ${this.pid}`);
    return Number(match[1]) * 1024;
  }

  signal(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  /** SIGTERM, then SIGKILL if the process is still there after the timeout. */
  async stop(timeoutMillis = 15_000): Promise<ExitStatus> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMillis);
      const status = await this.exited;
      clearTimeout(timer);
      return status;
    }
    return this.exited;
  }
}

function collectLines(stream: NodeJS.ReadableStream | null, lines: string[]): void {
  if (!stream) return;
  let rest = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    const parts = (rest + chunk).split('\n');
    rest = parts.pop() ?? '';
    for (const line of parts) if (line !== '') lines.push(line);
    // Bounded: a long run must not grow the harness's own memory.
    if (lines.length > 50_000) lines.splice(0, lines.length - 50_000);
  });
}
