// Turns a benchmark run into the console table, the targets verdict, docs/performance.md and the
// README's targets table. The figures come from the run; the prose that explains them is here.
import type { ProfileShare, ProfileSummary } from './cpu-profile';
import type { DatabaseCheck } from './database-checks';

export interface ScenarioResult {
  name: string;
  description: string;
  requestsPerSecond: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  latencyMaxMs: number;
  /** CPU time of the server process per request (µs): the figure the machine's load moves least. */
  cpuMicrosPerRequest: number;
  requests: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  /** req/s of every round, in order. */
  roundsRequestsPerSecond: number[];
}

export interface BenchReport {
  date: string;
  machine: {
    cpus: number;
    cpuModel: string;
    memoryGiB: number;
    node: string;
    /** The Node.js the previous build ran on, when BENCH_BEFORE_NODE named another one. */
    previousBuildNode?: string;
    platform: string;
    postgres: string;
    redis: string;
    expressReference: string;
    /** The express the reference app loads in its "on express 5" rows (must be the API's). */
    expressReferenceOnExpress5: string;
    expressApi: string;
    /** 1-minute load average: before the run, median and highest of the measurements, after. */
    loadAverage: { before: number; median: number; max: number; after: number };
  };
  settings: {
    connections: number;
    durationSeconds: number;
    warmupSeconds: number;
    rounds: number;
    poolMax: string;
    quick: boolean;
    /** The chart's production settings the API ran with (LOG_LEVEL, TRACE_SAMPLE_RATIO…). */
    apiEnvironment: Record<string, string | undefined>;
    /** The previous build measured in the same rounds, if any. */
    previousBuild: string | undefined;
    /** The production settings of the previous build's own chart (absent in older results). */
    previousApiEnvironment?: Record<string, string | undefined>;
  };
  scenarios: ScenarioResult[];
  memory: {
    requests: number;
    /** The first requests, before any RSS is sampled. */
    warmupRequests: number;
    rssAtStartMiB: number;
    sampleEveryMillis: number;
    samples: number;
    /** Samples in each of the start and end windows. */
    windowSamples: number;
    rssStartMedianMiB: number;
    rssEndMedianMiB: number;
    /** End window's median over the start window's. */
    growthPercent: number;
    requestsPerSecond: number;
    errors: number;
  };
  apiExitCode: number | null;
  otlpExports: number;
  profile: { scenario: string; summary: ProfileSummary }[];
  /** The database-side variants (bench/database-checks.ts). */
  database: DatabaseCheck[];
}

/** Scenario names: the runner creates them, the report finds them by these. */
export const names = {
  bare: 'baseline: bare node:http',
  referenceHealth4: 'baseline: reference GET /health (express 4)',
  referenceHealth: 'baseline: reference GET /health on express 5',
  rawInsert: 'baseline: raw pg INSERT',
  rawSelect: 'baseline: raw pg SELECT by id',
  health: 'API GET /health',
  ready: 'API GET /ready',
  post: 'API POST /api/v1/payments (new key)',
  replay: 'API POST /api/v1/payments (replay)',
  get: 'API GET /api/v1/payments/:id',
  mixed: 'API mixed: 80 % GET, 15 % POST, 5 % retry',
  postUntraced: 'variant: API POST (new key) without OpenTelemetry',
  getUntraced: 'variant: API GET by id without OpenTelemetry',
  previous: (name: string) => `previous build: ${name}`,
} as const;

const previousPrefix = names.previous('');

/** Which baseline each scenario is compared with (the ratio column). */
const baselineOf: Record<string, string> = {
  [names.referenceHealth4]: names.bare,
  [names.referenceHealth]: names.referenceHealth4,
  [names.health]: names.referenceHealth,
  [names.ready]: names.referenceHealth,
  [names.post]: names.rawInsert,
  [names.replay]: names.rawInsert,
  [names.get]: names.rawSelect,
  [names.postUntraced]: names.rawInsert,
  [names.getUntraced]: names.rawSelect,
};

const shortName: Record<string, string> = {
  [names.bare]: 'bare node:http',
  [names.referenceHealth4]: 'reference on express 4',
  [names.referenceHealth]: 'reference on express 5',
  [names.rawInsert]: 'raw INSERT',
  [names.rawSelect]: 'raw SELECT',
};

