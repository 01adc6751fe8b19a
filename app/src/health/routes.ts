import type { Express, RequestHandler } from 'express';
import { sendJson } from '../http/json-response';
import { methodNotAllowed } from '../http/method-not-allowed';
import type { ReadinessProbe } from './readiness';

export function registerHealthRoutes(
  app: Express,
  readiness: ReadinessProbe,
  version: string,
): void {
  // Liveness: the process answers. Never checks dependencies (a database outage must not
  // make Kubernetes restart every pod).
  const live: RequestHandler = (_req, res) => {
    sendJson(res, 200, { status: 'healthy', timestamp: new Date().toISOString(), version });
  };
  const ready: RequestHandler = async (_req, res) => {
    const report = await readiness.check();
    sendJson(res, report.ready ? 200 : 503, report.body);
  };
  for (const path of ['/health', '/liveness'])
    app
      .route(path)
      .get(live)
      .all(methodNotAllowed(['GET']));
  for (const path of ['/ready', '/readiness'])
    app
      .route(path)
      .get(ready)
      .all(methodNotAllowed(['GET']));
}
