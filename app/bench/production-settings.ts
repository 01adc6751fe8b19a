// What the chart ships for production, read from the one place it is written: the API in the
// bench runs with the same settings as in production, whatever they are changed to.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { appRoot } from '../chaos/server-process';

/** The production values of the chart, generated from live/production (app/chart/README.md). */
export const productionValuesFile = join(appRoot, 'chart', 'values-production.yaml');

/**
 * The environment of the API in the bench: chart/values-production.yaml's log level, trace
 * sampling ratio and readiness setting, as the chart's ConfigMap sets them.
 */
export function productionSettings(file = productionValuesFile): Record<string, string> {
  const values = parseYaml(readFileSync(file, 'utf8')) as {
    environment: string;
    logLevel: string;
    traceSampleRatio: number;
    readinessRequiresRedis: boolean;
  };
  return {
    APP_ENV: values.environment,
    LOG_LEVEL: values.logLevel,
    TRACE_SAMPLE_RATIO: String(values.traceSampleRatio),
    READINESS_REQUIRES_REDIS: String(values.readinessRequiresRedis),
  };
}
