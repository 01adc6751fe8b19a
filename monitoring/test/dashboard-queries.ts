// The queries of a Grafana dashboard JSON, and the resolution of its template variables to
// concrete values so that each PromQL expression can be handed to promtool or to Prometheus.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { monitoringDir } from './rule-files';

export const dashboardPath = join(monitoringDir, 'dashboards', 'payflow-dashboard.json');

export interface DataSourceRef {
  type?: string;
  uid?: string;
}

export interface Target {
  refId: string;
  datasource?: DataSourceRef;
  expr?: string;
  query?: string;
  exemplar?: boolean;
}

export interface Panel {
  id: number;
  type: string;
  title: string;
  description?: string;
  datasource?: DataSourceRef;
  gridPos: { h: number; w: number; x: number; y: number };
  targets?: Target[];
  panels?: Panel[];
  fieldConfig?: { defaults?: { links?: { title: string; url: string }[] } };
}

export interface TemplateVariable {
  name: string;
  type: string;
  datasource?: DataSourceRef;
  query?: string | { query?: string };
  definition?: string;
  includeAll?: boolean;
  allValue?: string;
  current?: { value?: string | string[] };
}

export interface Dashboard {
  uid: string;
  title: string;
  schemaVersion: number;
  panels: Panel[];
  templating: { list: TemplateVariable[] };
}

export interface PromQuery {
  /** Where the expression comes from, for messages: "panel 5 (Throughput by route) A". */
  source: string;
  expr: string;
}

export function loadDashboard(path = dashboardPath): Dashboard {
  return JSON.parse(readFileSync(path, 'utf8')) as Dashboard;
}

export function allPanels(dashboard: Dashboard): Panel[] {
  return dashboard.panels.flatMap((panel) => [panel, ...(panel.panels ?? [])]);
}

function dataSourceOf(panel: Panel, target: Target): DataSourceRef | undefined {
  return target.datasource ?? panel.datasource;
}

/** Every PromQL expression: Prometheus panel targets and Prometheus query variables. */
export function promQueries(dashboard: Dashboard): PromQuery[] {
  const queries: PromQuery[] = [];
  for (const panel of allPanels(dashboard)) {
    for (const target of panel.targets ?? []) {
      if (dataSourceOf(panel, target)?.type !== 'prometheus' || !target.expr) continue;
      queries.push({
        source: `panel ${panel.id} (${panel.title}) ${target.refId}`,
        expr: target.expr,
      });
    }
  }
  for (const variable of dashboard.templating.list) {
    if (variable.type !== 'query' || variable.datasource?.type !== 'prometheus') continue;
    const query = typeof variable.query === 'string' ? variable.query : variable.query?.query;
    if (!query) continue;
    // label_values(selector, label) and query_result(expr) are Grafana functions around PromQL.
    const inner =
      /^label_values\((.+),\s*\w+\)$/.exec(query)?.[1] ?? /^query_result\((.+)\)$/.exec(query)?.[1];
    queries.push({ source: `variable ${variable.name}`, expr: inner ?? query });
  }
  return queries;
}

/**
 * Values for every template variable: the "All" value where allowed (what a first visit shows),
 * else the current value; `overrides` replaces some (e.g. job in the end-to-end test).
 */
export function variableValues(
  dashboard: Dashboard,
  overrides: Record<string, string> = {},
): Record<string, string> {
  const values: Record<string, string> = {
    // Grafana built-ins, at the values of a 1-hour view with a 15 s scrape interval.
    __rate_interval: '1m',
    __interval: '1m',
    __range: '1h',
  };
  for (const variable of dashboard.templating.list) {
    const current = variable.current?.value;
    const first = Array.isArray(current) ? current[0] : current;
    if (variable.includeAll && variable.allValue !== undefined)
      values[variable.name] = variable.allValue;
    else values[variable.name] = first ?? '';
  }
  return { ...values, ...overrides };
}

/** Replaces $name, ${name} and ${name:format}; throws on a variable the dashboard does not define. */
export function resolveVariables(expr: string, values: Record<string, string>): string {
  return expr.replace(/\$\{(\w+)(?::\w+)?\}|\$(\w+)/g, (_match, braced?: string, bare?: string) => {
    const name = (braced ?? bare) as string;
    const value = values[name];
    if (value === undefined) throw new Error(`undefined dashboard variable $${name} in: ${expr}`);
    return value;
  });
}
