// The fault runs. Each scenario drives load, injects one fault, and returns the facts it
// measured plus a list of checks (what it claims, whether it held). The mocha short form
// (test/chaos.test.ts) and the long form (npm run chaos) run the same code with other sizes.
import { randomBytes } from 'node:crypto';
import { createClient } from 'redis';
import { request } from 'undici';
import { maxRequestMillis, redisKeyPrefix, type FaultLab } from './fault-lab';
import { sleep, waitFor } from './network';
import { pollStatus, runPaymentLoad, type RequestOutcome } from './payment-load';

export interface Check {
  claim: string;
  passed: boolean;
  detail: string;
  /**
   * A time bound (recovery within 5 s, no request over N ms): `make chaos` asserts it; the
   * short form in `make test` does not, as a loaded machine can break it without any bug.
   */
  timeBound?: true;
}

export interface ScenarioReport {
  scenario: string;
  facts: Record<string, number | string>;
  checks: Check[];
}

export interface LoadSize {
  /** Concurrent clients. */
  concurrency: number;
  /** Load before the fault is injected. */
  beforeFaultMillis: number;
  /** How long the dependency stays down. */
  outageMillis: number;
  /** Load after the dependency is back. */
  afterRecoveryMillis: number;
}

function check(claim: string, passed: boolean, detail: string): Check {
  return { claim, passed, detail };
}

function timeBound(claim: string, passed: boolean, detail: string): Check {
  return { claim, passed, detail, timeBound: true };
}

/**
 * Counts the load's 201s, so that a fault is injected only once the load is under way: a
 * fixed delay alone sees fewer requests, or none, on a slower machine.
 */
function loadProgress(): { onOutcome: (o: RequestOutcome) => void; underWay: () => Promise<void> } {
  let created = 0;
  return {
    onOutcome: (outcome) => {
      if (outcome.status === 201) created += 1;
    },
    underWay: async () => {
      await waitFor(() => created > 0, 30_000, 'a first 201 from the load');
    },
  };
}

/** One POST with a key of its own, outside the load: a probe whose answer must not depend on timing. */
async function probePayment(
  baseUrl: string,
  key: string,
): Promise<{ status: number; id?: string; errorCode?: string; replayed: boolean }> {
  const response = await request(`${baseUrl}/api/v1/payments`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': key },
    body: JSON.stringify({ amount: 1.5, currency: 'EUR' }),
  });
  const body = (await response.body.json()) as { id?: string; error?: { code?: string } };
  return {
    status: response.statusCode,
    id: body.id,
    errorCode: body.error?.code,
    replayed: response.headers['idempotent-replayed'] === 'true',
  };
}

function describe(outcome: RequestOutcome): string {
  return `${outcome.key}: ${outcome.status ?? outcome.failure} ${outcome.errorCode ?? ''} after ${outcome.endedAt - outcome.sentAt} ms`;
}

function examples(outcomes: RequestOutcome[]): string {
  return outcomes.slice(0, 3).map(describe).join('; ');
}

function countBy(outcomes: RequestOutcome[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const outcome of outcomes) {
    const label = String(outcome.status ?? outcome.failure);
    counts[label] = (counts[label] ?? 0) + 1;
  }
  return counts;
}

function summary(counts: Record<string, number>): string {
  return Object.entries(counts)
    .map(([status, count]) => `${status}×${count}`)
    .join(' ');
}

/**
 * What PostgreSQL holds after a run, against what clients were told: no payment without its
 * key (no partial write), one payment per key, every acknowledged payment stored.
 */
