// Readiness: can this instance serve payments right now? Liveness never comes here.
import type { Pool } from 'pg';
import { withDeadline } from '../deadline';
import type { Metrics } from '../metrics';
import type { RedisClient } from '../redis/client';

export type CheckName = 'postgres' | 'redis';

/**
 * `degraded: <reason>`: the check failed but the instance serves without it. `disabled`: not
 * configured (no REDIS_URL), nothing to check.
 */
export type CheckResult = 'ok' | 'failed' | 'disabled' | `degraded: ${string}`;

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
    /** undefined: Redis is not configured; readiness never depends on it. */
    private readonly redis: RedisClient | undefined,
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

  private async checkRedis(redis: RedisClient): Promise<void> {
    if (!redis.isReady) throw new Error('client not connected');
    const reply = await withDeadline(redis.ping(), this.timeoutMillis);
    if (reply !== 'PONG') throw new Error(`unexpected PING reply ${String(reply)}`);
  }

  async check(): Promise<ReadinessReport> {
    const redis = this.redis;
    const [postgres, redisResult] = await Promise.allSettled([
      this.checkPostgres(),
      redis && this.checkRedis(redis),
    ]);
    const checks = {} as Record<CheckName, CheckResult>;
    const reasons: Partial<Record<CheckName | 'shutdown', string>> = {};
    const record = (name: CheckName, result: PromiseSettledResult<unknown>, required: boolean) => {
      this.metrics.dependencyUp.set({ dependency: name }, result.status === 'fulfilled' ? 1 : 0);
      if (result.status === 'fulfilled') {
        checks[name] = 'ok';
        return;
      }
      const reason = (result.reason as Error).message || 'failed';
      if (required) {
        checks[name] = 'failed';
        reasons[name] = reason;
      } else {
        checks[name] = `degraded: ${reason}`;
      }
    };
    record('postgres', postgres, true);
    // Not configured: no dependency_up series, so DependencyDown has nothing to fire on.
    if (redis) record('redis', redisResult, this.requiresRedis);
    else checks.redis = 'disabled';
    if (this.shuttingDown) reasons.shutdown = 'instance is shutting down';
    const ready = Object.keys(reasons).length === 0;
    return {
      ready,
      body: { status: ready ? 'ready' : 'not ready', checks, ...(ready ? {} : { reasons }) },
    };
  }
}
