// Benchmark variant, not a way to run the API: the same service (src/service.ts, same config,
// logging, metrics, PostgreSQL and Redis) without OpenTelemetry, so that the benchmark can say
// how much of the API's cost is tracing. Mirrors src/server.ts minus startTracing().
import { loadConfig } from '../../src/config';
import { assembleService } from '../../src/service';
import { createLogger } from '../../src/telemetry/logger';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({
    level: config.logLevel,
    appVersion: config.appVersion,
    appEnv: config.appEnv,
  });
  const service = await assembleService(config, logger);
  const server = service.app.listen(config.port, '127.0.0.1');
  server.keepAliveTimeout = 65_000;
  process.on('SIGTERM', () => {
    server.close(() => void service.close().then(() => process.exit(0)));
    server.closeIdleConnections();
  });
}

void main();
