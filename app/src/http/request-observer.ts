// One log line and one metric sample per request, labelled with the route template
// (/api/v1/payments/:id), never the raw path, so label cardinality stays bounded.
import { context, trace } from '@opentelemetry/api';
import type { Request, RequestHandler } from 'express';
import type { Metrics } from '../metrics';
import type { Logger } from '../telemetry/logger';

function routeTemplate(req: Request): string {
  const route = req.route as { path?: unknown } | undefined;
  return typeof route?.path === 'string' ? route.path : 'unmatched';
}

export function requestObserver(logger: Logger, metrics: Metrics): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    const spanContext = trace.getSpan(context.active())?.spanContext();
    res.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const labels = {
        method: req.method,
        route: routeTemplate(req),
        status_code: String(res.statusCode),
      };
      metrics.httpRequests.inc(labels);
      metrics.httpDuration.observe(labels, seconds);
      logger.info(
        {
          ...(spanContext ? { trace_id: spanContext.traceId, span_id: spanContext.spanId } : {}),
          method: labels.method,
          route: labels.route,
          status_code: res.statusCode,
          duration_ms: Math.round(seconds * 1e6) / 1e3,
        },
        'request completed',
      );
    });
    next();
  };
}