async function persistenceChecks(
  lab: FaultLab,
  databaseUrl: string,
  outcomes: RequestOutcome[],
): Promise<{ checks: Check[]; facts: Record<string, number> }> {
  const rows = await lab.query<{ key: string; payment_id: string; amount_minor: string }>(
    databaseUrl,
    `SELECT k.key, k.payment_id, p.amount_minor
       FROM idempotency_keys k JOIN payments p ON p.id = k.payment_id`,
  );
  const [counts] = await lab.query<{ payments: string; keys: string; orphans: string }>(
    databaseUrl,
    `SELECT (SELECT count(*) FROM payments) AS payments,
            (SELECT count(*) FROM idempotency_keys) AS keys,
            (SELECT count(*) FROM payments p
              WHERE NOT EXISTS (SELECT 1 FROM idempotency_keys k WHERE k.payment_id = p.id)) AS orphans`,
  );
  const payments = Number(counts?.payments);
  const orphans = Number(counts?.orphans);
  const stored = new Map(rows.map((row) => [row.key, row]));

  const idsByKey = new Map<string, Set<string>>();
  for (const outcome of outcomes) {
    if (outcome.status !== 201 || !outcome.paymentId) continue;
    const ids = idsByKey.get(outcome.key) ?? new Set<string>();
    ids.add(outcome.paymentId);
    idsByKey.set(outcome.key, ids);
  }
  const split = [...idsByKey.entries()].filter(([, ids]) => ids.size > 1);
  const missing = [...idsByKey.entries()].filter(
    ([key, ids]) => stored.get(key)?.payment_id !== [...ids][0],
  );
  const wrongAmount = outcomes.filter((o) => {
    const row = stored.get(o.key);
    return o.status === 201 && row && Number(row.amount_minor) !== Math.round(o.amount * 100);
  });
  const failedButStored = outcomes.filter(
    (o) => o.status !== 201 && stored.has(o.key) && !idsByKey.has(o.key),
  ).length;

  return {
    facts: {
      paymentsStored: payments,
      keysStored: Number(counts?.keys),
      acknowledgedKeys: idsByKey.size,
      failedButStored,
    },
    checks: [
      check(
        'no partial write: every payment row has its idempotency key row, and the reverse',
        orphans === 0 && payments === rows.length,
        `${payments} payments, ${rows.length} key rows joined, ${orphans} payments without key`,
      ),
      check(
        'no duplicate: one payment id per Idempotency-Key across all 201 answers',
        split.length === 0,
        split.length === 0
          ? `${idsByKey.size} keys acknowledged, each with one id`
          : split
              .slice(0, 3)
              .map(([key, ids]) => `${key}: ${[...ids].join(', ')}`)
              .join('; '),
      ),
      check(
        'every payment acknowledged with 201 is in the table (same id, same amount)',
        missing.length === 0 && wrongAmount.length === 0,
        `${missing.length} acknowledged keys missing or with another id, ${wrongAmount.length} amounts differ`,
      ),
    ],
  };
}

function isErrorShape(outcome: RequestOutcome): boolean {
  return typeof outcome.errorCode === 'string' && outcome.errorCode !== '';
}

