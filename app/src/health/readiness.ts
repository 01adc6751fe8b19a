// Readiness: can this instance serve payments right now? Liveness never comes here.
import type { Pool } from 'pg';
import type { Metrics } from '../metrics';
import type { RedisClient } from '../redis/client';

export type CheckName = 'postgres' | 'redis';

export interface ReadinessReport {
  ready: boolean;
  body: {
    status: 'ready' | 'not ready';
    checks: Record<CheckName, 'ok' | 'failed'>;
    reasons?: Partial<Record<CheckName | 'shutdown', string>>;
  };
}

function withTimeout<T>(work: Promise<T>, millis: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${millis} ms`)), millis);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

export class ReadinessProbe {
  private shuttingDown = false;

  constructor(
    private readonly pool: Pool,
    private readonly redis: RedisClient,
    private readonly metrics: Metrics,
    private readonly timeoutMillis: number,
  ) {}

  /** From now on the instance reports not ready, so load balancers stop sending traffic. */
  markShuttingDown(): void {
    this.shuttingDown = true;
  }

  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  private async checkPostgres(): Promise<void> {
    await withTimeout(
      this.pool.query({ text: 'SELECT 1', query_timeout: this.timeoutMillis } as { text: string }),
      this.timeoutMillis,
    );
  }

  private async checkRedis(): Promise<void> {
    if (!this.redis.isReady) throw new Error('client not connected');
    const reply = await withTimeout(this.redis.ping(), this.timeoutMillis);
    if (reply !== 'PONG') throw new Error(`unexpected PING reply ${String(reply)}`);
  }

  async check(): Promise<ReadinessReport> {
    const names: CheckName[] = ['postgres', 'redis'];
    const results = await Promise.allSettled([this.checkPostgres(), this.checkRedis()]);
    const checks = {} as Record<CheckName, 'ok' | 'failed'>;
    const reasons: Partial<Record<CheckName | 'shutdown', string>> = {};
    results.forEach((result, index) => {
      const name = names[index] as CheckName;
      const up = result.status === 'fulfilled';
      checks[name] = up ? 'ok' : 'failed';
      this.metrics.dependencyUp.set({ dependency: name }, up ? 1 : 0);
      if (result.status === 'rejected') {
        reasons[name] = (result.reason as Error).message || 'failed';
      }
    });
    if (this.shuttingDown) reasons.shutdown = 'instance is shutting down';
    const ready = Object.keys(reasons).length === 0;
    return {
      ready,
      body: { status: ready ? 'ready' : 'not ready', checks, ...(ready ? {} : { reasons }) },
    };
  }
}