function find(scenarios: ScenarioResult[], name: string): ScenarioResult | undefined {
  return scenarios.find((s) => s.name === name);
}

function baselineName(name: string): string | undefined {
  return baselineOf[name.startsWith(previousPrefix) ? name.slice(previousPrefix.length) : name];
}

export function ratio(scenarios: ScenarioResult[], scenario: ScenarioResult): number | undefined {
  const name = baselineName(scenario.name);
  const baseline = name ? find(scenarios, name) : undefined;
  if (!baseline || baseline.requestsPerSecond === 0) return undefined;
  return scenario.requestsPerSecond / baseline.requestsPerSecond;
}

const percent = (value: number | undefined) =>
  value === undefined ? '–' : `${Math.round(value * 100)} %`;

const signedPercent = (now: number, then: number) =>
  then === 0 ? '–' : `${now >= then ? '+' : ''}${Math.round((100 * (now - then)) / then)} %`;

type TargetId = 'post' | 'replay' | 'get' | 'health' | 'p99' | 'errors' | 'memory';

export interface TargetVerdict {
  id: TargetId;
  target: string;
  measured: string;
  met: boolean;
  /** The scenario whose profile explains a miss. */
  scenario?: string;
}

/** The API's own scenarios (not the previous build's, not the attribution variants). */
function apiRows(scenarios: ScenarioResult[]): ScenarioResult[] {
  return scenarios.filter((s) => s.name.startsWith('API'));
}

export function verdicts(report: BenchReport): TargetVerdict[] {
  const all = report.scenarios;
  const ratioTarget = (
    id: TargetId,
    scenario: string,
    baseline: string,
    threshold: number,
    label: string,
  ): TargetVerdict => {
    const row = find(all, scenario);
    const base = find(all, baseline);
    const value = row ? ratio(all, row) : undefined;
    return {
      id,
      target: `${label} ≥ ${Math.round(threshold * 100)} % of the ${shortName[baseline] ?? baseline} (req/s)`,
      measured:
        value === undefined || !row || !base
          ? 'not measured'
          : `${percent(value)} (${row.requestsPerSecond} / ${base.requestsPerSecond})`,
      met: value !== undefined && value >= threshold,
      scenario,
    };
  };
  const api = apiRows(all);
  const worst = api.reduce<ScenarioResult | undefined>(
    (w, s) => (!w || s.latencyP99Ms > w.latencyP99Ms ? s : w),
    undefined,
  );
  const failing = all.filter((s) => s.errors + s.timeouts + s.non2xx > 0);
  const m = report.memory;
  return [
    ratioTarget('post', names.post, names.rawInsert, 0.5, 'POST, new key,'),
    ratioTarget('replay', names.replay, names.rawInsert, 0.7, 'POST, replay,'),
    ratioTarget('get', names.get, names.rawSelect, 0.5, 'GET by id'),
    ratioTarget('health', names.health, names.referenceHealth, 0.8, '/health'),
    {
      id: 'p99',
      target: `P99 < 50 ms at ${report.settings.connections} connections (every API scenario)`,
      measured: worst ? `worst ${worst.latencyP99Ms} ms (${worst.name.replace('API ', '')})` : '–',
      met: api.length > 0 && api.every((s) => s.latencyP99Ms < 50),
      scenario: worst?.name,
    },
    {
      id: 'errors',
      target: 'zero errors, timeouts and non-2xx (every scenario, every round)',
      measured:
        failing.length === 0
          ? '0'
          : failing.map((s) => `${s.name}: ${s.errors + s.timeouts + s.non2xx}`).join('; '),
      met: failing.length === 0,
    },
    {
      id: 'memory',
      target: `RSS at the end of ${m.requests} POSTs within 20 % of RSS at its start (medians, after ${m.warmupRequests} warm-up requests)`,
      measured: `${m.rssStartMedianMiB} → ${m.rssEndMedianMiB} MiB (${m.growthPercent >= 0 ? '+' : ''}${m.growthPercent} %)`,
      met: Math.abs(m.growthPercent) <= 20 && m.errors === 0,
    },
  ];
}

