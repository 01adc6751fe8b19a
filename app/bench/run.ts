// `npm run bench`: measures the API against baselines on this machine, in one run, and writes
// bench/results/latest.json and ../docs/performance.md. See docs/performance.md for how to read it.
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import autocannon from 'autocannon';
import { createClient } from 'redis';
import { Client } from 'pg';
import { request } from 'undici';
import { freePort } from '../chaos/network';
import { apiArguments, appRoot, ServerProcess } from '../chaos/server-process';
import { summarizeCpuProfile, type ProfileSummary } from './cpu-profile';
import { renderMarkdown, renderTable, type BenchReport, type ScenarioResult } from './report';

const run = promisify(execFile);

function numberFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number`);
  return value;
}

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
  poolMax: numberFromEnv('PG_POOL_MAX', 10),
  profile: (process.env.BENCH_PROFILE ?? (quick ? '0' : '1')) === '1',
  /**
   * BENCH_ONLY=<regex>: measure only the matching scenarios and stop there (no memory run,
   * no profile, no report written): for iterating on one path.
   */
  only: process.env.BENCH_ONLY ? new RegExp(process.env.BENCH_ONLY) : undefined,
  /**
   * BENCH_COMPARE_WITH=<directory>: another build of app/ (its dist/, migrations/ and
   * node_modules/, e.g. the previous commit built in a git worktree), measured in the same
   * rounds as this one: a before/after comparison free of the machine's changing load.
   */
  compareWith: process.env.BENCH_COMPARE_WITH || undefined,
};

const paymentBody = JSON.stringify({ amount: 12.34, currency: 'EUR', description: 'bench' });
const jsonHeaders = { 'content-type': 'application/json' };

type Request = autocannon.Request;

interface Scenario {
  name: string;
  description: string;
  server: () => ServerProcess;
  requests: Request[];
}

async function measure(scenario: Scenario, seconds: number): Promise<autocannon.Result> {
  return autocannon({
    url: scenario.server().baseUrl,
    connections: settings.connections,
    duration: seconds,
    timeout: 10,
    requests: scenario.requests,
  });
}

function toResult(scenario: Scenario, result: autocannon.Result): ScenarioResult {
  return {
    name: scenario.name,
    description: scenario.description,
    requestsPerSecond: Math.round(result.requests.average),
    latencyP50Ms: result.latency.p50,
    latencyP99Ms: result.latency.p99,
    latencyMaxMs: result.latency.max,
    requests: result.requests.total,
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
  };
}

/** Every request gets a fresh Idempotency-Key: the create path, never a replay. */
function uniqueKeyPost(path: string): Request {
  return {
    method: 'POST',
    path,
    headers: jsonHeaders,
    body: paymentBody,
    setupRequest: (req) => ({
      ...req,
      headers: { ...req.headers, 'idempotency-key': randomUUID() },
    }),
  };
}

function cycling<T>(values: T[]): () => T {
  let next = 0;
  return () => values[next++ % values.length] as T;
}

async function createDatabase(adminUrl: string, name: string): Promise<string> {
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.end();
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
  await pg.end();
  const redis = createClient({ url: redisUrl });
  await redis.connect();
  const info = await redis.info('server');
  redis.destroy();
  return {
    postgres: rows[0]?.server_version ?? 'unknown',
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

function loadAverage(): number {
  return Math.round((os.loadavg()[0] ?? 0) * 100) / 100;
}

async function main(): Promise<void> {
  const databaseUrl = process.env.DATABASE_URL;
  const redisUrl = process.env.REDIS_URL;
  if (!databaseUrl || !redisUrl) {
    throw new Error('npm run bench needs DATABASE_URL and REDIS_URL (real PostgreSQL and Redis)');
  }
  if (!existsSync(join(appRoot, 'dist', 'server.js'))) {
    throw new Error('dist/server.js is missing: run npm run build first (npm run bench does)');
  }
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
    await run(process.execPath, ['dist/migrate.js'], {
      cwd: appRoot,
      env: { PATH: process.env.PATH, DATABASE_URL: benchDatabaseUrl, LOG_LEVEL: 'warn' },
    });
    const versions = await serverVersions(benchDatabaseUrl, redisUrl);

    const start = async (
      args: string[],
      env: NodeJS.ProcessEnv = {},
      readyPath = '/health',
    ): Promise<ServerProcess> => {
      const server = await ServerProcess.start({
        args,
        env: { NODE_ENV: 'production', ...env },
        port: await freePort(),
        readyPath,
      });
      servers.push(server);
      return server;
    };
    const sink = await start(['--require', 'tsx/cjs', 'bench/otlp-sink.ts']);
    const apiEnv: NodeJS.ProcessEnv = {
      APP_ENV: 'production',
      APP_VERSION: 'bench',
      LOG_LEVEL: 'info', // production's level: one JSON line per request, to /dev/null
      DATABASE_URL: benchDatabaseUrl,
      REDIS_URL: redisUrl,
      REDIS_KEY_PREFIX: keyPrefix,
      OTLP_ENDPOINT: `127.0.0.1:${sink.port}`,
      PG_POOL_MAX: String(settings.poolMax),
      IDEMPOTENCY_TTL_SECONDS: '3600',
    };
    const bare = await start(['--require', 'tsx/cjs', 'bench/baselines/bare-http.ts']);
    const reference = await start([
      '--require',
      './bench/reference/use-express-4.cjs',
      'bench/reference/app.js',
    ]);
    // The same reference app on the API's express 5, to separate the framework's major
    // version from what the API adds on top.
    const referenceOnExpress5 = await start(['bench/reference/app.js']);
    const rawPg = await start(['--require', 'tsx/cjs', 'bench/baselines/raw-pg.ts'], {
      DATABASE_URL: benchDatabaseUrl,
      PG_POOL_MAX: String(settings.poolMax),
    });
    let api = await start(apiArguments('dist'), apiEnv, '/ready');
    // Attribution: the API without its request log lines, and without tracing.
    const apiQuiet = await start(apiArguments('dist'), { ...apiEnv, LOG_LEVEL: 'warn' }, '/ready');
    const apiUntraced = await start(
      ['--require', 'tsx/cjs', 'bench/variants/api-untraced.ts'],
      apiEnv,
      '/ready',
    );
    // What production would run with TRACE_SAMPLE_RATIO=0.1: one new trace in ten recorded.
    const apiSampled = await start(
      apiArguments('dist'),
      { ...apiEnv, TRACE_SAMPLE_RATIO: '0.1' },
      '/ready',
    );

    const otherBuild = settings.compareWith
      ? await start(
          [join(settings.compareWith, 'dist', 'server.js')],
          { ...apiEnv, REDIS_KEY_PREFIX: `${keyPrefix}other:` },
          '/ready',
        )
      : undefined;

    const replayKeys = Array.from({ length: 100 }, (_, i) => `bench-replay-${suffix}-${i}`);
    const paymentIds: string[] = [];
    for (const key of replayKeys) paymentIds.push(await createPayment(api.baseUrl, key));
    const nextReplayKey = cycling(replayKeys);
    const nextId = cycling(paymentIds);

    const scenarios: Scenario[] = [
      {
        name: 'baseline: bare node:http',
        description: 'GET / on a node:http handler returning the /health JSON',
        server: () => bare,
        requests: [{ method: 'GET', path: '/' }],
      },
      {
        name: 'baseline: reference GET /health',
        description: 'the brief’s Express 4 app, GET /health',
        server: () => reference,
        requests: [{ method: 'GET', path: '/health' }],
      },
      {
        name: 'baseline: reference POST /api/v1/payments',
        description: 'the brief’s Express 4 app, POST (validates amount, keeps nothing)',
        server: () => reference,
        requests: [
          { method: 'POST', path: '/api/v1/payments', headers: jsonHeaders, body: paymentBody },
        ],
      },
      {
        name: 'baseline: reference GET /health on express 5',
        description: 'the brief’s app unchanged, on the API’s express 5',
        server: () => referenceOnExpress5,
        requests: [{ method: 'GET', path: '/health' }],
      },
      {
        name: 'baseline: reference POST on express 5',
        description: 'the brief’s app unchanged, on the API’s express 5',
        server: () => referenceOnExpress5,
        requests: [
          { method: 'POST', path: '/api/v1/payments', headers: jsonHeaders, body: paymentBody },
        ],
      },
      {
        name: 'baseline: raw pg INSERT',
        description: `node:http + the API’s INSERT statement, pg pool of ${settings.poolMax}`,
        server: () => rawPg,
        requests: [uniqueKeyPost('/payments')],
      },
      {
        name: 'baseline: raw pg SELECT by id',
        description: `node:http + the API’s SELECT by id, pg pool of ${settings.poolMax}`,
        server: () => rawPg,
        requests: [
          {
            method: 'GET',
            path: '/payments/x',
            setupRequest: (req) => ({ ...req, path: `/payments/${nextId()}` }),
          },
        ],
      },
      {
        name: 'API GET /health',
        description: 'liveness; metrics and request log on, not traced',
        server: () => api,
        requests: [{ method: 'GET', path: '/health' }],
      },
      {
        name: 'API GET /ready',
        description: 'readiness: SELECT 1 on PostgreSQL and PING on Redis per request',
        server: () => api,
        requests: [{ method: 'GET', path: '/ready' }],
      },
      {
        name: 'API POST /api/v1/payments (new key)',
        description: 'unique Idempotency-Key per request: Redis claim + one INSERT + Redis store',
        server: () => api,
        requests: [uniqueKeyPost('/api/v1/payments')],
      },
      {
        name: 'API POST /api/v1/payments (replay)',
        description: '100 keys already used: every request is answered from Redis',
        server: () => api,
        requests: [
          {
            method: 'POST',
            path: '/api/v1/payments',
            headers: jsonHeaders,
            body: paymentBody,
            setupRequest: (req) => ({
              ...req,
              headers: { ...req.headers, 'idempotency-key': nextReplayKey() },
            }),
          },
        ],
      },
      {
        name: 'API GET /api/v1/payments/:id',
        description: 'SELECT by primary key',
        server: () => api,
        requests: [
          {
            method: 'GET',
            path: '/api/v1/payments/x',
            setupRequest: (req) => ({ ...req, path: `/api/v1/payments/${nextId()}` }),
          },
        ],
      },
    ];

    scenarios.push(
      {
        name: 'variant: API POST (new key) with 10 % trace sampling',
        description: 'the API with TRACE_SAMPLE_RATIO=0.1 (one new trace in ten recorded)',
        server: () => apiSampled,
        requests: [uniqueKeyPost('/api/v1/payments')],
      },
      {
        name: 'variant: API GET /api/v1/payments/:id with 10 % trace sampling',
        description: 'the API with TRACE_SAMPLE_RATIO=0.1 (one new trace in ten recorded)',
        server: () => apiSampled,
        requests: [
          {
            method: 'GET',
            path: '/api/v1/payments/x',
            setupRequest: (req) => ({ ...req, path: `/api/v1/payments/${nextId()}` }),
          },
        ],
      },
    );
    if (otherBuild) {
      scenarios.push(
        {
          name: 'compare: API GET /health, other build',
          description: `the build in ${settings.compareWith}`,
          server: () => otherBuild,
          requests: [{ method: 'GET', path: '/health' }],
        },
        {
          name: 'compare: API POST (new key), other build',
          description: `the build in ${settings.compareWith}`,
          server: () => otherBuild,
          requests: [uniqueKeyPost('/api/v1/payments')],
        },
      );
    }
    for (const [label, server] of [
      ['without request logs (LOG_LEVEL=warn)', () => apiQuiet],
      ['without tracing', () => apiUntraced],
    ] as const) {
      scenarios.push(
        {
          name: `variant: API GET /health ${label}`,
          description: `the API ${label}`,
          server,
          requests: [{ method: 'GET', path: '/health' }],
        },
        {
          name: `variant: API POST (new key) ${label}`,
          description: `the API ${label}`,
          server,
          requests: [uniqueKeyPost('/api/v1/payments')],
        },
      );
    }

    const selected = scenarios.filter((s) => !settings.only || settings.only.test(s.name));
    const rounds = new Map<string, ScenarioResult[]>();
    for (let round = 1; round <= settings.rounds; round += 1) {
      if (settings.rounds > 1) console.log(`round ${round} of ${settings.rounds}`);
      for (const scenario of selected) {
        process.stdout.write(`${scenario.name}: warm-up ${settings.warmupSeconds} s, `);
        await measure(scenario, settings.warmupSeconds);
        process.stdout.write(`measuring ${settings.durationSeconds} s… `);
        const result = toResult(scenario, await measure(scenario, settings.durationSeconds));
        rounds.set(scenario.name, [...(rounds.get(scenario.name) ?? []), result]);
        console.log(`${result.requestsPerSecond} req/s, P99 ${result.latencyP99Ms} ms`);
      }
    }
    const results = selected.map((scenario) => medianRound(rounds.get(scenario.name) ?? []));
    if (settings.only) return;
    const apiExit = await api.stop();
    for (const stopped of [
      api,
      apiQuiet,
      apiUntraced,
      apiSampled,
      ...(otherBuild ? [otherBuild] : []),
    ]) {
      if (stopped !== api) await stopped.stop();
      servers.splice(servers.indexOf(stopped), 1);
    }

    // Memory: a fresh API process, RSS after 10 % of the requests and after all of them.
    console.log(`memory: ${settings.memoryRequests} POSTs with new keys on a fresh API process…`);
    api = await start(apiArguments('dist'), apiEnv, '/ready');
    const postScenario = scenarios.find(
      (s) => s.name.startsWith('API POST') && s.name.includes('new key'),
    );
    if (!postScenario) throw new Error('no POST scenario');
    const firstSlice = Math.round(settings.memoryRequests / 10);
    const rssAtStart = api.rssBytes();
    const memoryRun = async (amount: number) =>
      autocannon({
        url: api.baseUrl,
        connections: settings.connections,
        amount,
        timeout: 10,
        requests: postScenario.requests,
      });
    const first = await memoryRun(firstSlice);
    const rssFirst = api.rssBytes();
    const rest = await memoryRun(settings.memoryRequests - firstSlice);
    const rssAll = api.rssBytes();
    await api.stop();
    servers.splice(servers.indexOf(api), 1);

    const profile: { scenario: string; summary: ProfileSummary }[] = [];
    if (settings.profile) {
      rmSync(profileDir, { recursive: true, force: true });
      mkdirSync(profileDir, { recursive: true });
      for (const name of ['API GET /health', 'API POST /api/v1/payments (new key)']) {
        const scenario = scenarios.find((s) => s.name === name);
        if (!scenario) continue;
        console.log(`cpu profile: ${name}…`);
        const dir = join(profileDir, name.includes('POST') ? 'post' : 'health');
        api = await start(
          apiArguments('dist', ['--cpu-prof', `--cpu-prof-dir=${dir}`]),
          apiEnv,
          '/ready',
        );
        await measure(scenario, settings.durationSeconds);
        await api.stop();
        servers.splice(servers.indexOf(api), 1);
        const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
        if (file) profile.push({ scenario: name, summary: summarizeCpuProfile(join(dir, file)) });
      }
    }
    const sinkStats = (await (await request(`${sink.baseUrl}/stats`)).body.json()) as {
      exports: number;
      bytes: number;
    };

    const report: BenchReport = {
      date: started.toISOString(),
      machine: {
        cpus: os.cpus().length,
        cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown',
        memoryGiB: Math.round(os.totalmem() / 2 ** 30),
        node: process.version,
        platform: `${os.type()} ${os.release()}`,
        postgres: versions.postgres,
        redis: versions.redis,
        expressReference: packageVersion('express4'),
        expressApi: packageVersion('express'),
        loadAverageBefore: loadBefore,
        loadAverageAfter: loadAverage(),
      },
      settings: {
        connections: settings.connections,
        durationSeconds: settings.durationSeconds,
        warmupSeconds: settings.warmupSeconds,
        rounds: settings.rounds,
        poolMax: settings.poolMax,
        quick: settings.quick,
      },
      scenarios: results,
      memory: {
        requests: settings.memoryRequests,
        firstSliceRequests: firstSlice,
        rssAtStartMiB: mib(rssAtStart),
        rssAfterFirstSliceMiB: mib(rssFirst),
        rssAfterAllMiB: mib(rssAll),
        growthPercent: Math.round((1000 * (rssAll - rssFirst)) / rssFirst) / 10,
        requestsPerSecond: Math.round(
          (first.requests.total + rest.requests.total) / (first.duration + rest.duration || 1),
        ),
        errors: first.errors + rest.errors + first.non2xx + rest.non2xx,
      },
      apiExitCode: apiExit.code,
      otlpExports: sinkStats.exports,
      before: readBefore(),
      profile,
    };
    console.log('');
    console.log(renderTable(report));
    const resultsDir = join(appRoot, 'bench', 'results');
    mkdirSync(resultsDir, { recursive: true });
    const jsonPath = join(resultsDir, quick ? 'quick.json' : 'latest.json');
    writeFileSync(jsonPath, `${JSON.stringify(report, null, 2)}\n`);
    console.log(`\nwrote ${jsonPath}`);
    if (!quick || process.env.BENCH_WRITE_DOCS === '1') {
      const docPath = join(appRoot, '..', 'docs', 'performance.md');
      writeFileSync(docPath, renderMarkdown(report));
      console.log(`wrote ${docPath}`);
    }
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

function packageVersion(name: string): string {
  const path = join(appRoot, 'node_modules', name, 'package.json');
  return (JSON.parse(readFileSync(path, 'utf8')) as { version: string }).version;
}

/** The figures of the run before the performance work, if kept, for the before/after table. */
function readBefore(): BenchReport['before'] {
  const path = join(appRoot, 'bench', 'results', 'before-optimisation.json');
  if (!existsSync(path)) return undefined;
  const before = JSON.parse(readFileSync(path, 'utf8')) as BenchReport;
  return { date: before.date, scenarios: before.scenarios };
}

/**
 * The round with the median throughput, its latencies with it (figures of one real run, not a
 * mix); errors of every round added up, so that no failure is hidden by the choice.
 */
function medianRound(results: ScenarioResult[]): ScenarioResult {
  const sorted = [...results].sort((a, b) => a.requestsPerSecond - b.requestsPerSecond);
  const median = sorted[Math.floor((sorted.length - 1) / 2)];
  if (!median) throw new Error('scenario without result');
  const sum = (pick: (r: ScenarioResult) => number) => results.reduce((t, r) => t + pick(r), 0);
  return {
    ...median,
    errors: sum((r) => r.errors),
    timeouts: sum((r) => r.timeouts),
    non2xx: sum((r) => r.non2xx),
  };
}

function mib(bytes: number): number {
  return Math.round((10 * bytes) / 2 ** 20) / 10;
}

/** `tsx bench/run.ts --render`: rewrite docs/performance.md from results/latest.json only. */
function renderOnly(): void {
  const report = JSON.parse(
    readFileSync(join(appRoot, 'bench', 'results', 'latest.json'), 'utf8'),
  ) as BenchReport;
  writeFileSync(join(appRoot, '..', 'docs', 'performance.md'), renderMarkdown(report));
  console.log(renderTable(report));
}

if (process.argv.includes('--render')) renderOnly();
else
  main().catch((error: unknown) => {
    console.error(`bench failed: ${(error as Error).stack ?? String(error)}`);
    process.exit(1);
  });
