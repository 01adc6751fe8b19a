// Reads a V8 .cpuprofile (node --cpu-prof) and says where the time went: self time per
// function and per package, and the same time charged to the code that asked for it, which is
// what a flame graph shows at a glance.
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  /** Microseconds, on the clock of process.hrtime() (CLOCK_MONOTONIC). */
  startTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export interface ProfileShare {
  name: string;
  percent: number;
}

export interface ProfileSummary {
  samples: number;
  topFunctions: ProfileShare[];
  byPackage: ProfileShare[];
  /** Self time grouped by what it pays for (tracing, logging, Express…). */
  byConcern: ProfileShare[];
  /**
   * Each sample charged to the innermost frame of a package or of the API's code on its stack:
   * Node.js core work (a setHeader, a socket write) counts for the library that asked for it.
   */
  byCallerConcern: ProfileShare[];
}

/** Only the samples taken between these two instants (process.hrtime.bigint() / 1000n). */
export interface ProfileWindow {
  fromMicros: number;
  toMicros: number;
}

const concerns: [RegExp, string][] = [
  [/^@opentelemetry\//, 'tracing (OpenTelemetry)'],
  [
    /^(express|router|body-parser|raw-body|finalhandler|send|serve-static|path-to-regexp|type-is|content-type|iconv-lite|on-finished|statuses|http-errors|accepts|negotiator|mime-types|qs|encodeurl|depd|debug|ms|parseurl|media-typer|bytes|unpipe|vary|fresh|cookie|cookie-signature|merge-descriptors|mime-db|range-parser|proxy-addr|forwarded|ipaddr\.js|setprototypeof|toidentifier|ee-first|destroy|content-disposition|etag|escape-html|is-promise|once|wrappy|safe-buffer|safer-buffer|inherits)$/,
    'Express 5 and its parsers',
  ],
  [
    /^(pino|@pinojs\/.*|sonic-boom|thread-stream|fast-redact|quick-format-unescaped|atomic-sleep|on-exit-leak-free|safe-stable-stringify|pino-std-serializers|process-warning|real-require)$/,
    'logging (pino)',
  ],
  [/^(prom-client|tdigest|bintrees)$/, 'metrics (prom-client)'],
  [/^helmet$/, 'security headers (helmet)'],
  [
    /^(pg|pg-pool|pg-protocol|pg-types|postgres-.*|pgpass|pg-connection-string|pg-int8)$/,
    'PostgreSQL client (pg)',
  ],
  [/^(@redis\/.*|redis|cluster-key-slot)$/, 'Redis client'],
  [/^zod$/, 'validation (zod)'],
  [/^\(payflow-api\)$/, 'the API’s own code'],
  [/^\(node core\)$/, 'Node.js core (HTTP, streams, timers)'],
  [/^\(v8: gc\)$/, 'V8: garbage collection'],
  [/^\(v8: native\)$/, 'native code (system calls such as socket writes, V8 builtins)'],
];

function concernOf(pkg: string): string {
  return concerns.find(([pattern]) => pattern.test(pkg))?.[1] ?? 'other';
}

/** node_modules/<pkg> (scoped too), the API's own code, Node.js internals or V8 itself. */
function packageOf(node: ProfileNode): string {
  const { url, functionName } = node.callFrame;
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (match?.[1]) return match[1];
  if (url.includes('/dist/') || url.includes('/src/')) return '(payflow-api)';
  if (url.startsWith('node:')) return '(node core)';
  if (url === '') return functionName === '(garbage collector)' ? '(v8: gc)' : '(v8: native)';
  return url;
}

const isLibraryOrApi = (pkg: string) => !pkg.startsWith('(') || pkg === '(payflow-api)';

function top(totals: Map<string, number>, all: number, count: number): ProfileShare[] {
  return [...totals.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, hits]) => ({ name, percent: Math.round((1000 * hits) / all) / 10 }));
}

function add(totals: Map<string, number>, key: string, hits: number): void {
  totals.set(key, (totals.get(key) ?? 0) + hits);
}

/** Hits per node id, only for samples inside `window` when given. */
function hitsPerNode(profile: CpuProfile, window?: ProfileWindow): Map<number, number> {
  const hits = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  let at = profile.startTime;
  samples.forEach((id, index) => {
    at += deltas[index] ?? 0;
    if (window && (at < window.fromMicros || at > window.toMicros)) return;
    hits.set(id, (hits.get(id) ?? 0) + 1);
  });
  if (samples.length === 0) {
    for (const node of profile.nodes) if (node.hitCount) hits.set(node.id, node.hitCount);
  }
  return hits;
}

export function summarizeCpuProfile(
  path: string,
  options: { count?: number; window?: ProfileWindow } = {},
): ProfileSummary {
  const count = options.count ?? 12;
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const hitsById = hitsPerNode(profile, options.window);
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) {
    for (const child of node.children ?? []) parentOf.set(child, node.id);
  }
  /** The innermost package or API frame on the stack of `id`, else the leaf's own package. */
  const callerPackage = (id: number, own: string): string => {
    for (let at: number | undefined = id; at !== undefined; at = parentOf.get(at)) {
      const node = byId.get(at);
      if (node && isLibraryOrApi(packageOf(node))) return packageOf(node);
    }
    return own;
  };

  const byFunction = new Map<string, number>();
  const byPackage = new Map<string, number>();
  const byCallerConcern = new Map<string, number>();
  let all = 0;
  for (const [id, hits] of hitsById) {
    const node = byId.get(id);
    if (!node || node.callFrame.functionName === '(idle)') continue;
    all += hits;
    const where = node.callFrame.url.replace(/^.*node_modules\//, '').replace(/^.*\/app\//, '');
    add(
      byFunction,
      `${node.callFrame.functionName || '(anonymous)'} ${where}:${node.callFrame.lineNumber + 1}`,
      hits,
    );
    const pkg = packageOf(node);
    add(byPackage, pkg, hits);
    // Garbage collection and native code (system calls, V8 builtins) stay on their own.
    add(byCallerConcern, concernOf(pkg.startsWith('(v8') ? pkg : callerPackage(id, pkg)), hits);
  }
  const byConcern = new Map<string, number>();
  for (const [pkg, hits] of byPackage) add(byConcern, concernOf(pkg), hits);
  return {
    samples: all,
    topFunctions: top(byFunction, all, count),
    byPackage: top(byPackage, all, count),
    byConcern: top(byConcern, all, concerns.length + 1),
    byCallerConcern: top(byCallerConcern, all, concerns.length + 1),
  };
}
