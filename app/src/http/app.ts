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
    .get(async (_req, res) => {
      res.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
    })
    .all(methodNotAllowed(['GET']));
  registerUserRoutes(app, deps.users);
  registerPaymentRoutes(app, deps.payments, deps.bodyLimit ?? '16kb');

  app.use(notFoundHandler());
  app.use(errorHandler(deps.logger));
  return app;
}