const header = ['scenario', 'req/s', 'P50 ms', 'P99 ms', 'CPU µs/req', 'errors/non-2xx', 'ratio'];

function rows(scenarios: ScenarioResult[]): string[][] {
  return scenarios.map((s) => {
    const base = baselineName(s.name);
    return [
      s.name,
      String(s.requestsPerSecond),
      String(s.latencyP50Ms),
      String(s.latencyP99Ms),
      String(s.cpuMicrosPerRequest),
      `${s.errors + s.timeouts}/${s.non2xx}`,
      base ? `${percent(ratio(scenarios, s))} of ${shortName[base] ?? base}` : '–',
    ];
  });
}

/** The console table; with a whole report, the targets verdict under it. */
export function renderTable(report: Pick<BenchReport, 'scenarios'> | BenchReport): string {
  const table = [header, ...rows(report.scenarios)];
  const widths = header.map((_, column) =>
    Math.max(...table.map((row) => (row[column] ?? '').length)),
  );
  const line = (row: string[]) =>
    row
      .map((cell, column) =>
        column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0),
      )
      .join('  ');
  const out = [line(header), widths.map((w) => '-'.repeat(w)).join('  ')];
  out.push(...table.slice(1).map(line));
  if ('memory' in report) {
    out.push('');
    for (const verdict of verdicts(report)) {
      out.push(`${verdict.met ? 'MET   ' : 'MISSED'}  ${verdict.target}: ${verdict.measured}`);
    }
  }
  return out.join('\n');
}

function markdownTable(head: string[], body: string[][]): string {
  const escape = (cell: string) => cell.replace(/\|/g, '\\|');
  return [
    `| ${head.map(escape).join(' | ')} |`,
    `| ${head.map((_, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`,
    ...body.map((row) => `| ${row.map(escape).join(' | ')} |`),
  ].join('\n');
}

/** The README's table: each target, its measured value and verdict, and the load it ran under. */
export function renderReadmeTargets(report: BenchReport): string {
  const load = report.machine.loadAverage;
  return `Last measured ${report.date.slice(0, 16).replace('T', ' ')} UTC (${report.machine.cpus} shared cores, load average ${load.median} median / ${load.max} highest, ${report.settings.connections} connections; the chart's production settings: metrics, JSON request logs, tracing at its ratio${report.settings.quick ? '; quick mode: short runs, one round' : ''}):

${markdownTable(
  ['target', 'measured', ''],
  verdicts(report).map((v) => [v.target, v.measured, v.met ? 'met' : 'missed']),
)}`;
}

/** BENCH_BEFORE_NODE ran the previous build on another Node.js than this one's. */
function otherRuntime(report: BenchReport): boolean {
  const { previousBuildNode, node } = report.machine;
  return previousBuildNode !== undefined && previousBuildNode !== node;
}

/** Same-run before/after: each API scenario against the previous build's, measured beside it. */
function beforeAfter(report: BenchReport): string {
  const all = report.scenarios;
  const body = apiRows(all).flatMap((now) => {
    const then = find(all, names.previous(now.name));
    if (!then) return [];
    return [
      [
        now.name,
        `${then.requestsPerSecond} → ${now.requestsPerSecond} (${signedPercent(now.requestsPerSecond, then.requestsPerSecond)})`,
        `${then.cpuMicrosPerRequest} → ${now.cpuMicrosPerRequest} (${signedPercent(now.cpuMicrosPerRequest, then.cpuMicrosPerRequest)})`,
        `${then.latencyP99Ms} → ${now.latencyP99Ms}`,
        `${percent(ratio(all, then))} → ${percent(ratio(all, now))}`,
        `${then.roundsRequestsPerSecond.join(', ')} / ${now.roundsRequestsPerSecond.join(', ')}`,
      ],
    ];
  });
  if (body.length === 0) {
    return 'Not measured in this run (`BENCH_BEFORE_REF=none`).';
  }
  const runtimes = otherRuntime(report)
    ? ` The previous build ran on Node.js ${report.machine.previousBuildNode}, this one on ${report.machine.node}: the change includes the runtime's.`
    : '';
  return `The previous build, ${report.settings.previousBuild ?? ''}, and this one ran side by side in
this run: same machine, same database, each build with the production values its own chart ships
(previous: ${environmentList(report.settings.previousApiEnvironment ?? report.settings.apiEnvironment)};
this one: ${environmentList(report.settings.apiEnvironment)}), each scenario of one build measured right
after (or, every other round, right before) the same scenario of the other, ${report.settings.rounds} round(s), each
row the median round. CPU µs per request is the API process's own CPU time (from
\`/proc/<pid>/schedstat\`) divided by the requests it answered: unlike req/s it hardly moves with
the other work on the machine, so it is the column to trust for the change itself.${runtimes}

${markdownTable(
  [
    'scenario',
    'req/s before → after',
    'CPU µs/request before → after',
    'P99 ms before → after',
    'ratio to baseline before → after',
    'req/s per round (before / after)',
  ],
  body,
)}`;
}

