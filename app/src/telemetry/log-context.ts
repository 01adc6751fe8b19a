// Requests that have no span (the probes and scrapes tracing skips, see tracing.ts) still log
// with a trace id and a span id, like every other request: ids of a span context that records
// nothing and is never exported.
import { trace, TraceFlags, type Context } from '@opentelemetry/api';
import { parseTraceParent } from '@opentelemetry/core';
import { RandomIdGenerator } from '@opentelemetry/sdk-trace-node';

const ids = new RandomIdGenerator();

/**
 * `active` with a non-recording span: its trace id is the incoming `traceparent`'s when the
 * header is valid (the caller's trace), else a new one; its span id is always new. The sampled
 * flag is off: no span of this request exists anywhere, and nothing (an exemplar, a child
 * span) may point at one.
 */
export function withUnrecordedSpan(
  active: Context,
  traceparent: string | string[] | undefined,
): Context {
  const parent = typeof traceparent === 'string' ? parseTraceParent(traceparent) : null;
  return trace.setSpan(
    active,
    trace.wrapSpanContext({
      traceId: parent?.traceId ?? ids.generateTraceId(),
      spanId: ids.generateSpanId(),
      traceFlags: TraceFlags.NONE,
    }),
  );
}
