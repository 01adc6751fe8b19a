import type { RequestHandler } from 'express';
import { MethodNotAllowedError } from '../errors';

/** Last handler of a route: any method the route does not serve is a 405 with Allow. */
export function methodNotAllowed(allowed: string[]): RequestHandler {
  const allow = allowed.includes('GET') ? [...allowed, 'HEAD'] : allowed;
  return (req, _res, next) => next(new MethodNotAllowedError(req.method, allow));
}
