// monitoring/alerts: promtool validates the rules and runs their unit tests; every alert has
// severity, summary, description and a runbook page, and a case where it fires and one where it
// must not. Each check is shown able to fail.
import { expect } from 'chai';
import {
  copyFileSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { requireTool, runTool } from './external-tools';
import {
  alertRuleProblems,
  allRules,
  loadRuleFile,
  loadRuleTests,
  ruleTestPaths,
  rulesPath,
  runbooksDir,
  untestedAlerts,
  type RuleFile,
} from './rule-files';

const promtoolHint = 'Debian: apt-get install prometheus, which provides promtool';

describe('monitoring/alerts', function () {
  const rules = loadRuleFile();
  let scratch: string;

  before(function () {
    scratch = mkdtempSync(join(tmpdir(), 'payflow-alerts-'));
  });
  after(function () {
    rmSync(scratch, { recursive: true, force: true });
  });

  describe('promtool', function () {
    it('accepts alerting-rules.yaml (promtool check rules)', function () {
      const promtool = requireTool(this, 'promtool', promtoolHint);
      const result = runTool(promtool, ['check', 'rules', rulesPath]);
      expect(result.status, result.output).to.equal(0);
      expect(result.output).to.match(/SUCCESS: \d+ rules found/);
    });

    it('passes every unit test of alerts/tests (promtool test rules)', function () {
      const promtool = requireTool(this, 'promtool', promtoolHint);
      const files = ruleTestPaths();
      expect(files.length, 'promtool test files in monitoring/alerts/tests').to.be.above(0);
      const result = runTool(promtool, ['test', 'rules', ...files]);
      expect(result.status, result.output).to.equal(0);
      expect(result.output).to.not.match(/FAILED/);
    });

    it('rejects a rule whose expression does not parse', function () {
      const promtool = requireTool(this, 'promtool', promtoolHint);
      const broken = join(scratch, 'broken-rules.yaml');
      writeFileSync(
        broken,
        'groups:\n  - name: broken\n    rules:\n      - alert: Broken\n        expr: sum(rate(http_requests_total[5m])\n',
      );
      const result = runTool(promtool, ['check', 'rules', broken]);
      expect(result.status).to.not.equal(0);
    });

    it('fails the unit tests when an alert threshold is changed', function () {
      const promtool = requireTool(this, 'promtool', promtoolHint);
      // HighErrorRate at 50% instead of 5%: the case with 10% errors must then fail.
      const mutated = readFileSync(rulesPath, 'utf8').replace(
        'job:payflow_http_errors:ratio_rate5m > 0.05',
        'job:payflow_http_errors:ratio_rate5m > 0.5',
      );
      expect(mutated).to.not.equal(readFileSync(rulesPath, 'utf8'));
      const dir = mkdtempSync(join(scratch, 'mutant-'));
      writeFileSync(join(dir, 'alerting-rules.yaml'), mutated);
      const testFile = ruleTestPaths().find((path) => basename(path) === 'api-alerts.yaml');
      expect(testFile, 'alerts/tests/api-alerts.yaml').to.be.a('string');
      const copy = join(dir, 'tests', 'api-alerts.yaml');
      runTool('/bin/mkdir', ['-p', join(dir, 'tests')]);
      copyFileSync(testFile as string, copy);
      const result = runTool(promtool, ['test', 'rules', copy]);
      expect(result.status, result.output).to.not.equal(0);
      expect(result.output).to.include('alertname: HighErrorRate');
    });
  });

  describe('alert definitions', function () {
    it('defines the alerts of issue 8', function () {
      const names = new Set(allRules(rules).flatMap((rule) => (rule.alert ? [rule.alert] : [])));
      expect([...names]).to.include.members([
        'HighErrorRate',
        'HighLatency',
        'PodCrashLooping',
        'DiskSpaceLow',
        'CertificateExpiring',
        'ApiTargetDown',
        'DependencyDown',
        'ReadinessFailing',
        'HPAMaxedOut',
        'AvailabilityErrorBudgetBurn',
        'LatencyErrorBudgetBurn',
      ]);
    });

    it('keeps the severities and thresholds the brief asks for', function () {
      const byName = (name: string) => allRules(rules).filter((rule) => rule.alert === name);
      const only = (name: string) => {
        const found = byName(name);
        expect(found, name).to.have.lengthOf(1);
        return found[0] as NonNullable<(typeof found)[0]>;
      };
      expect(only('HighErrorRate').labels?.severity).to.equal('critical');
      expect(only('HighErrorRate').expr).to.match(/> 0\.05$/);
      expect(only('HighLatency').labels?.severity).to.equal('warning');
      expect(only('HighLatency').expr).to.match(/p99_rate5m > 0\.5$/);
      expect(only('PodCrashLooping').labels?.severity).to.equal('critical');
      expect(only('PodCrashLooping').expr).to.include('[10m]) > 3');
      expect(only('CertificateExpiring').expr).to.include('< 14');
      for (const rule of byName('DiskSpaceLow')) expect(rule.expr).to.match(/> 0\.85\s*$/);
      // RDS storage has a CloudWatch alarm (data layer), not a Prometheus rule: no exporter runs.
      expect(byName('DiskSpaceLow').map((rule) => rule.labels?.volume)).to.have.members([
        'node',
        'persistent-volume',
      ]);
    });

    it('gives every alert a severity, a summary, a description and an existing runbook page', function () {
      const problems = alertRuleProblems(rules, (page) => existsSync(join(runbooksDir, page)));
      expect(problems).to.deep.equal([]);
    });

    it('reports an alert without severity or runbook page', function () {
      const bad: RuleFile = {
        groups: [
          {
            name: 'bad',
            rules: [
              {
                alert: 'NoRunbook',
                expr: 'up == 0',
                labels: { severity: 'info' },
                annotations: {
                  summary: 's',
                  description: 'd',
                  runbook_url: 'https://example.test/x.md',
                },
              },
              {
                alert: 'MissingPage',
                expr: 'up == 0',
                labels: { severity: 'warning' },
                annotations: {
                  summary: 's',
                  description: '',
                  runbook_url:
                    'https://github.com/payflow/payflow-platform/blob/main/docs/runbooks/nope.md',
                },
              },
            ],
          },
        ],
      };
      expect(alertRuleProblems(bad, () => false)).to.deep.equal([
        'NoRunbook: severity must be critical or warning, got info',
        'NoRunbook: runbook_url must start with https://github.com/payflow/payflow-platform/blob/main/docs/runbooks/',
        'MissingPage: annotation description missing',
        'MissingPage: runbook page docs/runbooks/nope.md does not exist',
      ]);
    });

    it('has, for every alert, a unit test where it fires and one where it stays silent', function () {
      const tests = ruleTestPaths().map(loadRuleTests);
      expect(untestedAlerts(rules, tests)).to.deep.equal([]);
    });

    it('reports an alert without a firing or a silent case', function () {
      const tests = ruleTestPaths().map(loadRuleTests);
      const withExtra: RuleFile = {
        groups: [
          ...rules.groups,
          {
            name: 'extra',
            rules: [{ alert: 'Untested', expr: 'vector(1)', labels: { severity: 'warning' } }],
          },
        ],
      };
      expect(untestedAlerts(withExtra, tests)).to.deep.equal([
        'Untested {"severity":"warning"}: no case where it fires',
        'Untested: no case where it must stay silent',
      ]);
    });
  });
});
