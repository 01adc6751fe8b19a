// Builds the Express application from its dependencies. No listening, no process concerns:
// tests drive this directly, src/service.ts puts it behind a server.
import express, { type Express, type Request, type RequestHandler, type Response } from 'express';
import helmet from 'helmet';
import { registerHealthRoutes } from '../health/routes';
import type { ReadinessProbe } from '../health/readiness';
import type { Metrics } from '../metrics';
import type { PaymentService } from '../payments/service';
import { registerPaymentRoutes } from '../payments/routes';
import type { Logger } from '../telemetry/logger';
import type { UserRepository } from '../users/repository';
import { registerUserRoutes } from '../users/routes';
import { errorHandler, notFoundHandler } from './error-handler';
import { methodNotAllowed } from './method-not-allowed';
import { requestObserver } from './request-observer';

/** What /metrics offers, in the media ranges scrapers send (Prometheus names the versions). */
const metricsFormats = [
  'text/plain; version=0.0.4',
  'application/openmetrics-text; version=1.0.0',
  'application/openmetrics-text; version=0.0.1',
];

/**
 * The response headers of a JSON API (OWASP REST Security Cheat Sheet): nothing may frame or
 * load anything from an answer, HTTPS only, no MIME sniffing, no referrer, same-origin reads.
 * helmet's other defaults (a long CSP for HTML pages, X-DNS-Prefetch-Control, Origin-Agent-Cluster,
 * Cross-Origin-Opener-Policy, X-Download-Options, X-Permitted-Cross-Domain-Policies,
 * X-XSS-Protection) only mean something to a browser rendering a document.
 */
const securityHeaders = helmet({
  contentSecurityPolicy: {
    useDefaults: false,
    directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] },
  },
  xFrameOptions: { action: 'deny' },
  crossOriginOpenerPolicy: false,
  originAgentCluster: false,
  xDnsPrefetchControl: false,
  xDownloadOptions: false,
  xPermittedCrossDomainPolicies: false,
  xXssProtection: false,
});

/**
 * The headers `middleware` sets, read once: helmet rebuilds the same values (the CSP string
 * among them) for every request, while nothing in them depends on the request here.
 */
function headersSetBy(middleware: RequestHandler): [string, string][] {
  const headers: [string, string][] = [];
  const recorder = {
    setHeader: (name: string, value: unknown) => headers.push([name, String(value)]),
    removeHeader: () => undefined,
  };
  let called = false;
  middleware({} as Request, recorder as unknown as Response, () => (called = true));
  if (!called) throw new Error('the security headers middleware did not complete synchronously');
  return headers;
}

export interface AppDependencies {
  logger: Logger;
  metrics: Metrics;
  readiness: ReadinessProbe;
  payments: PaymentService;
  users: UserRepository;
  appVersion: string;
  /** Largest accepted JSON body (body-parser syntax); a payment is well under 1 kB. */
  bodyLimit?: string;
}

export function createApp(deps: AppDependencies): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');
  // Every request walks the router's layers in order until one matches its path: one layer for
  // what every request gets (the observer and the security headers), then the payment routes
  // and the liveness probe, the busiest, before the rarely used ones.
  const observe = requestObserver(deps.logger, deps.metrics);
  const headers = headersSetBy(securityHeaders);
  app.use((req, res, next) => {
    for (const [name, value] of headers) res.setHeader(name, value);
    // Tell keep-alive clients to reconnect elsewhere while this instance drains.
    if (deps.readiness.isShuttingDown) res.setHeader('Connection', 'close');
    observe(req, res, next);
  });

  registerPaymentRoutes(app, deps.payments, deps.bodyLimit ?? '16kb');
  registerHealthRoutes(app, deps.readiness, deps.appVersion);
  app
    .route('/metrics')
    .get(async (req, res) => {
      // Prometheus asks for OpenMetrics first (the only format that carries exemplars); curl,
      // other scrapers and an Accept header naming neither format get the Prometheus text.
      const format = req.accepts(metricsFormats);
      const { contentType, body } = await deps.metrics.expose(
        format !== false && format.startsWith('application/openmetrics-text')
          ? 'openmetrics'
          : 'prometheus',
      );
      res.vary('Accept').type(contentType).send(body);
    })
    .all(methodNotAllowed(['GET']));
  registerUserRoutes(app, deps.users);

  app.use(notFoundHandler());
  app.use(errorHandler(deps.logger));
  return app;
}
