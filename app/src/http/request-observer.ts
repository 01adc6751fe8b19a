// What every request leaves behind: its trace span (at the configured sampling ratio), one
// metric sample and one log line, labelled with the route template (/api/v1/payments/:id),
// never the raw path, so label cardinality stays bounded. The same template names the span.
import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  TraceFlags,
  type Context,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import type { Request, RequestHandler } from 'express';
import type { Metrics } from '../metrics';
import { withUnrecordedSpan } from '../telemetry/log-context';
import type { Logger } from '../telemetry/logger';

/**
 * Kubernetes probes and Prometheus scrapes arrive every few seconds per pod and say nothing about
 * the payments flow: no span for them (common practice). They still count in the metrics, and
 * their log line carries the ids of a span context that records nothing (log-context.ts).
 */
export const untracedPaths: ReadonlySet<string> = new Set([
  '/health',
  '/liveness',
  '/ready',
  '/readiness',
  '/metrics',
]);

function routeTemplate(req: Request): string | undefined {
  const route = req.route as { path?: unknown } | undefined;
  return typeof route?.path === 'string' ? route.path : undefined;
}

interface SeriesChildren {
  labels: Record<'method' | 'route' | 'status_code', string>;
  requests: { inc(): void };
  duration: { observe(seconds: number): void };
}

/**
 * The caller's trace context (and baggage), read by the registered propagator. Most requests
 * carry none of the headers it reads: they skip the extraction, which costs a context and a
 * header walk for nothing.
 */
function callerContext(req: Request): Context {
  for (const header of propagation.fields()) {
    if (req.headers[header] !== undefined) return propagation.extract(ROOT_CONTEXT, req.headers);
  }
  return ROOT_CONTEXT;
}

/**
 * The request's span, started here rather than by OpenTelemetry's HTTP instrumentation, which
 * computed a dozen attributes and wrapped the request and the response of every request. A
 * request arriving with a `traceparent` continues the caller's trace; the tracer provider's
 * sampler decides whether the span is recorded. Without a provider (tests that build the app
 * alone), or on an untraced path, the request gets a span context that records nothing.
 */
function startRequestSpan(tracer: Tracer, req: Request): { span: Span; active: Context } {
  const parent = callerContext(req);
  if (!untracedPaths.has(req.path)) {
    const span = tracer.startSpan(
      req.method,
      { kind: SpanKind.SERVER, attributes: { 'http.method': req.method, 'http.target': req.url } },
      parent,
    );
    const started = span.spanContext();
    // Without a provider the API's no-op tracer hands back the caller's span context.
    if (
      trace.isSpanContextValid(started) &&
      started.spanId !== trace.getSpanContext(parent)?.spanId
    ) {
      return { span, active: trace.setSpan(parent, span) };
    }
  }
  const active = withUnrecordedSpan(parent, req.headers.traceparent);
  return { span: trace.getSpan(active) as Span, active };
}

export function requestObserver(
  logger: Logger,
  metrics: Metrics,
  tracer: Tracer = trace.getTracer('payflow-api'),
): RequestHandler {
  // prom-client hashes the label object on every inc/observe; the children of each
  // (method, route, status) series are looked up once and kept. Bounded like the series
  // themselves: methods Node accepts × route templates × status codes.
  const series = new Map<string, SeriesChildren>();
  // The request line carries only the fields below, none of them a secret: its logger skips the
  // redaction paths of the process logger, which cost a third of the line's CPU time.
  const lines = logger.child({}, { redact: [] });
  const children = (method: string, route: string, status: string): SeriesChildren => {
    const key = `${method} ${route} ${status}`;
    let found = series.get(key);
    if (!found) {
      found = {
        labels: { method, route, status_code: status },
        requests: metrics.httpRequests.labels(method, route, status),
        duration: metrics.httpDuration.labels(method, route, status),
      };
      series.set(key, found);
    }
    return found;
  };

  return (req, res, next) => {
    const started = performance.now();
    const { span, active } = startRequestSpan(tracer, req);
    const { traceId, spanId, traceFlags } = span.spanContext();
    // Only a sampled trace is recorded: only its id may become an exemplar.
    const sampled = (traceFlags & TraceFlags.SAMPLED) !== 0;

    res.once('close', () => {
      const status = res.statusCode;
      const template = routeTemplate(req);
      const route = template ?? 'unmatched';
      if (sampled) {
        span.updateName(template === undefined ? req.method : `${req.method} ${template}`);
        if (template !== undefined) span.setAttribute('http.route', template);
        span.setAttribute('http.status_code', status);
        if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      }
      if (!res.writableFinished) {
        // The client went away before the answer was written: no sample, no log line.
        if (sampled) span.setStatus({ code: SpanStatusCode.ERROR, message: 'aborted' });
        span.end();
        return;
      }
      span.end();
      const seconds = (performance.now() - started) / 1000;
      const found = children(req.method, route, String(status));
      found.requests.inc();
      if (sampled) {
        // prom-client types exemplar labels with the histogram's own label names; trace_id is
        // an exemplar label only, never a series label.
        const exemplarLabels: Partial<Record<string, string>> = { trace_id: traceId };
        metrics.httpDuration.observe({ labels: found.labels, value: seconds, exemplarLabels });
      } else {
        found.duration.observe(seconds);
      }
      lines.info(
        {
          trace_id: traceId,
          span_id: spanId,
          method: req.method,
          route,
          status_code: status,
          duration_ms: Math.round(seconds * 1e6) / 1e3,
        },
        'request completed',
      );
    });
    // What runs after a body has been read keeps this context too: raw-body (under
    // express.json) calls back in the context it was called from.
    context.with(active, next);
  };
}
