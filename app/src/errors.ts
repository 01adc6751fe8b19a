// The one error hierarchy. Each error knows its HTTP status and stable machine code; the HTTP
// error middleware turns it into {error:{code,message,details?}} and nothing else leaks out.
export type ErrorDetails = Record<string, unknown> | Array<Record<string, unknown>>;

export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: ErrorDetails,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class BadRequestError extends AppError {
  constructor(code: string, message: string, details?: ErrorDetails) {
    super(400, code, message, details);
  }
}

export class NotFoundError extends AppError {
  constructor(message: string) {
    super(404, 'not_found', message);
  }
}

export class MethodNotAllowedError extends AppError {
  constructor(
    method: string,
    readonly allowed: string[],
  ) {
    super(405, 'method_not_allowed', `${method} is not allowed here; use ${allowed.join(', ')}`);
  }
}

export class ValidationError extends AppError {
  constructor(message: string, details?: ErrorDetails) {
    super(422, 'validation_failed', message, details);
  }
}

export class UnprocessableError extends AppError {
  constructor(code: string, message: string) {
    super(422, code, message);
  }
}

export class DependencyUnavailableError extends AppError {
  constructor(dependency: string) {
    super(503, 'dependency_unavailable', `${dependency} is unavailable, retry later`);
  }
}
