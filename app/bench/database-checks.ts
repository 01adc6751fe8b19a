// The database side of the hot path, measured without HTTP: the API's own statements (through
// its PaymentRepository and a pool built like the API's) as shipped, then with one thing changed
// at a time: unnamed statements instead of prepared ones, another pool size, an index or the
// foreign key the insert maintains removed. Each variant gets a fresh database.
import { execFile } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { Client, Pool } from 'pg';
import { appRoot } from '../chaos/server-process';
import { newPaymentId, toPaymentBody, type Payment } from '../src/payments/payment';
import { PaymentRepository } from '../src/payments/repository';

const run = promisify(execFile);

export interface DatabaseCheck {
  variant: string;
  operation: 'claim and insert' | 'select by id';
  statementsPerSecond: number;
  /** CPU time of the PostgreSQL backends per statement, when they run on this machine. */
  postgresCpuMicros: number | undefined;
  /** WAL written per statement: what the insert maintains, independent of the machine's load. */
  walBytes: number;
}

interface Variant {
  name: string;
  poolMax: number;
  /** Each statement sent as text, parsed and planned every time. */
  unnamed?: boolean;
  /** Run on the migrated database before measuring. */
  sql?: string;
  /** Only the insert is affected: no select measured. */
  insertOnly?: boolean;
}

const shipped = 'as shipped: named (prepared) statements, pool of 10';
const variants: Variant[] = [
  { name: shipped, poolMax: 10 },
  { name: 'unnamed statements (parsed and planned each time)', poolMax: 10, unnamed: true },
  { name: 'pool of 5', poolMax: 5 },
  { name: 'pool of 20', poolMax: 20 },
  {
    name: 'without idempotency_keys_expires_at_idx (the purge reads it)',
    poolMax: 10,
    sql: 'DROP INDEX idempotency_keys_expires_at_idx',
    insertOnly: true,
  },
  {
    name: 'without payments_created_at_id_idx (the list reads it)',
    poolMax: 10,
    sql: 'DROP INDEX payments_created_at_id_idx',
    insertOnly: true,
  },
  {
    name: 'without the foreign key idempotency_keys.payment_id → payments',
    poolMax: 10,
    sql: 'ALTER TABLE idempotency_keys DROP CONSTRAINT idempotency_keys_payment_id_fkey',
    insertOnly: true,
  },
];

export async function createDatabase(adminUrl: string, name: string): Promise<string> {
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

export async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.end();
}

export async function migrateDatabase(databaseUrl: string): Promise<void> {
  await run(process.execPath, ['dist/migrate.js'], {
    cwd: appRoot,
    env: { PATH: process.env.PATH, DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn' },
  });
}

/** Summed CPU time of these processes (ns), or undefined when one is not on this machine. */
function cpuNanosOf(pids: number[]): number | undefined {
  try {
    return pids.reduce(
      (total, pid) => total + Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]),
      0,
    );
  } catch {
    return undefined;
  }
}

/** A pool whose statements lose their name: sent as text, parsed and planned each time. */
function unnamedStatements(pool: Pool): Pool {
  return new Proxy(pool, {
    get(target, property) {
      if (property !== 'query') return Reflect.get(target, property);
      return (config: { text: string; values?: unknown[] }) =>
        target.query({ text: config.text, values: config.values });
    },
  });
}

function payment(): Payment {
  return {
    id: newPaymentId(),
    amountMinor: 1234,
    currency: 'EUR',
    description: 'bench',
    status: 'pending',
    createdAt: new Date(),
  };
}

