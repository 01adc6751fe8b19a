// Builds the Express application from its dependencies. No listening, no process concerns:
// tests drive this directly, src/service.ts puts it behind a server.
import express, { type Express } from 'express';
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
  app.use(requestObserver(deps.logger, deps.metrics));
  app.use(helmet());
  app.use((_req, res, next) => {
    // Tell keep-alive clients to reconnect elsewhere while this instance drains.
    if (deps.readiness.isShuttingDown) res.set('Connection', 'close');
    next();
  });

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
  registerPaymentRoutes(app, deps.payments, deps.bodyLimit ?? '16kb');

  app.use(notFoundHandler());
  app.use(errorHandler(deps.logger));
  return app;
}
