// Deletes expired idempotency_keys rows, which nothing else removes unless their key is sent
// again. Every API replica runs it: the batches lock their rows with SKIP LOCKED, so replicas
// running at the same moment delete disjoint rows instead of queueing on each other. Payments
// stay: only the key rows go (after expiry a payment no longer has its key row, by design).
import type { Pool } from 'pg';
import type { Logger } from '../telemetry/logger';

export interface PurgeSettings {
  /** Mean time between runs; 0 never schedules one. */
  intervalMillis: number;
  /** Rows per DELETE statement: bounds each statement's locks, WAL burst and duration. */
  batchSize: number;
}

export interface PurgeCounters {
  /** Rows deleted. */
  purged(count: number): void;
  /** Runs that ended on an error. */
  failed(): void;
}

// The batch is chosen once (an InitPlan over the expires_at index) and its rows are then
// fetched by TID. Rows are never updated and FOR UPDATE holds them, so each ctid still names
// the row it was taken from when the DELETE reaches it. SKIP LOCKED also passes over a row that
// a request is deleting or replacing at that moment (repository.ts).
const deleteBatch = `DELETE FROM idempotency_keys
  WHERE ctid = ANY(ARRAY(
    SELECT ctid FROM idempotency_keys
    WHERE expires_at <= now()
    LIMIT $1
    FOR UPDATE SKIP LOCKED))`;

/** Share of the interval by which each delay varies, so replicas started together drift apart. */
const jitter = 0.2;

export class IdempotencyKeyPurger {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;
  private stopped = false;

  constructor(
    private readonly pool: Pool,
    private readonly settings: PurgeSettings,
    private readonly counters: PurgeCounters,
    private readonly logger: Logger,
    private readonly random: () => number = Math.random,
  ) {}

  /**
   * Deletes expired rows batch after batch until a batch comes back short (nothing left that
   * another run is not already deleting) or stop() is called. Returns the rows deleted.
   */
  async purgeExpired(): Promise<number> {
    let total = 0;
    for (;;) {
      const result = await this.pool.query(deleteBatch, [this.settings.batchSize]);
      const deleted = result.rowCount ?? 0;
      total += deleted;
      this.counters.purged(deleted);
      if (deleted < this.settings.batchSize || this.stopped) return total;
    }
  }

  /** Schedules the runs; the first comes after a random share of one interval. */
  start(): void {
    if (this.settings.intervalMillis === 0 || this.stopped || this.active) return;
    this.schedule(this.random() * this.settings.intervalMillis);
  }

  /** No run starts after this; resolves once a run under way has finished its batch. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
  }

  /** True while a run is scheduled or under way. */
  get active(): boolean {
    return this.timer !== undefined || this.running !== undefined;
  }

  private schedule(delayMillis: number): void {
    this.timer = setTimeout(() => void this.runOnce(), delayMillis);
    // A pending purge must not keep the process alive (tests, a shutdown that forgets stop()).
    this.timer.unref();
  }

  private async runOnce(): Promise<void> {
    this.timer = undefined;
    const started = Date.now();
    this.running = this.purgeExpired();
    try {
      const deleted = await this.running;
      if (deleted > 0) {
        this.logger.info(
          { deleted, duration_ms: Date.now() - started },
          'expired idempotency keys purged',
        );
      }
    } catch (error) {
      this.counters.failed();
      this.logger.warn(
        { err: { message: (error as Error).message, code: (error as { code?: unknown }).code } },
        'idempotency key purge failed; retrying at the next interval',
      );
    } finally {
      this.running = undefined;
    }
    if (this.stopped) return;
    const spread = 1 - jitter + 2 * jitter * this.random();
    this.schedule(this.settings.intervalMillis * spread);
  }
}
