// Sends the malformed-request corpus as raw bytes (no HTTP client would send most of it) and
// checks each answer: a 4xx, in the API's JSON error shape, and no row written.
import net from 'node:net';
import type { FaultLab } from './fault-lab';
import { malformedRequests, type MalformedRequest } from './malformed-corpus';
import type { ScenarioReport } from './scenarios';

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** One request on its own connection (Connection: close), read until the server closes. */
export function sendRaw(
  port: number,
  item: MalformedRequest,
  timeoutMillis = 10_000,
): Promise<RawResponse> {
  const lines = [
    `${item.method} ${item.path} HTTP/1.1`,
    `Host: 127.0.0.1:${port}`,
    'Connection: close',
  ];
  const given = new Set(item.headers.map(([name]) => name.toLowerCase()));
  for (const [name, value] of item.headers) lines.push(`${name}: ${value}`);
  if (!given.has('content-length') && !given.has('transfer-encoding') && item.body.length > 0) {
    lines.push(`Content-Length: ${item.body.length}`);
  }
  const head = Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'utf8');
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no complete answer within ${timeoutMillis} ms`));
    }, timeoutMillis);
    // No half-close (socket.end): Node's server would then drop a response still being computed.
    socket.on('connect', () => socket.write(Buffer.concat([head, item.body])));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    // The server may answer and close before reading a large body: keep what arrived.
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      const raw = Buffer.concat(chunks);
      const split = raw.indexOf('\r\n\r\n');
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(raw.toString('latin1'))?.[1]);
      if (split < 0 || !status) {
        reject(
          new Error(`not an HTTP response: ${JSON.stringify(raw.toString('latin1').slice(0, 80))}`),
        );
        return;
      }
      const headers: Record<string, string> = {};
      for (const line of raw.subarray(0, split).toString('latin1').split('\r\n').slice(1)) {
        const colon = line.indexOf(':');
        headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      let body: Buffer = raw.subarray(split + 4);
      if (headers['transfer-encoding'] === 'chunked') body = unchunk(body);
      resolve({ status, headers, body: body.toString('utf8') });
    });
  });
}

function unchunk(data: Buffer): Buffer {
  const parts: Buffer[] = [];
  let offset = 0;
  for (;;) {
    const end = data.indexOf('\r\n', offset);
    const size = parseInt(data.subarray(offset, end).toString('latin1'), 16);
    if (!size) return Buffer.concat(parts);
    parts.push(data.subarray(end + 2, end + 2 + size));
    offset = end + 2 + size + 2;
  }
}

/** The API's error shape: {error:{code:string,message:string,details?}} as JSON. */
export function hasErrorShape(response: RawResponse): boolean {
  if (!(response.headers['content-type'] ?? '').startsWith('application/json')) return false;
  try {
    const parsed = JSON.parse(response.body) as { error?: { code?: unknown; message?: unknown } };
    return typeof parsed.error?.code === 'string' && typeof parsed.error.message === 'string';
  } catch {
    return false;
  }
}

export interface CaseResult {
  item: MalformedRequest;
  response?: RawResponse;
  failure?: string;
  rowsWritten: number;
  problems: string[];
}

/** Sends every case and returns what went wrong with each (empty `problems` = as claimed). */
export async function runCorpus(
  port: number,
  countRows: () => Promise<number>,
  items: MalformedRequest[] = malformedRequests(),
): Promise<CaseResult[]> {
  const results: CaseResult[] = [];
  for (const item of items) {
    const before = await countRows();
    let response: RawResponse | undefined;
    let failure: string | undefined;
    try {
      response = await sendRaw(port, item);
    } catch (error) {
      failure = (error as Error).message;
    }
    const rowsWritten = (await countRows()) - before;
    const problems: string[] = [];
    if (!response) problems.push(`no answer: ${failure}`);
    else {
      if (response.status < 400 || response.status > 499)
        problems.push(`status ${response.status}`);
      if (!hasErrorShape(response)) {
        problems.push(`not the JSON error shape: ${response.body.slice(0, 120)}`);
      }
    }
    if (rowsWritten !== 0) problems.push(`${rowsWritten} row(s) written`);
    results.push({ item, response, failure, rowsWritten, problems });
  }
  return results;
}

/** Row count of both tables a POST writes. */
export const rowCountSql =
  'SELECT (SELECT count(*) FROM payments) + (SELECT count(*) FROM idempotency_keys) AS rows';

/** Long form (npm run chaos): the corpus against the built API on the private servers. */
export async function malformedInputRun(lab: FaultLab): Promise<ScenarioReport> {
  const databaseUrl = await lab.database('chaos_input');
  const api = await lab.startApi(databaseUrl);
  const count = async () =>
    Number((await lab.query<{ rows: string }>(databaseUrl, rowCountSql))[0]?.rows);
  const results = await runCorpus(api.port, count);
  await api.stop();
  const failed = results.filter((r) => r.problems.length > 0);
  const statuses: Record<string, number> = {};
  for (const r of results) {
    const label = String(r.response?.status ?? 'none');
    statuses[label] = (statuses[label] ?? 0) + 1;
  }
  const fiveHundreds = results.filter((r) => (r.response?.status ?? 0) >= 500);
  const written = results.reduce((sum, r) => sum + r.rowsWritten, 0);
  return {
    scenario: `malformed requests (${results.length} cases, ${new Set(results.map((r) => r.item.category)).size} categories)`,
    facts: {
      cases: results.length,
      statuses: Object.entries(statuses)
        .map(([s, n]) => `${s}×${n}`)
        .join(' '),
      answeredByHttpParser: results.filter((r) => r.item.rejectedByHttpParser).length,
    },
    checks: [
      {
        claim: 'never a 5xx',
        passed: fiveHundreds.length === 0,
        detail:
          fiveHundreds
            .map((r) => `${r.item.category}/${r.item.name}: ${r.response?.status}`)
            .join('; ') || 'none',
      },
      {
        claim: 'every answer a 4xx in the API JSON error shape (parser rejections included)',
        passed: failed.length === 0,
        detail:
          failed
            .slice(0, 8)
            .map((r) => `${r.item.category}/${r.item.name}: ${r.problems.join(', ')}`)
            .join('; ') || `${results.length} as claimed`,
      },
      { claim: 'no row written', passed: written === 0, detail: `${written} rows` },
    ],
  };
}
