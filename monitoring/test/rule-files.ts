// Reading monitoring/alerts: the rules file and its promtool unit-test files, typed for the
// checks of alert-rules.test.ts and end-to-end.test.ts.
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';

export const monitoringDir = resolve(__dirname, '..');
export const repoRoot = resolve(monitoringDir, '..');
export const rulesPath = join(monitoringDir, 'alerts', 'alerting-rules.yaml');
export const ruleTestsDir = join(monitoringDir, 'alerts', 'tests');
export const runbooksDir = join(repoRoot, 'docs', 'runbooks');

/** The address every runbook_url starts with; the page name after it is a file of docs/runbooks. */
export const runbookBaseUrl =
  'https://github.com/payflow/payflow-platform/blob/main/docs/runbooks/';

export interface Rule {
  record?: string;
  alert?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface RuleFile {
  groups: { name: string; interval?: string; rules: Rule[] }[];
}

export interface AlertRuleTest {
  eval_time: string;
  alertname: string;
  exp_alerts?: { exp_labels?: Record<string, string>; exp_annotations?: Record<string, string> }[];
}

export interface RuleTestFile {
  rule_files: string[];
  tests: { name?: string; alert_rule_test?: AlertRuleTest[] }[];
}

export function loadRuleFile(path = rulesPath): RuleFile {
  return parse(readFileSync(path, 'utf8')) as RuleFile;
}

export function allRules(file: RuleFile): Rule[] {
  return file.groups.flatMap((group) => group.rules);
}

export function ruleTestPaths(): string[] {
  return readdirSync(ruleTestsDir)
    .filter((name) => name.endsWith('.yaml'))
    .sort()
    .map((name) => join(ruleTestsDir, name));
}

export function loadRuleTests(path: string): RuleTestFile {
  return parse(readFileSync(path, 'utf8')) as RuleTestFile;
}

/** What is wrong with the alerting rules' labels and annotations (empty when all is well). */
export function alertRuleProblems(
  file: RuleFile,
  runbookExists: (page: string) => boolean,
): string[] {
  const problems: string[] = [];
  for (const rule of allRules(file)) {
    if (!rule.alert) continue;
    const name = rule.alert;
    const severity = rule.labels?.severity;
    if (severity !== 'critical' && severity !== 'warning')
      problems.push(`${name}: severity must be critical or warning, got ${String(severity)}`);
    for (const key of ['summary', 'description', 'runbook_url'] as const) {
      if (!rule.annotations?.[key]?.trim()) problems.push(`${name}: annotation ${key} missing`);
    }
    const url = rule.annotations?.runbook_url ?? '';
    if (url && !url.startsWith(runbookBaseUrl)) {
      problems.push(`${name}: runbook_url must start with ${runbookBaseUrl}`);
    } else if (url) {
      const page = url.slice(runbookBaseUrl.length);
      if (!/^[a-z0-9-]+\.md$/.test(page) || !runbookExists(page))
        problems.push(`${name}: runbook page docs/runbooks/${page} does not exist`);
    }
  }
  return problems;
}

/**
 * Alerting rules without a promtool case where they fire, and alert names without a case where
 * they must stay silent. A rule is identified by its alert name and its own labels (severity,
 * volume...), so each variant of an alert name needs its firing case.
 */
export function untestedAlerts(file: RuleFile, tests: RuleTestFile[]): string[] {
  const cases = tests.flatMap((t) => t.tests.flatMap((group) => group.alert_rule_test ?? []));
  const missing: string[] = [];
  for (const rule of allRules(file)) {
    if (!rule.alert) continue;
    const name = rule.alert;
    const labels = rule.labels ?? {};
    const fires = cases.some(
      (c) =>
        c.alertname === name &&
        (c.exp_alerts ?? []).some((alert) =>
          Object.entries(labels).every(([key, value]) => alert.exp_labels?.[key] === value),
        ),
    );
    if (!fires) missing.push(`${name} ${JSON.stringify(labels)}: no case where it fires`);
  }
  const names = new Set(allRules(file).flatMap((rule) => (rule.alert ? [rule.alert] : [])));
  for (const name of names) {
    const silent = cases.some((c) => c.alertname === name && (c.exp_alerts ?? []).length === 0);
    if (!silent) missing.push(`${name}: no case where it must stay silent`);
  }
  return missing;
}
