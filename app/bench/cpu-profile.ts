// Reads a V8 .cpuprofile (node --cpu-prof) and says where the time went: self time per
// function and per package, which is what a flame graph shows at a glance.
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples?: number[];
}

export interface ProfileShare {
  name: string;
  percent: number;
}

export interface ProfileSummary {
  samples: number;
  topFunctions: ProfileShare[];
  byPackage: ProfileShare[];
  /** The same time grouped by what it pays for (tracing, logging, Express…). */
  byConcern: ProfileShare[];
}

const concerns: [RegExp, string][] = [
  [/^@opentelemetry\//, 'tracing (OpenTelemetry)'],
  [
    /^(express|router|body-parser|raw-body|finalhandler|send|serve-static|path-to-regexp|type-is|content-type|iconv-lite|on-finished|statuses|http-errors|accepts|negotiator|mime-types|qs|encodeurl|depd|debug|ms)$/,
    'Express 5 and its parsers',
  ],
  [
    /^(pino|@pinojs\/.*|sonic-boom|thread-stream|fast-redact|quick-format-unescaped|atomic-sleep|on-exit-leak-free|safe-stable-stringify)$/,
    'logging (pino)',
  ],
  [/^(prom-client|tdigest|bintrees)$/, 'metrics (prom-client)'],
  [/^helmet$/, 'security headers (helmet)'],
  [
    /^(pg|pg-pool|pg-protocol|pg-types|postgres-.*|pgpass|pg-connection-string)$/,
    'PostgreSQL client (pg)',
  ],
  [/^@redis\//, 'Redis client'],
  [/^zod$/, 'validation (zod)'],
  [/^\(payflow-api\)$/, 'the API’s own code'],
  [/^\(node core\)$/, 'Node.js core (HTTP, streams, timers)'],
  [/^\(v8: gc, native\)$/, 'V8: garbage collection and native'],
];

function concernOf(pkg: string): string {
  return concerns.find(([pattern]) => pattern.test(pkg))?.[1] ?? 'other';
}

/** node_modules/<pkg> (scoped too), the API's own code, Node.js internals or V8 itself. */
function packageOf(url: string): string {
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (match?.[1]) return match[1];
  if (url.includes('/dist/') || url.includes('/src/')) return '(payflow-api)';
  if (url.startsWith('node:') || url === '') return url === '' ? '(v8: gc, native)' : '(node core)';
  return url;
}

function top(totals: Map<string, number>, all: number, count: number): ProfileShare[] {
  return [...totals.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, hits]) => ({ name, percent: Math.round((1000 * hits) / all) / 10 }));
}

export function summarizeCpuProfile(path: string, count = 12): ProfileSummary {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const hitsById = new Map<number, number>();
  for (const sample of profile.samples ?? []) {
    hitsById.set(sample, (hitsById.get(sample) ?? 0) + 1);
  }
  const byFunction = new Map<string, number>();
  const byPackage = new Map<string, number>();
  let all = 0;
  for (const node of profile.nodes) {
    const hits = hitsById.get(node.id) ?? node.hitCount ?? 0;
    if (hits === 0 || node.callFrame.functionName === '(idle)') continue;
    all += hits;
    const where = node.callFrame.url.replace(/^.*node_modules\//, '').replace(/^.*\/app\//, '');
    const name = `${node.callFrame.functionName || '(anonymous)'} ${where}:${node.callFrame.lineNumber + 1}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + hits);
    const pkg = packageOf(node.callFrame.url);
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + hits);
  }
  const byConcern = new Map<string, number>();
  for (const [pkg, hits] of byPackage) {
    byConcern.set(concernOf(pkg), (byConcern.get(concernOf(pkg)) ?? 0) + hits);
  }
  return {
    samples: all,
    topFunctions: top(byFunction, all, count),
    byPackage: top(byPackage, all, count),
    byConcern: top(byConcern, all, concerns.length + 1),
  };
}
