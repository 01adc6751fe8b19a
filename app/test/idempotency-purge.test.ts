// The expired idempotency key purge against the real PostgreSQL: batches, what it keeps, several
// replicas at once, failures, the timer and its end at shutdown.
import { expect } from 'chai';
import { Pool } from 'pg';
import { IdempotencyKeyPurger, type PurgeSettings } from '../src/payments/idempotency-purge';
import {
  createTestDatabase,
  hangGuardMillis,
  sharedServers,
  sleep,
  type TestDatabase,
  waitFor,
} from './support/servers';
import { asApiRole, capturingLogger, migrate, startInProcess } from './support/service';

interface Counted {
  purged: number[];
  failures: number;
}

describe('idempotency key purge', function () {
  this.timeout(60000);
  let database: TestDatabase;
  let pool: Pool;

  const counting = (): Counted & { purgedFn: (n: number) => void; failedFn: () => void } => {
    const counted = {
      purged: [] as number[],
      failures: 0,
      purgedFn: (n: number) => counted.purged.push(n),
      failedFn: () => {
        counted.failures += 1;
      },
    };
    return counted;
  };
  const purger = (settings: PurgeSettings, counted = counting(), target = pool) => ({
    counted,
    purger: new IdempotencyKeyPurger(
      target,
      settings,
      { purged: counted.purgedFn, failed: counted.failedFn },
      capturingLogger('silent').logger,
    ),
  });

  /** `count` payments, each with its key row, expiring `expiresIn` from now (negative: expired). */
  const seed = async (prefix: string, count: number, expiresIn: string) => {
    await pool.query(
      `WITH p AS (
         INSERT INTO payments (id, amount_minor, currency)
         SELECT 'pay_' || md5($1 || n), 100, 'EUR' FROM generate_series(1, $2) AS n
         RETURNING id)
       INSERT INTO idempotency_keys
         (scope, key, request_hash, payment_id, response_status, response_body, expires_at)
       SELECT 'payments.create', $1 || substr(id, 5), 'hash', id, 201, '{}', now() + $3::interval
       FROM p`,
      [prefix, count, expiresIn],
    );
  };
  const count = async (sql: string): Promise<number> =>
    Number((await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${sql}`)).rows[0]?.n);

  before(async function () {
    database = await createTestDatabase('purge');
    await migrate(database.url);
    pool = new Pool({ connectionString: database.url, max: 6 });
  });
  beforeEach(async function () {
    await pool.query('TRUNCATE idempotency_keys, payments');
  });
  after(async function () {
    await pool?.end();
    await database?.drop();
  });

  it('deletes expired rows in batches, keeps unexpired keys and every payment', async function () {
    await seed('old', 25, '-1 second');
    await seed('new', 7, '1 day');
    const { purger: subject, counted } = purger({ intervalMillis: 0, batchSize: 10 });

    expect(await subject.purgeExpired()).to.equal(25);
    // Two full batches, then a short one ends the run.
    expect(counted.purged).to.deep.equal([10, 10, 5]);
    expect(await count('idempotency_keys WHERE expires_at <= now()')).to.equal(0);
    expect(await count("idempotency_keys WHERE key LIKE 'new%'")).to.equal(7);
    expect(await count('payments')).to.equal(32);
    // Nothing left: one empty batch.
    expect(await subject.purgeExpired()).to.equal(0);
    expect(counted.purged).to.deep.equal([10, 10, 5, 0]);
  });

  it('several replicas purging at once delete every expired row exactly once', async function () {
    await seed('bulk', 600, '-1 minute');
    await seed('keep', 5, '1 hour');
    const replicas = [1, 2, 3, 4].map(() => purger({ intervalMillis: 0, batchSize: 50 }));
    const deleted = await Promise.all(replicas.map(({ purger: p }) => p.purgeExpired()));
    expect(deleted.reduce((a, b) => a + b, 0)).to.equal(600);
    expect(await count('idempotency_keys')).to.equal(5);
    expect(await count('payments')).to.equal(605);
  });

  it('a failing run is logged and counted, and the next run works', async function () {
    await seed('later', 3, '-1 second');
    const counted = counting();
    const captured = capturingLogger();
    const subject = new IdempotencyKeyPurger(
      pool,
      { intervalMillis: 30, batchSize: 100 },
      { purged: counted.purgedFn, failed: counted.failedFn },
      captured.logger,
      () => 0,
    );
    // The table missing for a moment: every statement fails with 42P01.
    await pool.query('ALTER TABLE idempotency_keys RENAME TO idempotency_keys_away');
    try {
      subject.start();
      await waitFor(() => counted.failures >= 2, hangGuardMillis, 'two failed runs');
    } finally {
      await pool.query('ALTER TABLE idempotency_keys_away RENAME TO idempotency_keys');
    }
    await waitFor(() => counted.purged.includes(3), hangGuardMillis, 'a run after the failures');
    await subject.stop();
    const failure = captured.lines.find((line) => String(line.msg).includes('purge failed'));
    expect(failure).to.include({ level: 'warn' });
    expect(failure?.err).to.deep.include({ code: '42P01' });
    expect(await count('idempotency_keys')).to.equal(0);
    expect(await count('payments')).to.equal(3);
  });

  it('runs on its timer, and stop() ends it: no run starts afterwards', async function () {
    await seed('tick', 4, '-1 second');
    const { purger: subject, counted } = purger({ intervalMillis: 40, batchSize: 100 });
    subject.start();
    await waitFor(() => counted.purged.length >= 3, hangGuardMillis, 'three timed runs');
    expect(counted.purged[0]).to.equal(4);
    await subject.stop();
    expect(subject.active).to.equal(false);
    const runs = counted.purged.length;
    await seed('after', 2, '-1 second');
    await sleep(300);
    expect(counted.purged.length).to.equal(runs);
    expect(await count('idempotency_keys')).to.equal(2);
  });

  it('interval 0 never schedules a run', async function () {
    await seed('off', 2, '-1 second');
    const { purger: subject, counted } = purger({ intervalMillis: 0, batchSize: 100 });
    subject.start();
    expect(subject.active).to.equal(false);
    await sleep(200);
    expect(counted.purged).to.deep.equal([]);
    expect(await count('idempotency_keys')).to.equal(2);
  });

  it('the API purges on its timer, counts the rows in /metrics, and stops on close()', async function () {
    const { redisUrl } = sharedServers();
    await seed('api', 12, '-1 second');
    const running = await startInProcess(asApiRole(database.url), redisUrl, {
      IDEMPOTENCY_PURGE_INTERVAL_SECONDS: '1',
      IDEMPOTENCY_PURGE_BATCH_SIZE: '5',
    });
    try {
      expect(running.service.purger.active).to.equal(true);
      await waitFor(
        async () => (await count('idempotency_keys')) === 0,
        hangGuardMillis,
        'the purge',
      );
      const metrics = await running.service.metrics.registry.getSingleMetricAsString(
        'idempotency_keys_purged_total',
      );
      expect(metrics).to.match(/^idempotency_keys_purged_total 12$/m);
      expect(await count('payments')).to.equal(12);
    } finally {
      await running.service.close();
    }
    expect(running.service.purger.active).to.equal(false);
  });
});
