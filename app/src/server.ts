// Process entry point of the API (`npm start`, `node dist/server.js`).
// Order matters: configuration (pure), then tracing, and only then the modules that tracing
// instruments (express, pg, redis, http) — hence the late require of ./service below.
import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { ConfigError, loadConfig, type AppConfig } from './config';
import { createLogger, type Logger } from './telemetry/logger';
import { startTracing, type Tracing } from './telemetry/tracing';

function fail(message: string): never {
  process.stderr.write(`payflow-api: ${message}\n`);
  process.exit(1);
}

function sleep(millis: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, millis));
}

interface ParserError extends Error {
  code?: string;
  /** llhttp's fixed explanation ("Invalid header value char"); never echoes the request. */
  reason?: string;
}

/** Status line and API error of a request Node's HTTP parser refused (as Node itself maps them). */
function parserRejection(error: ParserError): [number, string, string, string] {
  switch (error.code) {
    case 'HPE_HEADER_OVERFLOW':
      return [
        431,
        'Request Header Fields Too Large',
        'headers_too_large',
        'The request headers are too large',
      ];
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return [413, 'Payload Too Large', 'payload_too_large', 'The chunk extensions are too large'];
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return [408, 'Request Timeout', 'request_timeout', 'The request was not received in time'];
    default:
      return [
        400,
        'Bad Request',
        'bad_request',
        error.reason
          ? `The request is not valid HTTP: ${error.reason}`
          : 'The request is not valid HTTP',
      ];
  }
}

/**
 * Requests refused by Node's HTTP parser (bad characters in a header, headers over 16 kB, broken
 * framing) never reach Express; without this Node answers a bare status line. They get the API's
 * JSON error shape and the connection is closed, as Node does.
 */
function answerParserError(error: ParserError, socket: Duplex, logger: Logger): void {
  // Node's own handler checks the same: an answer already under way on this connection
  // (`_httpMessage`, Node's in-flight response) must not be followed by a second one.
  const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (error.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) {
    socket.destroy();
    return;
  }
  const [status, statusText, code, message] = parserRejection(error);
  logger.debug({ code: error.code, status_code: status }, 'HTTP parser rejected a request');
  const body = JSON.stringify({ error: { code, message } });
  socket.end(
    `HTTP/1.1 ${status} ${statusText}\r\n` +
      'Content-Type: application/json; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      'X-Content-Type-Options: nosniff\r\n' +
      'Connection: close\r\n\r\n' +
      body,
    // The server keeps sockets half-open: close it once the answer is written.
    () => socket.destroy(),
  );
}

async function main(): Promise<void> {
  let config: AppConfig;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) fail(`invalid configuration: ${error.message}`);
    throw error;
  }
  const logger: Logger = createLogger({
    level: config.logLevel,
    appVersion: config.appVersion,
    appEnv: config.appEnv,
  });
  const tracing: Tracing = startTracing(config, logger);

  // eslint-disable-next-line @typescript-eslint/no-require-imports -- must load after tracing starts
  const { assembleService, StartupError } = require('./service') as typeof import('./service');
  let service: Awaited<ReturnType<typeof assembleService>>;
  try {
    service = await assembleService(config, logger);
  } catch (error) {
    await tracing.shutdown();
    if (error instanceof StartupError) fail(error.message);
    throw error;
  }

  const server: Server =
    config.host === undefined
      ? service.app.listen(config.port)
      : service.app.listen(config.port, config.host);
  // Longer than the load balancer's idle timeout (60 s on AWS ALB) so that the balancer, not
  // the API, closes idle keep-alive connections.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.on('error', (error) => fail(`cannot listen on port ${config.port}: ${error.message}`));
  server.on('clientError', (error: ParserError, socket: Duplex) =>
    answerParserError(error, socket, logger),
  );
  server.on('listening', () => {
    logger.info(
      { port: config.port, host: config.host ?? 'every interface' },
      'PayFlow API listening',
    );
  });

  let stopping = false;
  const shutdown = async (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutdown started: readiness now reports 503');
    service.readiness.markShuttingDown();
    // Hard bound: whatever happens below, the process is gone after this.
    setTimeout(
      () => {
        logger.error('shutdown did not finish in time, exiting');
        process.exit(1);
      },
      config.shutdownDelayMillis + config.shutdownTimeoutMillis + 5000,
    ).unref();
    await sleep(config.shutdownDelayMillis);

    let forced = false;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    // Keep-alive connections that finish their request become idle: close them as they do.
    const reaper = setInterval(() => server.closeIdleConnections(), 100);
    const grace = setTimeout(() => {
      forced = true;
      logger.warn('grace period over, closing the remaining connections');
      server.closeAllConnections();
    }, config.shutdownTimeoutMillis);
    await closed;
    clearInterval(reaper);
    clearTimeout(grace);

    await service.close();
    await tracing.shutdown();
    logger.info({ forced }, 'shutdown complete');
    process.exit(forced ? 1 : 0);
  };
  process.on('SIGTERM', (signal) => void shutdown(signal));
  process.on('SIGINT', (signal) => void shutdown(signal));
}

main().catch((error: unknown) => {
  fail(`fatal: ${(error as Error).stack ?? String(error)}`);
});
