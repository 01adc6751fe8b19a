// `npm run bench`: measures the API against baselines and against the previous build on this
// machine, in one run, and writes bench/results/latest.json, ../docs/performance.md and the
// targets table of ../README.md. See docs/performance.md for how to read it.
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import autocannon from 'autocannon';
import { Client } from 'pg';
import { createClient } from 'redis';
import { request } from 'undici';
import { freePort } from '../chaos/network';
import { apiArguments, appRoot, ServerProcess } from '../chaos/server-process';
import { summarizeCpuProfile, type ProfileWindow } from './cpu-profile';
import { createDatabase, databaseChecks, dropDatabase, migrateDatabase } from './database-checks';
import { productionSettings } from './production-settings';
import { median, rssGrowth } from './samples';
import {
  names,
  renderMarkdown,
  renderReadmeTargets,
  renderTable,
  type BenchReport,
  type ScenarioResult,
} from './report';

const run = promisify(execFile);
const repositoryRoot = join(appRoot, '..');

function numberFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number`);
  return value;
}

/**
 * The build the before/after table compares with: main as the per-request work of issue 16 was
 * merged into it (a new payment already cost one PostgreSQL statement). BENCH_BEFORE_REF names
 * another commit; `none` skips the comparison.
 */
const defaultPreviousRef = 'b609a169c315eedad89dcd4f7f49126f9e4c5d3f';

const quick = process.env.BENCH_QUICK === '1';
const settings = {
  quick,
  connections: numberFromEnv('BENCH_CONNECTIONS', 50),
  durationSeconds: numberFromEnv('BENCH_DURATION_SECONDS', quick ? 2 : 6),
  warmupSeconds: numberFromEnv('BENCH_WARMUP_SECONDS', quick ? 1 : 2),
  /**
   * Rounds over the whole scenario list; each row reports its median round. On a shared
   * machine a burst of other work skews whichever scenario runs at that moment: spreading each
   * scenario over rounds minutes apart and keeping the median discards such outliers.
   */
  rounds: numberFromEnv('BENCH_ROUNDS', quick ? 1 : 3),
  memoryRequests: numberFromEnv('BENCH_MEMORY_REQUESTS', quick ? 20_000 : 200_000),
  /** Unset: the API's own default pool size (PG_POOL_MAX), for the API and the raw baseline. */
  poolMax: process.env.PG_POOL_MAX || undefined,
  /**
   * BENCH_ONLY=<regex>: measure only the matching scenarios and stop there (no memory run, no
   * report written; with BENCH_PROFILE=1, a CPU profile of each matching API scenario is
   * summarized on the console): for iterating on one path.
   */
  only: process.env.BENCH_ONLY ? new RegExp(process.env.BENCH_ONLY) : undefined,
  profile: (process.env.BENCH_PROFILE ?? (quick || process.env.BENCH_ONLY ? '0' : '1')) === '1',
  /** BENCH_COMPARE_WITH=<app directory>: an already built previous build (dist/, node_modules/). */
  compareWith: process.env.BENCH_COMPARE_WITH || undefined,
  previousRef: process.env.BENCH_BEFORE_REF || defaultPreviousRef,
  /**
   * BENCH_BEFORE_NODE=<node executable>: the previous build runs on that Node.js (the release it
   * shipped with, say), so that the before/after counts a runtime upgrade too; unset, on this one.
   */
  previousNode: process.env.BENCH_BEFORE_NODE || undefined,
  /**
   * BENCH_RATE=<req/s>: a fixed request rate instead of as many as the server answers. Far below
   * saturation, the CPU µs per request of two builds compare even on a busy machine.
   */
  rate: process.env.BENCH_RATE ? numberFromEnv('BENCH_RATE', 1) : undefined,
  /** BENCH_DATABASE_CHECKS=0 skips the database-side variants (database-checks.ts). */
  databaseChecks: process.env.BENCH_DATABASE_CHECKS !== '0',
};

/**
 * How long a server may take to answer its ready path. tsx compiles the baselines on start and
 * the API connects to PostgreSQL and Redis: on a slow or busy machine a server could miss the
 * 30 s default, failing the whole run before anything was measured.
 */
const serverStartMillis = 120_000;

const paymentBody = JSON.stringify({ amount: 12.34, currency: 'EUR', description: 'bench' });
const jsonHeaders = { 'content-type': 'application/json' };

type Request = autocannon.Request;

interface Scenario {
  name: string;
  description: string;
  server: () => ServerProcess;
  requests: Request[];
  /** A CPU profile of this scenario goes into the report. */
  profile?: boolean;
}

/**
 * CPU time the process has used so far, in nanoseconds: the sum over its threads (the event
 * loop, V8's garbage collector helpers, libuv's pool, which writes the log lines) of Linux's
 * /proc/<pid>/task/<tid>/schedstat.
 */
function cpuNanos(pid: number): number {
  let total = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      total += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return total;
}

function loadAverage(): number {
  return Math.round((os.loadavg()[0] ?? 0) * 100) / 100;
}

interface Measured {
  result: autocannon.Result;
  cpuMicrosPerRequest: number;
  loadAverage: number;
}

async function measure(scenario: Scenario, seconds: number): Promise<Measured> {
  const server = scenario.server();
  const cpuBefore = cpuNanos(server.pid);
  const result = await autocannon({
    url: server.baseUrl,
    connections: settings.connections,
    duration: seconds,
    timeout: 10,
    requests: scenario.requests,
    ...(settings.rate ? { overallRate: settings.rate } : {}),
  });
  const cpu = cpuNanos(server.pid) - cpuBefore;
  return {
    result,
    cpuMicrosPerRequest: Math.round(cpu / 1000 / Math.max(result.requests.total, 1)),
    loadAverage: loadAverage(),
  };
}

function toResult(scenario: Scenario, measured: Measured): ScenarioResult {
  const { result } = measured;
  return {
    name: scenario.name,
    description: scenario.description,
    requestsPerSecond: Math.round(result.requests.average),
    latencyP50Ms: result.latency.p50,
    latencyP99Ms: result.latency.p99,
    latencyMaxMs: result.latency.max,
    cpuMicrosPerRequest: measured.cpuMicrosPerRequest,
    requests: result.requests.total,
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    roundsRequestsPerSecond: [Math.round(result.requests.average)],
  };
}

function post(path: string, key: string): Partial<Request> {
  return {
    method: 'POST',
    path,
    headers: { ...jsonHeaders, 'idempotency-key': key },
    body: paymentBody,
  };
}

/** Every request gets a fresh Idempotency-Key: the create path, never a replay. */
function uniqueKeyPost(path: string): Request {
  return { ...post(path, ''), setupRequest: (req) => ({ ...req, ...post(path, randomUUID()) }) };
}

function cycling<T>(values: T[]): () => T {
  let next = 0;
  return () => values[next++ % values.length] as T;
}

function getById(path: string, nextId: () => string): Request {
  return { method: 'GET', path, setupRequest: (req) => ({ ...req, path: `${path}${nextId()}` }) };
}

/**
 * The mixed run: of every 20 requests, 16 read a payment by id, 3 create one with a new key and
 * 1 retries one of the last 500 new keys (a replay, or a wait for the first request's commit
 * when it is still running).
 */
function mixedRequests(nextId: () => string): Request {
  const recentKeys: string[] = [];
  let count = 0;
  return {
    method: 'GET',
    path: '/api/v1/payments/',
    setupRequest: (req) => {
      const slot = count++ % 20;
      if (slot < 16) {
        return { ...req, method: 'GET', path: `/api/v1/payments/${nextId()}`, body: undefined };
      }
      let key = recentKeys[Math.floor(Math.random() * recentKeys.length)];
      if (slot < 19 || key === undefined) {
        key = randomUUID();
        recentKeys.push(key);
        if (recentKeys.length > 500) recentKeys.shift();
      }
      return { ...req, ...post('/api/v1/payments', key) };
    },
  };
}

async function deleteRedisKeys(url: string, prefix: string): Promise<void> {
  const client = createClient({ url });
  await client.connect();
  for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 1000 })) {
    if (keys.length > 0) await client.del(keys);
  }
  client.destroy();
}

async function serverVersions(databaseUrl: string, redisUrl: string) {
  const pg = new Client({ connectionString: databaseUrl });
  await pg.connect();
  const { rows } = await pg.query<{ server_version: string }>('SHOW server_version');
  const fsync = await pg.query<{ fsync: string }>('SHOW fsync');
  await pg.end();
  const redis = createClient({ url: redisUrl });
  await redis.connect();
  const info = await redis.info('server');
  redis.destroy();
  return {
    postgres: `${rows[0]?.server_version ?? 'unknown'}, fsync ${fsync.rows[0]?.fsync ?? '?'}`,
    redis: /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown',
  };
}

async function createPayment(baseUrl: string, key: string): Promise<string> {
  const response = await request(`${baseUrl}/api/v1/payments`, {
    method: 'POST',
    headers: { ...jsonHeaders, 'idempotency-key': key },
    body: paymentBody,
  });
  const body = (await response.body.json()) as { id?: string };
  if (response.statusCode !== 201 || !body.id) {
    throw new Error(`setup POST answered ${response.statusCode}: ${JSON.stringify(body)}`);
  }
  return body.id;
}

/** `count` payments created through the API, 50 at a time: their ids and keys. */
async function createPayments(baseUrl: string, count: number, keyPrefix: string) {
  const keys = Array.from({ length: count }, (_, i) => `${keyPrefix}${i}`);
  const ids: string[] = [];
  for (let i = 0; i < keys.length; i += 50) {
    ids.push(...(await Promise.all(keys.slice(i, i + 50).map((k) => createPayment(baseUrl, k)))));
  }
  return { keys, ids };
}

/** The version of `name` that `require` resolves from `directory` (the reference app's). */
function resolvedVersion(name: string, directory: string): string {
  const path = require.resolve(`${name}/package.json`, { paths: [directory] });
  return (JSON.parse(readFileSync(path, 'utf8')) as { version: string }).version;
}

function packageVersion(name: string): string {
  return resolvedVersion(name, appRoot);
}

/**
 * The previous build's app/ directory, built: BENCH_COMPARE_WITH as given, else the commit
 * BENCH_BEFORE_REF extracted with `git archive` into the system's temporary directory (kept
 * there for later runs), installed with `npm ci` and built.
 */
async function previousBuild(): Promise<{ appDir: string; label: string } | undefined> {
  if (settings.compareWith) return { appDir: settings.compareWith, label: settings.compareWith };
  if (settings.previousRef === 'none') return undefined;
  const git = async (...args: string[]) =>
    (await run('git', args, { cwd: repositoryRoot })).stdout.trim();
  const sha = await git('rev-parse', '--verify', `${settings.previousRef}^{commit}`);
  const label = await git('log', '-1', '--format=%h (%cs)', sha);
  const dir = join(os.tmpdir(), `payflow-bench-${sha.slice(0, 12)}`);
  const appDir = join(dir, 'app');
  if (!existsSync(join(appDir, 'dist', 'server.js'))) {
    console.log(`previous build ${label}: git archive, npm ci, npm run build in ${dir}…`);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    await run('sh', ['-c', `git archive ${sha} app | tar -x -C '${dir}'`], {
      cwd: repositoryRoot,
    });
    const big = { cwd: appDir, maxBuffer: 64 * 2 ** 20 };
    await run('npm', ['ci', '--no-audit', '--no-fund'], big);
    await run('npm', ['run', 'build'], big);
  }
  return { appDir, label };
}

/**
 * The round with the median throughput, its latencies with it (figures of one real run, not a
 * mix); CPU per request is the median of the rounds; errors of every round added up, so that
 * no failure is hidden by the choice.
 */
function medianRound(results: ScenarioResult[]): ScenarioResult {
  const middle = <T>(values: T[]) => values[Math.floor((values.length - 1) / 2)];
  const sorted = [...results].sort((a, b) => a.requestsPerSecond - b.requestsPerSecond);
  const median = middle(sorted);
  if (!median) throw new Error('scenario without result');
  const sum = (pick: (r: ScenarioResult) => number) => results.reduce((t, r) => t + pick(r), 0);
  const cpu = results.map((r) => r.cpuMicrosPerRequest).sort((a, b) => a - b);
  return {
    ...median,
    cpuMicrosPerRequest: middle(cpu) ?? median.cpuMicrosPerRequest,
    errors: sum((r) => r.errors),
    timeouts: sum((r) => r.timeouts),
    non2xx: sum((r) => r.non2xx),
    roundsRequestsPerSecond: results.map((r) => r.requestsPerSecond),
  };
}

function mib(bytes: number): number {
  return Math.round((10 * bytes) / 2 ** 20) / 10;
}

/** How often the memory run reads the API's RSS. */
const rssSampleMillis = 250;

async function main(): Promise<void> {
  const databaseUrl = process.env.DATABASE_URL;
  const redisUrl = process.env.REDIS_URL;
  if (!databaseUrl || !redisUrl) {
    throw new Error('npm run bench needs DATABASE_URL and REDIS_URL (real PostgreSQL and Redis)');
  }
  if (!existsSync(join(appRoot, 'dist', 'server.js'))) {
    throw new Error('dist/server.js is missing: run npm run build first (npm run bench does)');
  }
  const previous = settings.only && !settings.compareWith ? undefined : await previousBuild();
  if (process.env.BENCH_WAIT_FOR_QUIET === '1') {
    // Other work on a shared machine skews every figure: wait (up to 10 min) for it to calm down.
    const deadline = Date.now() + 600_000;
    while (loadAverage() > 1.5 && Date.now() < deadline) {
      console.log(`load average ${loadAverage()} > 1.5, waiting for a quiet machine…`);
      await new Promise((resolve) => setTimeout(resolve, 15_000));
    }
  }
  const loadBefore = loadAverage();
  if (loadBefore > 1.5) {
    console.warn(`warning: load average ${loadBefore} > 1.5, the figures will be noisy`);
  }
  const started = new Date();
  const suffix = randomBytes(4).toString('hex');
  const databaseName = `payflow_bench_${suffix}`;
  const keyPrefix = `payflow_bench_${suffix}:`;
  const benchDatabaseUrl = await createDatabase(databaseUrl, databaseName);
  const servers: ServerProcess[] = [];
  const profileDir = join(appRoot, 'bench', 'results', 'profiles');

  try {
    await migrateDatabase(benchDatabaseUrl);
    const versions = await serverVersions(benchDatabaseUrl, redisUrl);

    const start = async (
      args: string[],
      env: NodeJS.ProcessEnv = {},
      readyPath = '/health',
      node?: string,
    ): Promise<ServerProcess> => {
      const server = await ServerProcess.start({
        args,
        node,
        env: { NODE_ENV: 'production', ...env },
        port: await freePort(),
        readyPath,
        startTimeoutMillis: serverStartMillis,
      });
      servers.push(server);
      return server;
    };
    const stop = async (server: ServerProcess) => {
      const status = await server.stop();
      servers.splice(servers.indexOf(server), 1);
      return status;
    };
    const sink = await start(['--require', 'tsx/cjs', 'bench/otlp-sink.ts']);
    const production = productionSettings();
    const poolMax = settings.poolMax ? { PG_POOL_MAX: settings.poolMax } : {};
    const apiEnv: NodeJS.ProcessEnv = {
      ...production,
      APP_VERSION: 'bench',
      DATABASE_URL: benchDatabaseUrl,
      REDIS_URL: redisUrl,
      REDIS_KEY_PREFIX: keyPrefix,
      OTLP_ENDPOINT: `127.0.0.1:${sink.port}`,
      IDEMPOTENCY_TTL_SECONDS: '3600',
      ...poolMax,
    };
    // The previous build: its own Redis keys, the same database, and the production values its
    // own commit ships (a change of those values, e.g. the trace sampling ratio, is part of what
    // the before/after measures).
    const previousValuesFile = previous && join(previous.appDir, 'chart', 'values-production.yaml');
    const beforeProduction =
      previousValuesFile && existsSync(previousValuesFile)
        ? productionSettings(previousValuesFile)
        : production;
    const beforeEnv = {
      ...apiEnv,
      ...beforeProduction,
      REDIS_KEY_PREFIX: `${keyPrefix}previous:`,
    };
    const bare = await start(['--require', 'tsx/cjs', 'bench/baselines/bare-http.ts']);
    const reference = await start([
      '--require',
      './bench/reference/use-express-4.cjs',
      'bench/reference/app.js',
    ]);
    // The same reference app on the API's express 5 (and the same Node.js): the /health target's
    // baseline, so that the framework's major version is not counted against the API.
    const referenceOnExpress5 = await start(['bench/reference/app.js']);
    const rawPg = await start(['--require', 'tsx/cjs', 'bench/baselines/raw-pg.ts'], {
      DATABASE_URL: benchDatabaseUrl,
      ...poolMax,
    });
    let api = await start(apiArguments('dist'), apiEnv, '/ready');
    // Attribution: the same API without OpenTelemetry.
    const apiUntraced = await start(
      ['--require', 'tsx/cjs', 'bench/variants/api-untraced.ts'],
      apiEnv,
      '/ready',
    );
    /** The previous build's API: its own production values, on BENCH_BEFORE_NODE when given. */
    const startPrevious = (appDir: string, nodeOptions: string[] = []) =>
      start(
        [...nodeOptions, join(appDir, 'dist', 'server.js')],
        beforeEnv,
        '/ready',
        settings.previousNode,
      );
    const before = previous ? await startPrevious(previous.appDir) : undefined;

    const { keys: replayKeys } = await createPayments(api.baseUrl, 100, `bench-replay-${suffix}-`);
    const { ids: paymentIds } = await createPayments(api.baseUrl, 900, `bench-read-${suffix}-`);
    const nextReplayKey = cycling(replayKeys);
    const nextId = cycling(paymentIds);
    const replay: Request = {
      ...post('/api/v1/payments', ''),
      setupRequest: (req) => ({ ...req, ...post('/api/v1/payments', nextReplayKey()) }),
    };

    const baselines: Scenario[] = [
      {
        name: names.bare,
        description: 'GET / on a node:http handler returning the /health JSON',
        server: () => bare,
        requests: [{ method: 'GET', path: '/' }],
      },
      {
        name: names.referenceHealth4,
        description: 'the brief’s app as given (its package.json asks for express ^4.18.2)',
        server: () => reference,
        requests: [{ method: 'GET', path: '/health' }],
      },
      {
        name: names.referenceHealth,
        description: 'the brief’s app unchanged, on the API’s express 5 and Node.js',
        server: () => referenceOnExpress5,
        requests: [{ method: 'GET', path: '/health' }],
      },
      {
        name: names.rawInsert,
        description: 'node:http + the API’s claim-and-insert statement, same pool',
        server: () => rawPg,
        requests: [uniqueKeyPost('/payments')],
      },
      {
        name: names.rawSelect,
        description: 'node:http + the API’s SELECT by id, same pool',
        server: () => rawPg,
        requests: [getById('/payments/', nextId)],
      },
    ];
    const apiScenarios: Omit<Scenario, 'server'>[] = [
      {
        name: names.health,
        description: 'liveness; metrics and request log line, not traced (a probe)',
        requests: [{ method: 'GET', path: '/health' }],
        profile: true,
      },
      {
        name: names.ready,
        description: 'readiness: SELECT 1 on PostgreSQL and PING on Redis per request',
        requests: [{ method: 'GET', path: '/ready' }],
      },
      {
        name: names.post,
        description: 'a new Idempotency-Key per request: one PostgreSQL statement',
        requests: [uniqueKeyPost('/api/v1/payments')],
        profile: true,
      },
      {
        name: names.replay,
        description: '100 keys used beforehand, cycled: the claim finds the key, Redis answers',
        requests: [replay],
        profile: true,
      },
      {
        name: names.get,
        description: 'SELECT by primary key, 900 payments cycled',
        requests: [getById('/api/v1/payments/', nextId)],
        profile: true,
      },
      {
        name: names.mixed,
        description: '80 % GET by id, 15 % POST with a new key, 5 % retries of a recent key',
        requests: [mixedRequests(nextId)],
        profile: true,
      },
    ];
    const variants: Scenario[] = [
      {
        name: names.postUntraced,
        description: 'the API without OpenTelemetry (bench/variants/api-untraced.ts)',
        server: () => apiUntraced,
        requests: [uniqueKeyPost('/api/v1/payments')],
      },
      {
        name: names.getUntraced,
        description: 'the API without OpenTelemetry (bench/variants/api-untraced.ts)',
        server: () => apiUntraced,
        requests: [getById('/api/v1/payments/', nextId)],
      },
    ];
    // Each API scenario and its twin on the previous build are measured back to back, in an
    // order that alternates from one round to the next.
    const slots: Scenario[][] = [
      ...baselines.map((scenario) => [scenario]),
      ...apiScenarios.map((scenario) => [
        { ...scenario, server: () => api },
        ...(before
          ? [
              {
                ...scenario,
                name: names.previous(scenario.name),
                description: `the previous build, ${previous?.label ?? ''}`,
                server: () => before,
                profile: false,
              },
            ]
          : []),
      ]),
      ...variants.map((scenario) => [scenario]),
    ];
    const scenarios = slots.flat();

    const selectedSlots = slots
      .map((slot) => slot.filter((s) => !settings.only || settings.only.test(s.name)))
      .filter((slot) => slot.length > 0);
    const rounds = new Map<string, ScenarioResult[]>();
    const loads: number[] = [loadBefore];
    for (let round = 1; round <= settings.rounds; round += 1) {
      if (settings.rounds > 1) console.log(`round ${round} of ${settings.rounds}`);
      for (const slot of selectedSlots) {
        // At a fixed rate the builds of a slot are measured at the same time, under the same
        // load; at full speed, one after the other (they would compete for the cores).
        const batches = settings.rate
          ? [slot]
          : (round % 2 === 1 ? slot : [...slot].reverse()).map((s) => [s]);
        for (const batch of batches) {
          await Promise.all(batch.map((s) => measure(s, settings.warmupSeconds)));
          const measured = await Promise.all(
            batch.map((s) => measure(s, settings.durationSeconds)),
          );
          batch.forEach((scenario, index) => {
            const one = measured[index] as Measured;
            loads.push(one.loadAverage);
            const result = toResult(scenario, one);
            rounds.set(scenario.name, [...(rounds.get(scenario.name) ?? []), result]);
            console.log(
              `${scenario.name}: ${result.requestsPerSecond} req/s, P99 ${result.latencyP99Ms} ms, ` +
                `${result.cpuMicrosPerRequest} µs CPU/request, load ${one.loadAverage}`,
            );
          });
        }
      }
    }
    const results = selectedSlots
      .flat()
      .map((scenario) => medianRound(rounds.get(scenario.name) ?? []));

    /**
     * A fresh API process under --cpu-prof (this build, or the previous one: the evidence of
     * what each change removed); only the measured seconds are summarized.
     */
    const profileOf = async (scenario: Scenario, previousAppDir?: string) => {
      const name = previousAppDir ? names.previous(scenario.name) : scenario.name;
      console.log(`cpu profile: ${name}…`);
      const dir = join(profileDir, name.replace(/[^a-z0-9]+/gi, '-').toLowerCase());
      rmSync(dir, { recursive: true, force: true });
      const profiling = ['--cpu-prof', `--cpu-prof-dir=${dir}`];
      const profiled = previousAppDir
        ? await startPrevious(previousAppDir, profiling)
        : await start(apiArguments('dist', profiling), apiEnv, '/ready');
      const onProfiled = { ...scenario, server: () => profiled };
      await measure(onProfiled, settings.warmupSeconds);
      const window: ProfileWindow = {
        fromMicros: Number(process.hrtime.bigint() / 1000n),
        toMicros: 0,
      };
      await measure(onProfiled, settings.durationSeconds);
      window.toMicros = Number(process.hrtime.bigint() / 1000n);
      await stop(profiled);
      const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
      if (!file) throw new Error(`no profile written in ${dir}`);
      // For other tools reading the same profile: the measured seconds, on its clock.
      writeFileSync(join(dir, 'window.json'), JSON.stringify(window));
      return summarizeCpuProfile(join(dir, file), { count: 15, window });
    };

    if (settings.only) {
      console.log(`\n${renderTable({ scenarios: results })}`);
      if (!settings.profile) return;
      for (const scenario of selectedSlots.flat().filter((s) => s.name.startsWith('API'))) {
        const summary = await profileOf(scenario);
        console.log(`${scenario.name}: ${summary.samples} samples`);
        for (const c of summary.byCallerConcern) console.log(`  ${c.percent} %\t${c.name}`);
        for (const f of summary.topFunctions) console.log(`  ${f.percent} %\t${f.name}`);
      }
      return;
    }

    const apiExit = await stop(api);
    await stop(apiUntraced);
    if (before) await stop(before);

    // Memory: a fresh API process, 10 % of the requests as warm-up (pools, JIT, caches), then
    // the rest with RSS sampled throughout.
    console.log(`memory: ${settings.memoryRequests} POSTs with new keys on a fresh API process…`);
    api = await start(apiArguments('dist'), apiEnv, '/ready');
    const warmupRequests = Math.round(settings.memoryRequests / 10);
    const rssAtStart = api.rssBytes();
    const memoryRun = async (amount: number) =>
      autocannon({
        url: api.baseUrl,
        connections: settings.connections,
        amount,
        timeout: 10,
        requests: [uniqueKeyPost('/api/v1/payments')],
      });
    const warmup = await memoryRun(warmupRequests);
    const rssSamples: number[] = [];
    const sampler = setInterval(() => rssSamples.push(api.rssBytes()), rssSampleMillis);
    const measured = await memoryRun(settings.memoryRequests - warmupRequests).finally(() =>
      clearInterval(sampler),
    );
    await stop(api);
    const rss = rssGrowth(rssSamples);

    const profile: BenchReport['profile'] = [];
    if (settings.profile) {
      rmSync(profileDir, { recursive: true, force: true });
      mkdirSync(profileDir, { recursive: true });
      for (const scenario of scenarios.filter((s) => s.profile)) {
        profile.push({ scenario: scenario.name, summary: await profileOf(scenario) });
        if (previous) {
          profile.push({
            scenario: names.previous(scenario.name),
            summary: await profileOf(scenario, previous.appDir),
          });
        }
      }
    }
    const sinkStats = (await (await request(`${sink.baseUrl}/stats`)).body.json()) as {
      exports: number;
    };
    const database = settings.databaseChecks
      ? await databaseChecks(databaseUrl, suffix, {
          statements: quick ? 1000 : 3000,
          concurrency: settings.connections,
          rounds: settings.rounds,
        })
      : [];
    loads.push(loadAverage());

    const report: BenchReport = {
      date: started.toISOString(),
      machine: {
        cpus: os.cpus().length,
        cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown',
        memoryGiB: Math.round(os.totalmem() / 2 ** 30),
        node: process.version,
        previousBuildNode:
          previous && settings.previousNode
            ? execFileSync(settings.previousNode, ['--version'], { encoding: 'utf8' }).trim()
            : undefined,
        platform: `${os.type()} ${os.release()}`,
        postgres: versions.postgres,
        redis: versions.redis,
        expressReference: packageVersion('express4'),
        expressReferenceOnExpress5: resolvedVersion('express', join(appRoot, 'bench', 'reference')),
        expressApi: packageVersion('express'),
        loadAverage: {
          before: loadBefore,
          median: median(loads),
          max: Math.max(...loads),
          after: loadAverage(),
        },
      },
      settings: {
        connections: settings.connections,
        durationSeconds: settings.durationSeconds,
        warmupSeconds: settings.warmupSeconds,
        rounds: settings.rounds,
        poolMax: settings.poolMax ?? 'the API’s default',
        quick: settings.quick,
        apiEnvironment: production,
        previousBuild: previous?.label,
        previousApiEnvironment: previous ? beforeProduction : undefined,
      },
      scenarios: results,
      memory: {
        requests: settings.memoryRequests,
        warmupRequests,
        rssAtStartMiB: mib(rssAtStart),
        sampleEveryMillis: rssSampleMillis,
        samples: rssSamples.length,
        windowSamples: rss.windowSamples,
        rssStartMedianMiB: mib(rss.startMedian),
        rssEndMedianMiB: mib(rss.endMedian),
        growthPercent:
          Math.round((1000 * (rss.endMedian - rss.startMedian)) / rss.startMedian) / 10,
        requestsPerSecond: Math.round(
          (warmup.requests.total + measured.requests.total) /
            (warmup.duration + measured.duration || 1),
        ),
        errors: warmup.errors + measured.errors + warmup.non2xx + measured.non2xx,
      },
      apiExitCode: apiExit.code,
      otlpExports: sinkStats.exports,
      profile,
      database,
    };
    console.log('');
    console.log(renderTable(report));
    writeOutputs(report);
  } finally {
    await Promise.allSettled(servers.map((server) => server.stop()));
    await dropDatabase(databaseUrl, databaseName).catch((error: Error) =>
      console.warn(`could not drop ${databaseName}: ${error.message}`),
    );
    await deleteRedisKeys(redisUrl, keyPrefix).catch((error: Error) =>
      console.warn(`could not delete Redis keys ${keyPrefix}*: ${error.message}`),
    );
  }
}

const readmeStart = '<!-- make bench: targets -->';
const readmeEnd = '<!-- make bench: end -->';

/**
 * results/latest.json (quick.json in quick mode), and for a full run docs/performance.md and
 * the README's targets table (between its two markers, then formatted by prettier).
 */
function writeOutputs(report: BenchReport, writeDocs = !report.settings.quick): void {
  const resultsDir = join(appRoot, 'bench', 'results');
  mkdirSync(resultsDir, { recursive: true });
  const jsonPath = join(resultsDir, report.settings.quick ? 'quick.json' : 'latest.json');
  writeFileSync(jsonPath, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`\nwrote ${jsonPath}`);
  if (!writeDocs && process.env.BENCH_WRITE_DOCS !== '1') return;
  const docPath = join(repositoryRoot, 'docs', 'performance.md');
  writeFileSync(docPath, renderMarkdown(report));
  console.log(`wrote ${docPath}`);
  const readmePath = join(repositoryRoot, 'README.md');
  const readme = readFileSync(readmePath, 'utf8');
  const from = readme.indexOf(readmeStart);
  const to = readme.indexOf(readmeEnd);
  if (from < 0 || to < from) throw new Error(`README.md lacks the ${readmeStart} markers`);
  writeFileSync(
    readmePath,
    `${readme.slice(0, from + readmeStart.length)}\n\n${renderReadmeTargets(report)}\n\n${readme.slice(to)}`,
  );
  const prettier = join(repositoryRoot, 'node_modules', 'prettier', 'bin', 'prettier.cjs');
  if (existsSync(prettier)) {
    execFileSync(process.execPath, [prettier, '--write', readmePath], { cwd: repositoryRoot });
  }
  console.log(`wrote the targets table of ${readmePath}`);
}

/**
 * `tsx bench/run.ts --render [results file]`: rewrite the documents from results/latest.json (or
 * the file given) only.
 */
function renderOnly(): void {
  const file = process.argv[process.argv.indexOf('--render') + 1];
  const report = JSON.parse(
    readFileSync(file ?? join(appRoot, 'bench', 'results', 'latest.json'), 'utf8'),
  ) as BenchReport;
  writeOutputs(report, true);
  console.log(renderTable(report));
}

if (process.argv.includes('--render')) renderOnly();
else
  main().catch((error: unknown) => {
    console.error(`bench failed: ${(error as Error).stack ?? String(error)}`);
    process.exit(1);
  });