function shares(list: ProfileShare[], count: number): string {
  return list
    .slice(0, count)
    .map((s) => `${s.name} ${s.percent} %`)
    .join(', ');
}

function frames(list: ProfileShare[], count: number): string {
  return list
    .slice(0, count)
    .map((s) => `\`${s.name}\` ${s.percent} %`)
    .join(', ');
}

/**
 * Why each target still misses, when it does: hand-written from the profiles of the runs made
 * while optimizing (see "What changed"); the figures around it come from this run.
 */
const whyItRemains: Record<TargetId, string> = {
  post: `The new payment's own work is one PostgreSQL statement, the one the raw INSERT makes. On
top of it the API runs Express 5's routing and JSON body parsing, the validation, the security
headers and the request observer (a metric sample, a JSON log line), none of which the baseline
has; \`writev\` is the system call that sends each response. Tracing runs at the production ratio
(\`TRACE_SAMPLE_RATIO=${'${ratio}'}\`): a request left out of the sample carries only the ids of
a span that records nothing, a sampled one records its server span and its pg span and exports
them. The variant row
without OpenTelemetry shows what tracing still costs here.`,
  replay: `A replay costs a PostgreSQL statement (the claim that finds the key taken) plus a Redis
GET: two round trips where the raw INSERT it is compared with makes one, with the same Express
routing, validation and request observer as a new payment.`,
  get: `The read is one prepared SELECT, as in the raw baseline; the rest is Express 5's routing,
the JSON response and its socket write, the request observer, and for the sampled requests
(\`TRACE_SAMPLE_RATIO=${'${ratio}'}\`) the server and pg spans.`,
  health: `Every request pays what the reference app does not have: the request observer (metrics,
a JSON log line with a trace id), the security headers, and the context of a span that records
nothing, so that the probe's log line still carries a trace id. The log line alone costs
≈ ${'${healthLogMicros}'} µs of the API's ${'${healthMicros}'} µs per request, against ${'${referenceMicros}'} µs for the
whole reference request: the API keeps a line per request, probes included.`,
  p99: `autocannon keeps ${'${connections}'} requests in flight, so the mean latency is connections ÷
throughput (Little's law); on 2 shared cores, with PostgreSQL, Redis and the load generator on the
same cores, the tail follows the throughput. The raw INSERT baseline, the same statement through
node:http with the same pool, had a P99 of ${'${rawInsertP99}'} ms in this run: the database path
alone is that close to the target here.`,
  errors: 'See the rows with errors above.',
  memory: `The two figures are medians of RSS readings at the start and at the end of the run,
after the warm-up. A leak keeps growing with more requests; V8 settling its heap (it grows the
heap before collecting more often) stops. A run with a larger \`BENCH_MEMORY_REQUESTS\` tells
the two apart.`,
};

