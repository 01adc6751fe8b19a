// What the chart ships for production, read from the one place it is written: the API in the
// bench runs with the same settings as in production, whatever they are changed to.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { appRoot } from '../chaos/server-process';

/** The production values of the chart, generated from live/production (app/chart/README.md). */
export const productionValuesFile = join(appRoot, 'chart', 'values-production.yaml');

interface ProductionValues {
  environment: string;
  logLevel: string;
  traceSampleRatio: number;
  readinessRequiresRedis: boolean;
  nodeOptions?: string;
}

/**
 * The environment of the API in the bench: chart/values-production.yaml's log level, trace
 * sampling ratio and readiness setting, as the chart's ConfigMap sets them, and NODE_OPTIONS,
 * a chart default (values.yaml beside the file) the environment's values do not override.
 */
export function productionSettings(file = productionValuesFile): Record<string, string> {
  const read = (path: string) => parseYaml(readFileSync(path, 'utf8')) as Partial<ProductionValues>;
  const defaultsFile = join(dirname(file), 'values.yaml');
  // A previous build's chart may predate values.yaml's nodeOptions, or the file itself.
  const defaults = existsSync(defaultsFile) ? read(defaultsFile) : {};
  const values = { ...defaults, ...read(file) } as ProductionValues;
  return {
    APP_ENV: values.environment,
    LOG_LEVEL: values.logLevel,
    TRACE_SAMPLE_RATIO: String(values.traceSampleRatio),
    READINESS_REQUIRES_REDIS: String(values.readinessRequiresRedis),
    ...(values.nodeOptions ? { NODE_OPTIONS: values.nodeOptions } : {}),
  };
}
