// One logger for the whole process: JSON lines on stdout, each carrying the active trace
// and span ids so that a log line leads to its trace in Tempo (and back).
import { context, trace } from '@opentelemetry/api';
import pino from 'pino';

export type Logger = pino.Logger;

export interface LoggerSettings {
  level: string;
  appVersion: string;
  appEnv: string;
}

/**
 * stdout, written asynchronously: a request never waits for its log line to reach the pipe
 * (a blocking write per line cost a quarter of the POST throughput). Lines written while a
 * write is in flight are sent together. pino flushes what is left synchronously when the
 * process exits (process.exit included), so graceful shutdown and fatal errors lose no line.
 */
export function stdoutDestination(): pino.DestinationStream {
  return pino.destination({ dest: 1, sync: false });
}

/** What the mixin returns for a line that carries its own trace ids: nothing to merge. */
const ownIds = Object.freeze({});

export function createLogger(
  settings: LoggerSettings,
  destination: pino.DestinationStream = stdoutDestination(),
): Logger {
  return pino(
    {
      level: settings.level,
      base: { service: 'payflow-api', version: settings.appVersion, env: settings.appEnv },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      // A line that names its trace already (the request line, a span line) keeps its own ids:
      // no context lookup, and no copy of its fields into a merged object.
      mixin(fields) {
        if ((fields as { trace_id?: unknown }).trace_id !== undefined) return ownIds;
        const span = trace.getSpan(context.active());
        if (!span) return {};
        const { traceId, spanId } = span.spanContext();
        return { trace_id: traceId, span_id: spanId };
      },
      mixinMergeStrategy: (fields, mixed) =>
        mixed === ownIds ? fields : Object.assign(mixed, fields),
      // Defence in depth: nothing that looks like a credential reaches the logs even if a
      // caller passes a whole object by mistake.
      redact: {
        paths: [
          'password',
          '*.password',
          'authorization',
          '*.authorization',
          'req.headers.authorization',
          'req.headers.cookie',
          'connectionString',
          '*.connectionString',
        ],
        censor: '[redacted]',
      },
    },
    destination,
  );
}