function gaps(report: BenchReport): string {
  const missed = verdicts(report).filter((v) => !v.met);
  if (missed.length === 0) return 'Every target is met in this run.';
  // The run's figures that the hand-written paragraphs name (${name} in whyItRemains).
  const cpu = (name: string) => String(find(report.scenarios, name)?.cpuMicrosPerRequest ?? '?');
  const figures: Record<string, string> = {
    connections: String(report.settings.connections),
    ratio: report.settings.apiEnvironment.TRACE_SAMPLE_RATIO ?? '1',
    rawInsertP99: String(find(report.scenarios, names.rawInsert)?.latencyP99Ms ?? '?'),
    healthLogMicros: String(concernMicros(report, names.health, 'logging (pino)') ?? '?'),
    healthMicros: cpu(names.health),
    referenceMicros: cpu(names.referenceHealth),
  };
  return missed
    .map((v) => {
      const profiled = report.profile.find((p) => p.scenario === v.scenario);
      const evidence = profiled
        ? `The profile of "${profiled.scenario}" (${profiled.summary.samples} samples of the measured seconds) charges the time to ${shares(profiled.summary.byCallerConcern, 6)}; the top self-time frames are ${frames(profiled.summary.topFunctions, 6)}. `
        : '';
      const why = whyItRemains[v.id].replace(
        /\$\{(\w+)\}/g,
        (all, name: string) => figures[name] ?? all,
      );
      return `**${v.target}** — ${v.measured}. ${evidence}${why.replace(/\n/g, ' ')}`;
    })
    .join('\n\n');
}

/** µs of the row's CPU time per request that the profile charges to `concern` (≈: share × CPU). */
function concernMicros(report: BenchReport, scenario: string, concern: string): number | undefined {
  const row = find(report.scenarios, scenario);
  const summary = report.profile.find((p) => p.scenario === scenario)?.summary;
  if (!row || !summary) return undefined;
  const share = summary.byCallerConcern.find((c) => c.name === concern)?.percent ?? 0;
  return Math.round((share * row.cpuMicrosPerRequest) / 100);
}

function profileSection(report: BenchReport, scenario: string, summary: ProfileSummary): string {
  const previous = report.profile.find((p) => p.scenario === names.previous(scenario))?.summary;
  const concernNames = [
    ...new Set(
      [...summary.byCallerConcern, ...(previous?.byCallerConcern ?? [])].map((c) => c.name),
    ),
  ];
  const shareIn = (list: ProfileShare[] | undefined, name: string) =>
    list === undefined ? '–' : `${list.find((c) => c.name === name)?.percent ?? 0} %`;
  const micros = (name: string, of: string) => {
    const value = concernMicros(report, of, name);
    return value === undefined ? '–' : `≈ ${value}`;
  };
  const concerns = markdownTable(
    [
      'charged to (the innermost library or API frame)',
      'share before',
      'share now',
      'CPU µs/request before',
      'now',
    ],
    concernNames.map((name) => [
      name,
      shareIn(previous?.byCallerConcern, name),
      shareIn(summary.byCallerConcern, name),
      micros(name, names.previous(scenario)),
      micros(name, scenario),
    ]),
  );
  return (
    `### ${scenario} (${summary.samples} samples now${previous ? `, ${previous.samples} before` : ''})\n\n` +
    `${concerns}\n\n` +
    markdownTable(
      ['function now (self time)', 'share'],
      summary.topFunctions.map((p) => [`\`${p.name}\``, `${p.percent} %`]),
    )
  );
}

function profiles(report: BenchReport): string {
  if (report.profile.length === 0) {
    return 'Not profiled in this run (`BENCH_PROFILE=1` profiles the API with `node --cpu-prof`).';
  }
  const sections = report.profile
    .filter((p) => !p.scenario.startsWith(previousPrefix))
    .map(({ scenario, summary }) => profileSection(report, scenario, summary));
  return `Each profiled API scenario again, on a fresh API process started with \`node --cpu-prof\`,
this build and the previous one: only the samples of the measured seconds count (not start-up,
not the warm-up). "Charged to" gives each sample to the innermost frame of a library or of the
API's code on its stack, so that a \`setHeader\` counts for helmet and a socket write for pg;
garbage collection and V8's native code (the socket system calls among them) stay on their own.
The CPU µs columns multiply that share by the row's CPU µs/request above (which also counts the
process's other threads: an estimate, for comparing the two builds). The \`.cpuprofile\` files are
written to \`app/bench/results/profiles/\` (not committed: several MB each, meaningful with their
run only); open one in Chrome DevTools or speedscope for the flame graph.

${sections.join('\n\n')}`;
}

