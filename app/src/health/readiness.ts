// Readiness: can this instance serve payments right now? Liveness never comes here.
import type { Pool } from 'pg';
import { withDeadline } from '../deadline';
import type { Metrics } from '../metrics';
import type { RedisClient } from '../redis/client';

export type CheckName = 'postgres' | 'redis';

/** `degraded: <reason>`: the check failed but the instance serves without it. */
export type CheckResult = 'ok' | 'failed' | `degraded: ${string}`;

export interface ReadinessReport {
  ready: boolean;
  body: {
    status: 'ready' | 'not ready';
    checks: Record<CheckName, CheckResult>;
    reasons?: Partial<Record<CheckName | 'shutdown', string>>;
  };
}

export class ReadinessProbe {
  private shuttingDown = false;

  constructor(
    private readonly pool: Pool,
    private readonly redis: RedisClient,
    private readonly metrics: Metrics,
    private readonly timeoutMillis: number,
    /**
     * false: a Redis failure does not make the instance unready (idempotency falls back to the
     * PostgreSQL primary key), it is reported as `degraded: <reason>`; dependency_up still says 0.
     */
    private readonly requiresRedis = true,
  ) {}

  /** From now on the instance reports not ready, so load balancers stop sending traffic. */
  markShuttingDown(): void {
    this.shuttingDown = true;
  }

  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  private async checkPostgres(): Promise<void> {
    await withDeadline(
      this.pool.query({ text: 'SELECT 1', query_timeout: this.timeoutMillis } as { text: string }),
      this.timeoutMillis,
    );
  }

  private async checkRedis(): Promise<void> {
    if (!this.redis.isReady) throw new Error('client not connected');
    const reply = await withDeadline(this.redis.ping(), this.timeoutMillis);
    if (reply !== 'PONG') throw new Error(`unexpected PING reply ${String(reply)}`);
  }

  async check(): Promise<ReadinessReport> {
    const names: CheckName[] = ['postgres', 'redis'];
    const results = await Promise.allSettled([this.checkPostgres(), this.checkRedis()]);
    const checks = {} as Record<CheckName, CheckResult>;
    const reasons: Partial<Record<CheckName | 'shutdown', string>> = {};
    results.forEach((result, index) => {
      const name = names[index] as CheckName;
      this.metrics.dependencyUp.set({ dependency: name }, result.status === 'fulfilled' ? 1 : 0);
      if (result.status === 'fulfilled') {
        checks[name] = 'ok';
        return;
      }
      const reason = (result.reason as Error).message || 'failed';
      if (name === 'redis' && !this.requiresRedis) {
        checks[name] = `degraded: ${reason}`;
      } else {
        checks[name] = 'failed';
        reasons[name] = reason;
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