/** Redis SIGKILLed during a POST load with reused keys, then restarted on the same port. */
export async function redisKilledDuringLoad(
  lab: FaultLab,
  size: LoadSize,
): Promise<ScenarioReport> {
  const databaseUrl = await lab.database('chaos_redis');
  const api = await lab.startApi(databaseUrl);
  const run = randomBytes(3).toString('hex');
  let stop = false;
  const progress = loadProgress();
  // Each key is sent three times in a row by different clients: concurrent duplicates (waiting
  // for the first one's commit), replays from Redis, and — while Redis is down — from PostgreSQL.
  const load = runPaymentLoad({
    baseUrl: api.baseUrl,
    concurrency: size.concurrency,
    keyFor: (i) => `redis-${run}-${Math.floor(i / 3)}`,
    shouldStop: () => stop,
    onOutcome: progress.onOutcome,
  });
  const readiness = pollStatus(api.baseUrl, '/ready', 100);
  await sleep(size.beforeFaultMillis);
  await progress.underWay();
  const killedAt = Date.now();
  await lab.redis.kill();
  await sleep(size.outageMillis / 2);
  // Probes in the middle of the outage, answered whatever the machine's speed.
  const readyDuringOutage = await api.status('/ready');
  const outageKey = `redis-${run}-during-outage`;
  const paidDuringOutage = await probePayment(api.baseUrl, outageKey);
  const retriedDuringOutage = await probePayment(api.baseUrl, outageKey);
  await sleep(size.outageMillis / 2);
  // The outage window ends when the restart begins: the API may reconnect (and answer 200)
  // before startAgain() has seen the new server accept connections.
  const restartingAt = Date.now();
  await lab.redis.startAgain();
  const restartedAt = Date.now();
  let readyAgainMillis = -1;
  try {
    readyAgainMillis = await waitFor(
      async () => (await api.status('/ready')) === 200,
      15_000,
      'readiness',
    );
  } catch {
    // reported by the check below
  }
  await sleep(size.afterRecoveryMillis);
  stop = true;
  const outcomes = await load;
  await readiness.stop();

  // The fast path is back: a new key is stored in Redis and its retry is replayed from there.
  const key = `redis-${run}-after-recovery`;
  const created = await probePayment(api.baseUrl, key);
  const redis = createClient({ url: lab.redis.url });
  await redis.connect();
  const cached = await redis.get(`${redisKeyPrefix}idempotency:payments.create:${key}`);
  redis.destroy();
  const replay = await probePayment(api.baseUrl, key);
  const cachedRecord = cached
    ? (JSON.parse(cached) as { state?: string; body?: { id?: string } })
    : undefined;

  const serverErrors = outcomes.filter((o) => (o.status ?? 0) >= 500);
  const noAnswer = outcomes.filter((o) => o.status === undefined);
  // Samples whose answer may straddle either edge of the outage are left out.
  const outage = readiness.samples.filter(
    (s) => s.at > killedAt + 300 && s.at + 300 < restartingAt,
  );
  const persistence = await persistenceChecks(lab, databaseUrl, outcomes);
  const apiStillUp = api.child.exitCode === null && api.child.signalCode === null;

  return {
    scenario: 'Redis killed (SIGKILL) during POST load, then restarted',
    facts: {
      requests: outcomes.length,
      statuses: summary(countBy(outcomes)),
      redisDownMillis: restartedAt - killedAt,
      readyAgainAfterRestartMillis: readyAgainMillis,
      maxLatencyMillis: Math.max(...outcomes.map((o) => o.endedAt - o.sentAt)),
      ...persistence.facts,
    },
    checks: [
      check(
        'no 5xx and no request left unanswered',
        serverErrors.length + noAnswer.length === 0,
        `${serverErrors.length} 5xx, ${noAnswer.length} without answer ${examples([...serverErrors, ...noAnswer])}`,
      ),
      check(
        'readiness reports 503 while Redis is down',
        readyDuringOutage === 503 && outage.every((s) => s.status === 503),
        `probe ${readyDuringOutage}; ${outage.length} samples during the outage: ${summary(countBy(outage.map((s) => ({ ...s, key: '', amount: 0, sentAt: 0, endedAt: 0, replayed: false }))))}` +
          outage
            .filter((s) => s.status !== 503)
            .map((s) => `; ${s.status ?? 'no answer'} at kill+${s.at - killedAt} ms`)
            .join('') +
          ` (restart began at kill+${restartingAt - killedAt} ms)`,
      ),
      check(
        'while Redis is down, a payment and its retry are served by PostgreSQL alone (201, one id)',
        paidDuringOutage.status === 201 &&
          retriedDuringOutage.status === 201 &&
          paidDuringOutage.id !== undefined &&
          retriedDuringOutage.id === paidDuringOutage.id,
        `POST ${paidDuringOutage.status} ${paidDuringOutage.id ?? paidDuringOutage.errorCode}, retry ${retriedDuringOutage.status} ${retriedDuringOutage.id ?? retriedDuringOutage.errorCode}`,
      ),
      check(
        'the API recovers without restart: readiness 200 again once Redis is back, same process',
        apiStillUp && readyAgainMillis >= 0,
        `${readyAgainMillis < 0 ? 'not ready after 15 s' : `ready after ${readyAgainMillis} ms`}, same process ${apiStillUp}`,
      ),
      timeBound(
        'readiness 200 again within 5 s of Redis returning',
        readyAgainMillis >= 0 && readyAgainMillis <= 5000,
        `${readyAgainMillis} ms`,
      ),
      check(
        'idempotency replay from Redis works again after recovery',
        created.status === 201 &&
          cachedRecord?.state === 'completed' &&
          cachedRecord.body?.id === created.id &&
          replay.status === 201 &&
          replay.id === created.id &&
          replay.replayed,
        `POST ${created.status} ${created.id}, Redis record ${cachedRecord?.state ?? 'absent'}, retry ${replay.status} ${replay.id} replayed=${String(replay.replayed)}`,
      ),
      ...persistence.checks,
    ],
  };
}

