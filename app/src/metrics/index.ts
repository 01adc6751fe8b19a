// The Prometheus metrics the dashboards and alerts (monitoring/) rely on. Names and labels
// are a contract: change them only together with monitoring/.
import {
  Counter,
  Gauge,
  Histogram,
  Registry,
  collectDefaultMetrics,
  type Metric,
  type MetricObjectWithValues,
  type MetricValue,
  type OpenMetricsContentType,
} from 'prom-client';

export interface PoolStats {
  totalCount: number;
  idleCount: number;
  waitingCount: number;
}

/** One answer to a scrape of /metrics. */
export interface Exposition {
  contentType: string;
  body: string;
}

export interface Metrics {
  /** Every metric, in the Prometheus text format 0.0.4 (which has no exemplars). */
  registry: Registry;
  httpRequests: Counter<'method' | 'route' | 'status_code'>;
  /**
   * Latency by method, route template and status code, with exemplars: observed with
   * `observe({ labels, value, exemplarLabels: { trace_id } })` for a request whose trace is
   * sampled (the exemplar leads from the latency sample to the trace in Tempo),
   * `labels(...).observe(value)` otherwise.
   */
  httpDuration: Histogram<'method' | 'route' | 'status_code'>;
  paymentsCreated: Counter<'currency'>;
  idempotencyReplays: Counter;
  dependencyUp: Gauge<'dependency'>;
  idempotencyKeysPurged: Counter;
  idempotencyPurgeFailures: Counter;
  /**
   * A scrape's answer: OpenMetrics 1.0.0 (with the exemplars) or the Prometheus text format,
   * both from the same metric objects.
   */
  expose(format: 'openmetrics' | 'prometheus'): Promise<Exposition>;
}

export interface MetricsSources {
  appVersion: string;
  pool: () => PoolStats;
  /** undefined: Redis is not configured (no REDIS_URL), and redis_connected is not exposed. */
  redisConnected: (() => boolean) | undefined;
}

export function createMetrics(sources: MetricsSources): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const openMetricsRegistry = new Registry<OpenMetricsContentType>();
  openMetricsRegistry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);

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
    // One exemplar (the trace id of the latest sampled request) per bucket and series. The
    // constructor refuses exemplars when given a Prometheus-format registry, hence the
    // registration below: that registry's text output leaves the exemplars out, the
    // OpenMetrics one carries them.
    enableExemplars: true,
    registers: [],
  });
  registry.registerMetric(httpDuration);
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
  const redisConnected = sources.redisConnected;
  new Gauge({
    name: 'redis_enabled',
    help: '1 when Redis is configured (REDIS_URL), 0 when idempotency runs on PostgreSQL alone',
    registers: [registry],
  }).set(redisConnected ? 1 : 0);
  if (redisConnected) {
    new Gauge({
      name: 'redis_connected',
      help: '1 when the Redis client is connected and ready, else 0',
      registers: [registry],
      collect() {
        this.set(redisConnected() ? 1 : 0);
      },
    });
  }
  const dependencyUp = new Gauge({
    name: 'dependency_up',
    help: 'Result of the last readiness check per dependency (1 up, 0 down)',
    labelNames: ['dependency'] as const,
    registers: [registry],
  });
  // Written by the expired-key purge (payments/idempotency-purge.ts).
  const idempotencyKeysPurged = new Counter({
    name: 'idempotency_keys_purged_total',
    help: 'Expired idempotency_keys rows deleted by the periodic purge',
    registers: [registry],
  });
  const idempotencyPurgeFailures = new Counter({
    name: 'idempotency_key_purge_failures_total',
    help: 'Runs of the expired idempotency key purge that ended on an error',
    registers: [registry],
  });

  // Every metric of `registry` (the default ones included) is served in both formats, from the
  // same objects: one set of values.
  for (const metric of registry.getMetricsAsArray()) {
    openMetricsRegistry.registerMetric(
      metric instanceof Counter ? openMetricsCounter(metric) : (metric as unknown as Metric),
    );
  }

  return {
    registry,
    httpRequests,
    httpDuration,
    paymentsCreated,
    idempotencyReplays,
    dependencyUp,
    idempotencyKeysPurged,
    idempotencyPurgeFailures,
    async expose(format) {
      const chosen = format === 'openmetrics' ? openMetricsRegistry : registry;
      return { contentType: chosen.contentType, body: await chosen.metrics() };
    },
  };
}

/**
 * A counter as the OpenMetrics registry sees it. OpenMetrics names a counter's family without
 * `_total` (its samples keep the suffix), and prom-client 15's Registry.metrics() gets there by
 * renaming the counter object in place, after which the Prometheus text of the same counter
 * would lose its `_total` for good. The OpenMetrics registry gets this view instead: the
 * renaming lands on the view, whose name already lacks the suffix, and the values come from
 * the counter.
 */
function openMetricsCounter(counter: Counter): Metric {
  const family = (counter as unknown as { name: string }).name.replace(/_total$/, '');
  const view = {
    name: family,
    type: 'counter',
    async get(): Promise<MetricObjectWithValues<MetricValue<string>>> {
      return { ...(await counter.get()), name: family };
    },
    reset(): void {
      counter.reset();
    },
  };
  return view as unknown as Metric;
}
