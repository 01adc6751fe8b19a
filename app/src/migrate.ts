// Process entry point of the migration command (`npm run migrate`, `node dist/migrate.js`,
// the Kubernetes Job payflow-migrations): apply pending migrations, then exit 0.
import { ConfigError, loadLogSettings, loadMigrationSettings, loadPostgresConfig } from './config';
import { runMigrations } from './postgres/migrations';
import { createLogger } from './telemetry/logger';

async function main(): Promise<number> {
  let config;
  let settings;
  let logger;
  try {
    config = loadPostgresConfig();
    settings = loadMigrationSettings();
    logger = createLogger(loadLogSettings());
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`payflow-migrate: invalid configuration: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
  try {
    const applied = await runMigrations(config, settings, logger);
    logger.info(
      { applied },
      applied.length === 0 ? 'schema is up to date' : `applied ${applied.length} migration(s)`,
    );
    return 0;
  } catch (error) {
    logger.error({ err: { message: (error as Error).message } }, 'migrations failed');
    return 1;
  }
}

void main().then((code) => {
  process.exitCode = code;
});
