// The Prometheus metrics the dashboards and alerts (monitoring/) rely on. Names and labels
// are a contract: change them only together with monitoring/.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface PoolStats {
  totalCount: number;
  idleCount: number;
  waitingCount: number;
}

export interface Metrics {
  registry: Registry;
  httpRequests: Counter<'method' | 'route' | 'status_code'>;
  httpDuration: Histogram<'method' | 'route' | 'status_code'>;
  paymentsCreated: Counter<'currency'>;
  idempotencyReplays: Counter;
  dependencyUp: Gauge<'dependency'>;
}

export interface MetricsSources {
  appVersion: string;
  pool: () => PoolStats;
  redisConnected: () => boolean;
}

export function createMetrics(sources: MetricsSources): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  const httpRequests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests by method, route template and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    registers: [registry],
  });
  const httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency by method, route template and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    // Dense around the 50 ms P99 target and the 500 ms alert threshold.
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const paymentsCreated = new Counter({
    name: 'payments_created_total',
    help: 'Payments persisted (idempotent replays are not counted)',
    labelNames: ['currency'] as const,
    registers: [registry],
  });
  const idempotencyReplays = new Counter({
    name: 'idempotency_replays_total',
    help: 'POST requests answered with the stored response of an earlier request with the same Idempotency-Key',
    registers: [registry],
  });
  new Gauge({
    name: 'app_info',
    help: 'Build information; the value is always 1',
    labelNames: ['version'] as const,
    registers: [registry],
  }).set({ version: sources.appVersion }, 1);
  new Gauge({
    name: 'pg_pool_connections',
    help: 'PostgreSQL pool connections by state (total, idle, waiting = callers queued for a connection)',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      const stats = sources.pool();
      this.set({ state: 'total' }, stats.totalCount);
      this.set({ state: 'idle' }, stats.idleCount);
      this.set({ state: 'waiting' }, stats.waitingCount);
    },
  });
  new Gauge({
    name: 'redis_connected',
    help: '1 when the Redis client is connected and ready, else 0',
    registers: [registry],
    collect() {
      this.set(sources.redisConnected() ? 1 : 0);
    },
  });
  const dependencyUp = new Gauge({
    name: 'dependency_up',
    help: 'Result of the last readiness check per dependency (1 up, 0 down)',
    labelNames: ['dependency'] as const,
    registers: [registry],
  });
  return {
    registry,
    httpRequests,
    httpDuration,
    paymentsCreated,
    idempotencyReplays,
    dependencyUp,
  };
}
