// Process entry point of the API (`npm start`, `node dist/server.js`).
// Order matters: configuration (pure), then tracing, and only then the modules that tracing
// instruments (express, pg, redis, http) — hence the late require of ./service below.
import type { Server } from 'node:http';
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

  const server: Server = service.app.listen(config.port);
  // Longer than the load balancer's idle timeout (60 s on AWS ALB) so that the balancer, not
  // the API, closes idle keep-alive connections.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.on('error', (error) => fail(`cannot listen on port ${config.port}: ${error.message}`));
  server.on('listening', () => {
    logger.info({ port: config.port }, 'PayFlow API listening');
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