/** PostgreSQL stopped (pg_ctl stop -m fast) for a few seconds during load, then started. */
export async function postgresStoppedDuringLoad(
  lab: FaultLab,
  size: LoadSize,
  env: NodeJS.ProcessEnv = {},
): Promise<ScenarioReport> {
  const databaseUrl = await lab.database('chaos_pg');
  const api = await lab.startApi(databaseUrl, env);
  const withoutRedis = 'REDIS_URL' in env && env.REDIS_URL === undefined;
  const run = randomBytes(3).toString('hex');
  let stop = false;
  const progress = loadProgress();
  const load = runPaymentLoad({
    baseUrl: api.baseUrl,
    concurrency: size.concurrency,
    keyFor: (i) => `pg-${run}-${Math.floor(i / 2)}`,
    shouldStop: () => stop,
    requestTimeoutMillis: 30_000,
    onOutcome: progress.onOutcome,
  });
  const readiness = pollStatus(api.baseUrl, '/ready', 100);
  await sleep(size.beforeFaultMillis);
  await progress.underWay();
  const stopAskedAt = Date.now();
  await lab.postgres.stop();
  const stoppedAt = Date.now();
  await sleep(size.outageMillis / 2);
  // Probes in the middle of the outage, answered whatever the machine's speed.
  const readyDuringOutage = await api.status('/ready');
  const paidDuringOutage = await probePayment(api.baseUrl, `pg-${run}-during-outage`);
  await sleep(size.outageMillis / 2);
  const startAskedAt = Date.now();
  await lab.postgres.startAgain();
  const backAt = Date.now();
  await sleep(size.afterRecoveryMillis);
  stop = true;
  const outcomes = await load;
  await readiness.stop();
  // Recovery, whatever the time it took: ready again, and a new payment is stored.
  let readyAgain = false;
  try {
    await waitFor(async () => (await api.status('/ready')) === 200, 15_000, 'readiness');
    readyAgain = true;
  } catch {
    // reported by the check below
  }
  const paidAfterRecovery = await probePayment(api.baseUrl, `pg-${run}-after-recovery`);
  const apiStillUp = api.child.exitCode === null && api.child.signalCode === null;

  const during = outcomes.filter((o) => o.sentAt >= stoppedAt && o.endedAt <= startAskedAt);
  // 409 was the answer of versions with an in-flight state in Redis (a rolling deploy may still
  // run one); this version waits for the first request's commit instead and never answers 409.
  const duringNot503 = during.filter(
    (o) =>
      !(o.status === 503 && o.errorCode === 'dependency_unavailable') &&
      !(o.status === 409 && o.errorCode === 'idempotency_key_in_use'),
  );
  const during503 = during.filter((o) => o.status === 503).length;
  const other5xx = outcomes.filter(
    (o) => o.status === undefined || (o.status >= 500 && o.status !== 503),
  );
  const unshaped503 = outcomes.filter((o) => o.status === 503 && !isErrorShape(o));
  const latencies = outcomes.map((o) => o.endedAt - o.sentAt);
  const duringMax = Math.max(0, ...during.map((o) => o.endedAt - o.sentAt));
  const readyDuring = readiness.samples.filter(
    (s) => s.at >= stoppedAt && s.at + 600 <= startAskedAt,
  );
  const readyBack = readiness.samples.find((s) => s.at >= backAt && s.status === 200);
  const firstCreated = outcomes
    .filter((o) => o.sentAt >= backAt && o.status === 201)
    .sort((a, b) => a.endedAt - b.endedAt)[0];
  const persistence = await persistenceChecks(lab, databaseUrl, outcomes);
  const readyBackMillis = readyBack ? readyBack.at - backAt : -1;
  const createdBackMillis = firstCreated ? firstCreated.endedAt - backAt : -1;

  return {
    scenario: `PostgreSQL stopped (pg_ctl stop -m fast) during POST load, then started${withoutRedis ? ', API without Redis' : ''}`,
    facts: {
      requests: outcomes.length,
      statuses: summary(countBy(outcomes)),
      stopTookMillis: stoppedAt - stopAskedAt,
      downMillis: backAt - stoppedAt,
      requestsDuringOutage: during.length,
      maxLatencyDuringOutageMillis: duringMax,
      maxLatencyMillis: Math.max(...latencies),
      readinessBackAfterMillis: readyBackMillis,
      firstPaymentAfterMillis: createdBackMillis,
      ...persistence.facts,
    },
    checks: [
      check(
        'readiness is 503 during the outage',
        readyDuringOutage === 503 && readyDuring.every((s) => s.status === 503),
        `probe ${readyDuringOutage}; ${readyDuring.length} samples: ${[...new Set(readyDuring.map((s) => s.status ?? 'no answer'))].join(', ')}`,
      ),
      check(
        'requests during the outage fail with 503 dependency_unavailable (or 409 for a retry in flight)',
        paidDuringOutage.status === 503 &&
          paidDuringOutage.errorCode === 'dependency_unavailable' &&
          duringNot503.length === 0,
        `probe ${paidDuringOutage.status} ${paidDuringOutage.errorCode ?? ''}; ${during.length} requests: ${during503} × 503, ${during.length - during503 - duringNot503.length} × 409, ${duringNot503.length} otherwise ${examples(duringNot503)}`,
      ),
      timeBound(
        `no hang: requests during the outage end within PG_CONNECTION_TIMEOUT_MS + 1 s (${lab.timeouts.PG_CONNECTION_TIMEOUT_MS + 1000} ms), all within ${maxRequestMillis(lab.timeouts)} ms`,
        duringMax <= lab.timeouts.PG_CONNECTION_TIMEOUT_MS + 1000 &&
          Math.max(...latencies) <= maxRequestMillis(lab.timeouts),
        `max ${duringMax} ms during the outage, ${Math.max(...latencies)} ms overall`,
      ),
      check(
        'no 5xx other than 503, every 503 in the API error shape, no request unanswered',
        other5xx.length === 0 && unshaped503.length === 0,
        `${other5xx.length} other, ${unshaped503.length} unshaped ${examples([...other5xx, ...unshaped503])}`,
      ),
      check(
        'the API recovers without restart once PostgreSQL is back (readiness 200, a new payment 201)',
        apiStillUp && readyAgain && paidAfterRecovery.status === 201,
        `ready again ${readyAgain}, new payment ${paidAfterRecovery.status}, same process ${apiStillUp}`,
      ),
      timeBound(
        'recovery within 5 s of PostgreSQL’s return (readiness 200 and a 201)',
        readyBackMillis >= 0 &&
          readyBackMillis <= 5000 &&
          createdBackMillis >= 0 &&
          createdBackMillis <= 5000,
        `readiness after ${readyBackMillis} ms, first 201 after ${createdBackMillis} ms`,
      ),
      ...persistence.checks,
    ],
  };
}

