// One log line and one metric sample per request, labelled with the route template
// (/api/v1/payments/:id), never the raw path, so label cardinality stays bounded. The same
// template names the request's trace span (http.route).
import { context } from '@opentelemetry/api';
import { getRPCMetadata, RPCType } from '@opentelemetry/core';
import type { Request, RequestHandler } from 'express';
import type { Metrics } from '../metrics';
import type { Logger } from '../telemetry/logger';

function routeTemplate(req: Request): string | undefined {
  const route = req.route as { path?: unknown } | undefined;
  return typeof route?.path === 'string' ? route.path : undefined;
}

interface SeriesChildren {
  requests: { inc(): void };
  duration: { observe(seconds: number): void };
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
        requests: metrics.httpRequests.labels(method, route, status),
        duration: metrics.httpDuration.labels(method, route, status),
      };
      series.set(key, found);
    }
    return found;
  };

  return (req, res, next) => {
    const started = process.hrtime.bigint();
    // Set by the HTTP instrumentation on traced requests: the route given to it becomes the
    // span's http.route attribute and its name ("GET /api/v1/payments/:id").
    const rpc = getRPCMetadata(context.active());
    res.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const template = routeTemplate(req);
      if (template !== undefined && rpc?.type === RPCType.HTTP) rpc.route = template;
      const route = template ?? 'unmatched';
      const { requests, duration } = children(req.method, route, String(res.statusCode));
      requests.inc();
      duration.observe(seconds);
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
    });
    next();
  };
}