/** The database-side variants, each on a fresh database (bench/database-checks.ts). */
function databaseSection(report: BenchReport): string {
  if (report.database.length === 0) return 'Not measured in this run (`BENCH_DATABASE_CHECKS=0`).';
  return `The API's own statements (its \`PaymentRepository\`), without HTTP, ${report.settings.connections} at a
time, on a database holding 20 000 payments and keys: as shipped, then with one thing changed.
WAL bytes per statement is what the insert maintains (tables, indexes, foreign key) and does not
move with the machine's load; statements/s does.

${markdownTable(
  ['variant', 'operation', 'statements/s', 'PostgreSQL CPU µs/statement', 'WAL bytes/statement'],
  report.database.map((d) => [
    d.variant,
    d.operation,
    String(d.statementsPerSecond),
    d.postgresCpuMicros === undefined ? '–' : String(d.postgresCpuMicros),
    String(d.walBytes),
  ]),
)}`;
}

/** `NAME=value` pairs, as the report lists the API's settings. */
function environmentList(environment: Record<string, string | undefined>): string {
  return Object.entries(environment)
    .map(([name, value]) => `\`${name}=${value ?? ''}\``)
    .join(', ');
}

export function renderMarkdown(report: BenchReport): string {
  const m = report.machine;
  const s = report.settings;
  const load = m.loadAverage;
  const verdictRows = verdicts(report).map((v) => [v.target, v.measured, v.met ? 'met' : 'missed']);
  const env = environmentList(s.apiEnvironment);
  return `<!-- Generated by \`make bench\` (app/bench/run.ts, app/bench/report.ts) on ${report.date}: do not edit by hand. -->

# Performance of the PayFlow API

Measured by \`make bench\` (inside \`app/\`: \`npm run bench\`) on ${report.date.slice(0, 10)}. The raw
figures are in \`app/bench/results/latest.json\`; [reliability.md](reliability.md) covers the fault
runs.

## Targets

${markdownTable(['target', 'measured', 'verdict'], verdictRows)}

Load average (1 min) during the run: ${load.before} before, ${load.median} median and ${load.max} highest
over the measurements, ${load.after} after, on ${m.cpus} cores.${
    load.median > 1.5
      ? ' **The machine was busy**: the req/s figures and the ratios are noisy (each ratio compares two rows measured at different moments); the CPU µs/request column and the same-run before/after are the more reliable figures.'
      : ''
  }

## Results

${markdownTable(header, rows(report.scenarios))}

\`CPU µs/req\`: CPU time of the server process per answered request. \`errors/non-2xx\`: connection
errors plus timeouts / responses outside 2xx, all rounds.

## Before and after (same run)

${beforeAfter(report)}

## What each remaining gap is made of

${gaps(report)}

## The database side

${databaseSection(report)}

## How each figure is measured

| | |
| --- | --- |
| CPU | ${m.cpus} cores (${m.cpuModel}), **shared** by the API, PostgreSQL, Redis, the OTLP sink and the load generator (autocannon) |
| memory | ${m.memoryGiB} GiB |
| system | ${m.platform} |
| Node.js | ${m.node} for every server${otherRuntime(report) ? `, but ${m.previousBuildNode} for the previous build (\`BENCH_BEFORE_NODE\`)` : ''} |
| PostgreSQL / Redis | ${m.postgres} / ${m.redis}, on loopback |
| Express | API ${m.expressApi}; reference app ${m.expressReferenceOnExpress5} in the "on express 5" row, ${m.expressReference} as its package.json asks |
| load | ${s.connections} connections, ${s.warmupSeconds} s warm-up then ${s.durationSeconds} s per scenario, ${s.rounds} round(s) over all scenarios: each row is its median round${s.quick ? ' (quick mode)' : ''} |
| pool | PostgreSQL pool of ${s.poolMax} (PG_POOL_MAX), for the API and the raw baseline |

- **the API**: \`node dist/server.js\` after \`npm run build\`, \`NODE_ENV=production\` and the
  chart's production values (\`app/chart/values-production.yaml\`): ${env}. Metrics recorded, one
  JSON log line per request (to /dev/null: the cost of producing it is paid), spans exported over
  OTLP/HTTP to a local sink (\`app/bench/otlp-sink.ts\`, ${report.otlpExports} exports received) as
  they would be to Tempo, Redis as the replay cache. Its own database (\`payflow_bench_*\`,
  migrated, dropped afterwards) and Redis key prefix.
- **new key**: a fresh \`Idempotency-Key\` per POST: one PostgreSQL statement claims the key and
  inserts the payment; the answer is copied to Redis afterwards, not awaited. **replay**: 100 keys
  used beforehand, cycled: the claim finds the key taken and Redis answers. **mixed**: of every
  20 requests, 16 read one of 900 payments, 3 create one, 1 retries one of the last 500 new keys.
- **raw pg**: \`app/bench/baselines/raw-pg.ts\`, a bare node:http server running the API's own
  \`PaymentRepository\` (the same statements) on a pool built by the API's own
  \`createPostgresPool\`: what the database path allows through Node.js, without Express,
  validation, Redis, logging, metrics or tracing.
- **reference app**: the brief's \`app.js\` as given (\`app/bench/reference/app.js\`): on the
  API's express 5 for the /health target, so that the framework's major version is not counted
  against the API; on express 4 for information.
- **bare node:http**: \`app/bench/baselines/bare-http.ts\`, the ceiling of Node.js here.
- **without OpenTelemetry**: \`app/bench/variants/api-untraced.ts\`, the same service without the
  tracing SDK: what tracing every request costs.
- **memory**: a fresh API process (${report.memory.rssAtStartMiB} MiB RSS once ready),
  ${report.memory.requests} POSTs with new keys (${report.memory.requestsPerSecond} req/s). The
  first ${report.memory.warmupRequests} warm it up (pools, compiled code, caches); over the rest,
  RSS is read from \`/proc/<pid>/status\` every ${report.memory.sampleEveryMillis} ms
  (${report.memory.samples} readings). The growth compares the median of the last
  ${report.memory.windowSamples} readings (${report.memory.rssEndMedianMiB} MiB) with the median of
  the first ${report.memory.windowSamples} (${report.memory.rssStartMedianMiB} MiB): a single
  reading lands wherever the garbage collector happens to be, a median over a window does not.
  The API exited with code ${report.apiExitCode} on SIGTERM after the run.

${changes(report)}

## Where the time goes (CPU profiles)

${profiles(report)}

## Run it yourself

\`\`\`bash
export DATABASE_URL=postgres://payflow:local-only-postgres@127.0.0.1:5432/payflow
export REDIS_URL=redis://:local-only-redis@127.0.0.1:6379
make bench                      # about 15 minutes; rewrites this file and the README's targets
cd app && BENCH_QUICK=1 npm run bench   # about 7 minutes, writes app/bench/results/quick.json only
cd app && BENCH_ONLY='API POST' BENCH_PROFILE=1 BENCH_QUICK=1 npm run bench   # one path, profiled
\`\`\`

You should see one line per scenario and round (\`… req/s, P99 … ms, … µs CPU/request, load …\`),
then the table above and one \`MET\`/\`MISSED\` line per target. The first run also builds the
previous build (\`git archive\` of ${s.previousBuild ?? 'BENCH_BEFORE_REF'} into the temporary
directory, \`npm ci\`, \`npm run build\`; about a minute, kept for later runs). Settings:
\`BENCH_CONNECTIONS\`, \`BENCH_DURATION_SECONDS\`, \`BENCH_WARMUP_SECONDS\`, \`BENCH_ROUNDS\`,
\`BENCH_ONLY\`, \`BENCH_MEMORY_REQUESTS\`, \`BENCH_PROFILE=0|1\`, \`BENCH_BEFORE_REF=<commit>|none\`,
\`BENCH_COMPARE_WITH=<built app directory>\`, \`BENCH_BEFORE_NODE=<node executable>\`, \`PG_POOL_MAX\`. Run it on a quiet machine (\`uptime\`
load average below 1.5); \`BENCH_WAIT_FOR_QUIET=1\` waits up to 10 minutes for one.
`;
}