/** SIGTERM while clients keep sending: what was sent before the signal must succeed. */
export async function sigtermDuringLoad(
  lab: FaultLab,
  size: Pick<LoadSize, 'concurrency' | 'beforeFaultMillis'>,
  env: NodeJS.ProcessEnv = {},
): Promise<ScenarioReport> {
  const databaseUrl = await lab.database('chaos_sigterm');
  const api = await lab.startApi(databaseUrl, env);
  const run = randomBytes(3).toString('hex');
  let exited = false;
  void api.exited.then(() => (exited = true));
  const progress = loadProgress();
  const load = runPaymentLoad({
    baseUrl: api.baseUrl,
    concurrency: size.concurrency,
    keyFor: (i) => `sigterm-${run}-${i}`,
    shouldStop: () => exited,
    onOutcome: progress.onOutcome,
  });
  await sleep(size.beforeFaultMillis);
  await progress.underWay();
  const signalAt = Date.now();
  api.signal('SIGTERM');
  const exit = await api.exited;
  const outcomes = await load;

  const delayMillis = Number(env.SHUTDOWN_DELAY_MS ?? 0);
  const before = outcomes.filter((o) => o.sentAt < signalAt);
  const beforeFailed = before.filter((o) => o.status !== 201);
  const stored = new Set(
    (await lab.query<{ key: string }>(databaseUrl, 'SELECT key FROM idempotency_keys')).map(
      (r) => r.key,
    ),
  );
  // Accepted = the server read the request: it answered, or the payment exists. A keep-alive
  // request still unread in the socket when the server closes idle connections is not.
  const accepted = before.filter((o) => o.status !== undefined || stored.has(o.key));
  const acceptedFailed = accepted.filter((o) => o.status !== 201);
  const dropped = before.filter((o) => o.status === undefined && !stored.has(o.key));
  const after = outcomes.filter((o) => o.sentAt >= signalAt);
  const graceMillis = delayMillis + lab.timeouts.SHUTDOWN_TIMEOUT_MS;
  const exitMillis = exit.at - signalAt;
  const persistence = await persistenceChecks(lab, databaseUrl, outcomes);
  const completeLine = api.stdout.some((line) => line.includes('"shutdown complete"'));

  return {
    scenario: `SIGTERM during POST load (SHUTDOWN_DELAY_MS=${delayMillis})`,
    facts: {
      requestsBeforeSignal: before.length,
      acceptedBeforeSignal: accepted.length,
      droppedUnreadBeforeSignal: dropped.length,
      statusesBeforeSignal: summary(countBy(before)),
      inFlightAtSignal: before.filter((o) => o.endedAt >= signalAt).length,
      requestsAfterSignal: after.length,
      statusesAfterSignal: summary(countBy(after)),
      exitCode: String(exit.code ?? exit.signal),
      exitAfterMillis: exitMillis,
      ...persistence.facts,
    },
    checks: [
      check(
        'zero failed requests among those accepted before the signal',
        acceptedFailed.length === 0,
        `${accepted.length} accepted before the signal, ${acceptedFailed.length} failed ${examples(acceptedFailed)}`,
      ),
      ...(delayMillis > 0
        ? [
            check(
              'with a drain delay, zero failed requests among all those sent before the signal',
              beforeFailed.length === 0,
              `${before.length} sent before, ${beforeFailed.length} failed ${examples(beforeFailed)}`,
            ),
          ]
        : []),
      check(
        `the process exits 0 within the grace period (${graceMillis} ms)`,
        exit.code === 0 && exitMillis <= graceMillis && completeLine,
        `exit ${exit.code ?? exit.signal} after ${exitMillis} ms, "shutdown complete" logged: ${completeLine}`,
      ),
      ...persistence.checks,
    ],
  };
}