/** `count` runs of `work`, `concurrency` at a time. */
async function drive(count: number, concurrency: number, work: () => Promise<unknown>) {
  let started = 0;
  const worker = async () => {
    while (started < count) {
      started += 1;
      await work();
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

interface Prepared {
  variant: Variant;
  databaseName: string;
  pool: Pool;
  observer: Client;
  operations: [DatabaseCheck['operation'], () => Promise<unknown>][];
}

/** A migrated database for `variant`, 20 000 payments in it, its pool warmed up. */
async function prepare(
  adminUrl: string,
  databaseName: string,
  variant: Variant,
  concurrency: number,
): Promise<Prepared> {
  const url = await createDatabase(adminUrl, databaseName);
  await migrateDatabase(url);
  // Idle connections stay open (pg closes them after 10 s by default): the measured backends are
  // the ones listed, their statements prepared.
  const pool = new Pool({ connectionString: url, max: variant.poolMax, idleTimeoutMillis: 0 });
  const observer = new Client({ connectionString: url });
  await observer.connect();
  if (variant.sql) await observer.query(variant.sql);
  // 20 000 payments and keys beforehand, so that the indexes have some depth.
  await observer.query(
    `INSERT INTO payments (id, amount_minor, currency, status)
       SELECT 'pay_' || md5(i::text), 100, 'EUR', 'pending' FROM generate_series(1, 20000) i`,
  );
  await observer.query(
    `INSERT INTO idempotency_keys
       (scope, key, request_hash, payment_id, response_status, response_body, expires_at)
       SELECT 'payments.create', i::text, 'h', 'pay_' || md5(i::text), 201, '{}',
              now() + interval '1 hour' FROM generate_series(1, 20000) i`,
  );
  const repository = new PaymentRepository(variant.unnamed ? unnamedStatements(pool) : pool);
  const ids = Array.from({ length: 1000 }, (_, i) => `pay_${md5Hex(i + 1)}`);
  const operations: Prepared['operations'] = [['claim and insert', () => claim(repository)]];
  if (!variant.insertOnly) {
    operations.push([
      'select by id',
      () => repository.findById(ids[Math.floor(Math.random() * ids.length)] as string),
    ]);
  }
  // Every pooled connection opened and its statements prepared.
  for (const [, work] of operations) await drive(500, concurrency, work);
  return { variant, databaseName, pool, observer, operations };
}

async function measure(
  prepared: Prepared,
  operation: DatabaseCheck['operation'],
  work: () => Promise<unknown>,
  statements: number,
  concurrency: number,
): Promise<DatabaseCheck> {
  const { observer } = prepared;
  const { rows } = await observer.query<{ pid: number }>(
    'SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
    [prepared.databaseName],
  );
  const pids = rows.map((r) => r.pid);
  if (pids.length !== prepared.variant.poolMax) {
    throw new Error(`expected ${prepared.variant.poolMax} pooled backends, found ${pids.length}`);
  }
  const walBefore = (await observer.query<{ lsn: string }>('SELECT pg_current_wal_lsn() AS lsn'))
    .rows[0]?.lsn;
  const cpuBefore = cpuNanosOf(pids);
  const started = process.hrtime.bigint();
  await drive(statements, concurrency, work);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpuAfter = cpuNanosOf(pids);
  const wal = await observer.query<{ bytes: string }>(
    'SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1) AS bytes',
    [walBefore],
  );
  return {
    variant: prepared.variant.name,
    operation,
    statementsPerSecond: Math.round(statements / seconds),
    postgresCpuMicros:
      cpuBefore === undefined || cpuAfter === undefined
        ? undefined
        : Math.round((cpuAfter - cpuBefore) / 1000 / statements),
    walBytes: Math.round(Number(wal.rows[0]?.bytes ?? 0) / statements),
  };
}

/** The ids of the payments inserted beforehand ('pay_' || md5(i::text)). */
function md5Hex(i: number): string {
  return createHash('md5').update(String(i)).digest('hex');
}

async function claim(repository: PaymentRepository): Promise<void> {
  const created = payment();
  await repository.claimKeyAndInsert(
    'payments.create',
    randomUUID(),
    'hash',
    created,
    toPaymentBody(created),
    3600,
  );
}

/** The median of each figure over the rounds. */
function medianCheck(checks: DatabaseCheck[]): DatabaseCheck {
  const middle = (values: number[]) =>
    [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)] ?? 0;
  const first = checks[0] as DatabaseCheck;
  const cpu = checks.map((c) => c.postgresCpuMicros);
  return {
    ...first,
    statementsPerSecond: middle(checks.map((c) => c.statementsPerSecond)),
    postgresCpuMicros: cpu.includes(undefined) ? undefined : middle(cpu as number[]),
    walBytes: middle(checks.map((c) => c.walBytes)),
  };
}

/**
 * Every variant on its own fresh database, measured in `rounds` rounds over all variants
 * (`statements` of each operation each time); each figure is the median of its rounds.
 */
export async function databaseChecks(
  adminUrl: string,
  suffix: string,
  settings: { statements: number; concurrency: number; rounds: number },
): Promise<DatabaseCheck[]> {
  const prepared: Prepared[] = [];
  const databases: string[] = [];
  try {
    for (const [index, variant] of variants.entries()) {
      const name = `payflow_bench_${suffix}_db${index}`;
      databases.push(name);
      prepared.push(await prepare(adminUrl, name, variant, settings.concurrency));
    }
    const measured = new Map<string, DatabaseCheck[]>();
    for (let round = 1; round <= settings.rounds; round += 1) {
      for (const one of prepared) {
        for (const [operation, work] of one.operations) {
          const check = await measure(
            one,
            operation,
            work,
            settings.statements,
            settings.concurrency,
          );
          const key = `${check.variant}|${operation}`;
          measured.set(key, [...(measured.get(key) ?? []), check]);
          console.log(
            `database check, ${one.variant.name}, ${operation}: ${check.statementsPerSecond}/s, ` +
              `${check.postgresCpuMicros ?? '?'} µs PostgreSQL CPU, ${check.walBytes} B WAL`,
          );
        }
      }
    }
    return [...measured.values()].map(medianCheck);
  } finally {
    for (const one of prepared) {
      await one.observer.end().catch(() => undefined);
      await one.pool.end().catch(() => undefined);
    }
    for (const name of databases) await dropDatabase(adminUrl, name).catch(() => undefined);
  }
}
