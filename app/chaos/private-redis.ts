// A redis-server of our own on a free port, no persistence, that fault runs may kill.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { canConnect, freePort, waitFor } from './network';

export class PrivateRedis {
  private process: ChildProcess | undefined;

  private constructor(readonly port: number) {}

  static async start(): Promise<PrivateRedis> {
    const redis = new PrivateRedis(await freePort());
    await redis.startAgain();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async startAgain(): Promise<void> {
    this.process = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    );
    await waitFor(() => canConnect(this.port), 10_000, `redis-server on port ${this.port}`);
  }

  /**
   * SIGSTOP: a frozen server (swapped out, stuck on a slow disk, paused VM). Its connections
   * stay open and accept commands, nothing is answered. thaw() resumes it.
   */
  freeze(): void {
    this.process?.kill('SIGSTOP');
  }

  thaw(): void {
    this.process?.kill('SIGCONT');
  }

  /** SIGKILL: the crash case, no chance to flush or say goodbye to clients. */
  async kill(): Promise<void> {
    const child = this.process;
    this.process = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGKILL');
    await once(child, 'exit');
  }
}
