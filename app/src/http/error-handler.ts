// One JSON error shape for every failure: {error:{code,message,details?}}. No stack traces,
// SQL or driver messages ever reach a client; unexpected errors are logged with their stack.
import type { ErrorRequestHandler, RequestHandler } from 'express';
import {
  AppError,
  DependencyUnavailableError,
  MethodNotAllowedError,
  NotFoundError,
} from '../errors';
import { isPostgresUnavailable } from '../postgres/pool';
import type { Logger } from '../telemetry/logger';

interface HttpLibraryError {
  type?: string;
  status?: number;
}

// Errors raised by body-parser (inside express.json) and by our content-type guard.
function fromHttpLibrary(error: HttpLibraryError): AppError | undefined {
  switch (error.type) {
    case 'entity.parse.failed':
      return new AppError(400, 'malformed_json', 'The request body is not valid JSON');
    case 'entity.too.large':
      return new AppError(413, 'payload_too_large', 'The request body is too large');
    case 'encoding.unsupported':
    case 'charset.unsupported':
    case 'content_type.unsupported':
      return new AppError(415, 'unsupported_media_type', 'Content-Type must be application/json');
    default:
      if (typeof error.status === 'number' && error.status >= 400 && error.status < 500) {
        return new AppError(error.status, 'bad_request', 'The request could not be processed');
      }
      return undefined;
  }
}

export function notFoundHandler(): RequestHandler {
  return (req, _res, next) => next(new NotFoundError(`Route ${req.method} ${req.path} not found`));
}

export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, _req, res, next) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    let appError: AppError;
    if (error instanceof AppError) {
      appError = error;
    } else if (typeof error === 'object' && error !== null && fromHttpLibrary(error)) {
      appError = fromHttpLibrary(error as HttpLibraryError) as AppError;
    } else if (isPostgresUnavailable(error)) {
      logger.warn({ err: { message: (error as Error).message } }, 'PostgreSQL unavailable');
      appError = new DependencyUnavailableError('the database');
    } else {
      logger.error({ err: error }, 'unhandled error');
      appError = new AppError(500, 'internal_error', 'An unexpected error occurred');
    }
    if (appError instanceof MethodNotAllowedError) res.set('Allow', appError.allowed.join(', '));
    if (appError.status === 409 || appError.status === 503) res.set('Retry-After', '1');
    res.status(appError.status).json({
      error: {
        code: appError.code,
        message: appError.message,
        ...(appError.details === undefined ? {} : { details: appError.details }),
      },
    });
  };
}