interface Change {
  what: string;
  /** The profile concern the change takes work away from, and the scenario that shows it. */
  concern: string;
  scenario: string;
}

/** The per-request work of issue 16 (hand-written); the evidence columns come from this run. */
const changeList: Change[] = [
  {
    what: 'Security headers computed once at start-up and set as constants (helmet rebuilt the same CSP and header values on every request); only the headers a JSON API needs',
    concern: 'security headers (helmet)',
    scenario: names.health,
  },
  {
    what: "JSON answers written directly (`sendJson`): Express's `res.json` parsed and rebuilt the Content-Type, read three settings and checked freshness on every answer",
    concern: 'Express 5 and its parsers',
    scenario: names.health,
  },
  {
    what: "Production's trace sampling ratio from 1 to 0.1 (`live/production/env.hcl`, hence `app/chart/values-production.yaml`, which the bench runs with): one new trace in ten recorded and exported; the others keep their trace id in every log line",
    concern: 'tracing (OpenTelemetry)',
    scenario: names.get,
  },
  {
    what: "The request's span started by the request observer instead of OpenTelemetry's HTTP instrumentation (which wrapped the request and response and computed a dozen attributes per request); still at the configured sampling ratio, still continuing a caller's `traceparent`; the Redis copy of an answer, written after the answer left, no longer traced",
    concern: 'tracing (OpenTelemetry)',
    scenario: names.post,
  },
  {
    what: 'The request log line written by a child logger without the redaction paths (its fields are fixed, none a secret), the trace and span ids passed in rather than looked up by the mixin',
    concern: 'logging (pino)',
    scenario: names.get,
  },
  {
    what: 'No client-side Redis command timeout (node-redis armed an `AbortSignal.timeout` per command); every caller already bounds its wait with `withDeadline`',
    concern: 'Redis client',
    scenario: names.replay,
  },
  {
    what: 'Fewer router layers per request: the request observer and the security headers are one middleware, and the payment routes come before the probes, /metrics and /users (a GET by id matched its path against 9 layers, now 3)',
    concern: 'Express 5 and its parsers',
    scenario: names.get,
  },
  {
    what: "No propagator extraction for a request that carries none of the propagator's headers (`traceparent`, `tracestate`, `baggage`): it starts from the empty context the extraction would have returned",
    concern: 'tracing (OpenTelemetry)',
    scenario: names.health,
  },
  {
    what: "The process logger's mixin returns nothing to merge for a line that names its own trace (the request line): no active-span lookup, no copy of the line's fields into a merged object",
    concern: 'logging (pino)',
    scenario: names.get,
  },
  {
    what: '`express.json` no longer matches the Content-Type again after `requireJson` has (`type: () => true`)',
    concern: 'Express 5 and its parsers',
    scenario: names.post,
  },
  {
    what: 'NODE_OPTIONS=--max-semi-space-size=16 (chart default `nodeOptions`): the young generation V8 picks on a large host, where this bench runs (so no change here), instead of the 1 MB semi-spaces Node.js (20 and 24) sizes under a 512 MiB pod limit; measured in a 512 MiB cgroup: 16 to 19 % less CPU per new payment, +32 MiB RSS (app/chart/README.md)',
    concern: 'V8: garbage collection',
    scenario: names.post,
  },
];

function changes(report: BenchReport): string {
  const micros = (scenario: string, concern: string) => concernMicros(report, scenario, concern);
  const body = changeList.map((c) => {
    const before = micros(names.previous(c.scenario), c.concern);
    const now = micros(c.scenario, c.concern);
    return [
      c.what,
      `${c.concern}, ${c.scenario.replace('API ', '')}`,
      before === undefined || now === undefined
        ? 'not profiled in this run'
        : `≈ ${before} → ${now}`,
    ];
  });
  const m = report.machine;
  const runtime = otherRuntime(report)
    ? ` The runtime moved too: the previous build ran on Node.js ${m.previousBuildNode} (what its image shipped), this one on ${m.node} (\`app/Dockerfile\` \`NODE_IMAGE\`). A newer V8 and HTTP parser lower every concern at once, so each row's before → now includes the runtime's share.`
    : '';
  return `## What changed, and what each change bought

Each change of the per-request work, the share of the CPU profile it takes work away from, and
that share in µs of CPU per request in the previous build's profile and in this one's (same run;
see the profiles below). A new payment already cost one PostgreSQL statement in the previous build.${runtime}

${markdownTable(['change', 'profile concern, scenario', 'CPU µs/request before → now'], body)}`;
}
