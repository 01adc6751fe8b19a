// One log line and one metric sample per request, labelled with the route template
// (/api/v1/payments/:id), never the raw path, so label cardinality stays bounded. The same
// template names the request's trace span (http.route).
import { context, trace, TraceFlags, type Span } from '@opentelemetry/api';
import { getRPCMetadata, RPCType } from '@opentelemetry/core';
import type { Request, RequestHandler } from 'express';
import type { Metrics } from '../metrics';
import { withUnrecordedSpan } from '../telemetry/log-context';
import type { Logger } from '../telemetry/logger';

function routeTemplate(req: Request): string | undefined {
  const route = req.route as { path?: unknown } | undefined;
  return typeof route?.path === 'string' ? route.path : undefined;
}

type SeriesLabels = Record<'method' | 'route' | 'status_code', string>;

interface SeriesChildren {
  labels: SeriesLabels;
  requests: { inc(): void };
  duration: { observe(seconds: number): void };
}

/** The trace id an exemplar may carry: only a sampled trace is recorded and can be opened. */
function sampledTraceId(span: Span | undefined): string | undefined {
  const spanContext = span?.spanContext();
  return spanContext && (spanContext.traceFlags & TraceFlags.SAMPLED) !== 0
    ? spanContext.traceId
    : undefined;
}

export function requestObserver(logger: Logger, metrics: Metrics): RequestHandler {
  // prom-client hashes the label object on every inc/observe; the children of each
  // (method, route, status) series are looked up once and kept. Bounded like the series
  // themselves: methods Node accepts × route templates × status codes.
  const series = new Map<string, SeriesChildren>();
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
    const started = process.hrtime.bigint();
    const active = context.active();
    const span = trace.getSpan(active);
    // Set by the HTTP instrumentation on traced requests: the route given to it becomes the
    // span's http.route attribute and its name ("GET /api/v1/payments/:id").
    const rpc = getRPCMetadata(active);
    const onFinish = () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const template = routeTemplate(req);
      if (template !== undefined && rpc?.type === RPCType.HTTP) rpc.route = template;
      const route = template ?? 'unmatched';
      const found = children(req.method, route, String(res.statusCode));
      found.requests.inc();
      const traceId = sampledTraceId(span);
      if (traceId === undefined) {
        found.duration.observe(seconds);
      } else {
        // prom-client types exemplar labels with the histogram's own label names; trace_id is
        // an exemplar label only, never a series label.
        const exemplarLabels: Partial<Record<string, string>> = { trace_id: traceId };
        metrics.httpDuration.observe({ labels: found.labels, value: seconds, exemplarLabels });
      }
      // trace_id and span_id come from the logger's mixin (the response is bound to the
      // request's context).
      logger.info(
        {
          method: req.method,
          route,
          status_code: res.statusCode,
          duration_ms: Math.round(seconds * 1e6) / 1e3,
        },
        'request completed',
      );
    };
    if (span !== undefined) {
      res.on('finish', onFinish);
      next();
      return;
    }
    // An untraced request (a probe or a scrape): its handlers and its log line run under a span
    // context that records nothing, so that they log with ids as well.
    const unrecorded = withUnrecordedSpan(active, req.headers.traceparent);
    res.on('finish', context.bind(unrecorded, onFinish));
    context.with(unrecorded, next);
  };
}
