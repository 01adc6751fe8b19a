// buildah builds and runs OCI images without a Docker daemon. The image test drives it through
// these few functions. `--isolation chroot` is used everywhere: it needs no user namespaces or
// rlimit changes, which this sandbox (and many CI runners) refuse (podman run fails here).
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export interface CommandResult {
  stdout: string;
  stderr: string;
}

export class BuildahError extends Error {
  constructor(
    readonly args: readonly string[],
    readonly exitCode: number | string | undefined,
    readonly stdout: string,
    readonly stderr: string,
  ) {
    super(
      `buildah ${args.join(' ')} failed (exit ${String(exitCode)}):\n${stderr.slice(-4000)}\n${stdout.slice(-4000)}`,
    );
  }
}

export function buildahVersion(): string | undefined {
  try {
    return execFileSync('buildah', ['--version'], { encoding: 'utf8' }).trim();
  } catch {
    return undefined;
  }
}

export async function buildah(args: string[], timeoutMs = 600_000): Promise<CommandResult> {
  try {
    return await execFileAsync('buildah', args, {
      encoding: 'utf8',
      maxBuffer: 256 * 1024 * 1024,
      timeout: timeoutMs,
    });
  } catch (error) {
    const failure = error as Error & { code?: number | string; stdout?: string; stderr?: string };
    throw new BuildahError(
      args,
      failure.code,
      failure.stdout ?? '',
      failure.stderr ?? failure.message,
    );
  }
}

export async function imageExists(image: string): Promise<boolean> {
  try {
    await buildah(['inspect', '--type', 'image', image]);
    return true;
  } catch {
    return false;
  }
}

/** The Docker-format image configuration (`buildah bud --format docker` keeps HEALTHCHECK). */
export interface ImageConfig {
  User?: string;
  Env?: string[];
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  WorkingDir?: string;
  ExposedPorts?: Record<string, unknown>;
  Labels?: Record<string, string>;
  StopSignal?: string;
  Healthcheck?: {
    Test?: string[];
    Interval?: number;
    Timeout?: number;
    StartPeriod?: number;
    Retries?: number;
  };
}

export async function inspectImageConfig(image: string): Promise<ImageConfig> {
  const { stdout } = await buildah(['inspect', '--type', 'image', image]);
  const inspected = JSON.parse(stdout) as { Docker?: { config?: ImageConfig } };
  if (!inspected.Docker?.config) throw new Error(`${image} has no Docker-format configuration`);
  return inspected.Docker.config;
}

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A process started by `buildah run` in a working container, still running. */
export class ContainerProcess {
  private output = '';
  readonly exited: Promise<ExitStatus>;

  constructor(private readonly child: ChildProcess) {
    child.stdout?.on('data', (chunk: Buffer) => (this.output += chunk.toString('utf8')));
    child.stderr?.on('data', (chunk: Buffer) => (this.output += chunk.toString('utf8')));
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
  }

  get logs(): string {
    return this.output;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /**
   * The process that buildah started inside the container. buildah run does not forward
   * SIGTERM to it (buildah kills it instead), so a signal test must address this process
   * directly, the way a container runtime signals PID 1.
   */
  findProcess(executable: string): number | undefined {
    const buildahPid = this.child.pid;
    if (buildahPid === undefined) return undefined;
    return descendantsOf(buildahPid).find((pid) => {
      try {
        return readlinkSync(`/proc/${pid}/exe`).endsWith(`/${executable}`);
      } catch {
        return false;
      }
    });
  }

  /** Last resort when a test fails half way: never leave a server running. */
  kill(): void {
    if (this.running) this.child.kill('SIGKILL');
  }
}

export function processUid(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const uid = /^Uid:\s+(\d+)/m.exec(status)?.[1];
  if (uid === undefined) throw new Error(`no Uid line in /proc/${pid}/status`);
  return Number(uid);
}

function descendantsOf(ancestor: number): number[] {
  const parentOf = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Fields after the command name (which may contain spaces): state, ppid, …
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parentOf.set(Number(entry), ppid);
    } catch {
      // the process ended while we were reading /proc
    }
  }
  return [...parentOf.keys()].filter((pid) => {
    for (let current = parentOf.get(pid); current !== undefined && current > 1;) {
      if (current === ancestor) return true;
      current = parentOf.get(current);
    }
    return false;
  });
}

/** A buildah working container: the image's filesystem and configuration, ready to run. */
export class WorkingContainer {
  private constructor(readonly name: string) {}

  static async create(image: string, name: string): Promise<WorkingContainer> {
    await buildah(['from', '--pull=never', '--name', name, image]);
    return new WorkingContainer(name);
  }

  private runArgs(command: string[], env: Record<string, string>): string[] {
    const envArgs = Object.entries(env).flatMap(([key, value]) => ['--env', `${key}=${value}`]);
    // The container shares the host network (chroot isolation has no network namespace), so
    // the test PostgreSQL/Redis on loopback are reachable and so is the API's port.
    return ['run', '--isolation', 'chroot', ...envArgs, this.name, '--', ...command];
  }

  /** Runs a command to completion with the image's user, working directory and environment. */
  async run(
    command: string[],
    env: Record<string, string> = {},
    timeoutMs = 120_000,
  ): Promise<CommandResult & { code: number }> {
    try {
      const result = await execFileAsync('buildah', this.runArgs(command, env), {
        encoding: 'utf8',
        maxBuffer: 64 * 1024 * 1024,
        timeout: timeoutMs,
      });
      return { ...result, code: 0 };
    } catch (error) {
      const failure = error as Error & { code?: number | string; stdout?: string; stderr?: string };
      if (typeof failure.code !== 'number') throw error;
      return { stdout: failure.stdout ?? '', stderr: failure.stderr ?? '', code: failure.code };
    }
  }

  start(command: string[], env: Record<string, string> = {}): ContainerProcess {
    const child = spawn('buildah', this.runArgs(command, env), {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new ContainerProcess(child);
  }

  async remove(): Promise<void> {
    await buildah(['rm', this.name]);
  }
}
