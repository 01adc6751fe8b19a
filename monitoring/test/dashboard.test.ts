// monitoring/dashboards/payflow-dashboard.json: structure Grafana needs, the panels issue 8 asks
// for, data sources that the provisioning defines, and every PromQL expression (template
// variables resolved) accepted by promtool.
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import {
  allPanels,
  loadDashboard,
  promQueries,
  resolveVariables,
  variableValues,
  type Dashboard,
  type Panel,
  type PromQuery,
} from './dashboard-queries';
import { requireTool, runTool } from './external-tools';
import { monitoringDir } from './rule-files';

const datasourcesPath = join(
  monitoringDir,
  'grafana',
  'provisioning',
  'datasources',
  'datasources.yaml',
);

interface ProvisionedDataSource {
  uid: string;
  type: string;
}

/** A rules file with one recording rule per expression, so promtool checks each one. */
function asRuleFile(queries: PromQuery[]): string {
  return stringify({
    groups: [
      {
        name: 'dashboard-expressions',
        rules: queries.map((query, i) => ({
          record: `dashboard:expression_${i}`,
          expr: query.expr,
        })),
      },
    ],
  });
}

function resolvedQueries(dashboard: Dashboard): PromQuery[] {
  const values = variableValues(dashboard);
  return promQueries(dashboard).map((q) => ({ ...q, expr: resolveVariables(q.expr, values) }));
}

function overlaps(a: Panel['gridPos'], b: Panel['gridPos']): boolean {
  return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

describe('monitoring/dashboards/payflow-dashboard.json', function () {
  const dashboard = loadDashboard();
  const panels = allPanels(dashboard);
  const byTitle = (pattern: RegExp): Panel => {
    const panel = panels.find((p) => p.type !== 'row' && pattern.test(p.title));
    expect(panel, `a panel titled ${pattern}`).to.not.equal(undefined);
    return panel as Panel;
  };
  const exprs = (panel: Panel) => (panel.targets ?? []).map((t) => t.expr ?? t.query ?? '');
  let scratch: string;

  before(function () {
    scratch = mkdtempSync(join(tmpdir(), 'payflow-dashboard-'));
  });
  after(function () {
    rmSync(scratch, { recursive: true, force: true });
  });

  describe('structure', function () {
    it('is a Grafana dashboard of schema version 39 or later with a fixed uid', function () {
      expect(dashboard.schemaVersion).to.be.at.least(39);
      expect(dashboard.uid).to.match(/^[a-z0-9-]{1,40}$/);
      expect(dashboard.title).to.match(/\S/);
    });

    it('has unique panel ids and no overlapping panels', function () {
      const ids = panels.map((p) => p.id);
      expect(new Set(ids).size).to.equal(ids.length);
      for (const [i, a] of panels.entries()) {
        expect(a.gridPos.x + a.gridPos.w, `panel ${a.id} width`).to.be.at.most(24);
        for (const b of panels.slice(i + 1)) {
          expect(overlaps(a.gridPos, b.gridPos), `panels ${a.id} and ${b.id} overlap`).to.equal(
            false,
          );
        }
      }
    });

    it('describes every panel, in the dashboard and in monitoring/README.md', function () {
      const readme = readFileSync(join(monitoringDir, 'README.md'), 'utf8');
      for (const panel of panels.filter((p) => p.type !== 'row')) {
        expect(panel.description, `panel ${panel.id} ${panel.title}`).to.match(/\S/);
        expect(readme, `monitoring/README.md describes "${panel.title}"`).to.include(panel.title);
      }
    });

    it('uses only data source uids that the Grafana provisioning defines', function () {
      const provisioned = (
        parse(readFileSync(datasourcesPath, 'utf8')) as { datasources: ProvisionedDataSource[] }
      ).datasources;
      const known = new Map(provisioned.map((d) => [d.uid, d.type]));
      const refs = [
        ...panels.flatMap((p) => [p.datasource, ...(p.targets ?? []).map((t) => t.datasource)]),
        ...dashboard.templating.list.map((v) => v.datasource),
      ].filter((ref) => ref !== undefined);
      expect(refs.length).to.be.above(0);
      for (const ref of refs) {
        expect(known.get(ref.uid ?? ''), `data source uid ${ref.uid}`).to.equal(ref.type);
      }
    });
  });

  describe('panels of issue 8', function () {
    it('shows throughput, error rate and status codes', function () {
      expect(exprs(byTitle(/throughput/i)).join()).to.match(/rate\(http_requests_total/);
      const errors = exprs(byTitle(/error rate/i)).join();
      expect(errors).to.include('status_code=~"5.."');
    });

    it('shows P50, P95 and P99 latency by route with exemplars and a link to Tempo', function () {
      const latency = byTitle(/latency p50/i);
      const quantiles = exprs(latency).map((e) => /histogram_quantile\(([\d.]+),/.exec(e)?.[1]);
      expect(quantiles).to.deep.equal(['0.5', '0.95', '0.99']);
      for (const e of exprs(latency)) expect(e).to.match(/sum by \(le, route\)/);
      expect(latency.targets?.some((t) => t.exemplar === true)).to.equal(true);
      const links = latency.fieldConfig?.defaults?.links ?? [];
      expect(links.map((l) => decodeURIComponent(l.url)).join()).to.include('"uid":"tempo"');
      expect(byTitle(/slow traces/i).datasource?.uid).to.equal('tempo');
    });

    it('shows payments per currency', function () {
      expect(exprs(byTitle(/payments created per currency/i)).join()).to.match(
        /sum by \(currency\) \(rate\(payments_created_total/,
      );
    });

    it('shows saturation: CPU, memory, PostgreSQL pool and Redis', function () {
      expect(exprs(byTitle(/^cpu/i)).join()).to.include('process_cpu_seconds_total');
      expect(exprs(byTitle(/memory/i)).join()).to.include('process_resident_memory_bytes');
      expect(exprs(byTitle(/postgresql pool/i)).join()).to.include('pg_pool_connections');
      expect(exprs(byTitle(/redis/i)).join()).to.include('redis_connected');
    });

    it('shows pod restarts', function () {
      expect(exprs(byTitle(/pod restarts/i)).join()).to.include(
        'kube_pod_container_status_restarts_total',
      );
    });

    it('shows the logs from Loki, filtered by the trace_id variable', function () {
      const logs = byTitle(/logs/i);
      expect(logs.type).to.equal('logs');
      expect(logs.datasource?.uid).to.equal('loki');
      expect(exprs(logs).join()).to.include('|= "$trace_id"');
      const variable = dashboard.templating.list.find((v) => v.name === 'trace_id');
      expect(variable?.type).to.equal('textbox');
    });
  });

  describe('PromQL', function () {
    it('resolves every template variable to a concrete value', function () {
      const queries = resolvedQueries(dashboard);
      expect(queries.length).to.be.at.least(20);
      for (const q of queries) expect(q.expr, q.source).to.not.include('$');
    });

    it('refuses a variable the dashboard does not define', function () {
      expect(() => resolveVariables('rate(x{a="$nope"}[5m])', variableValues(dashboard))).to.throw(
        /undefined dashboard variable \$nope/,
      );
    });

    it('passes promtool check rules for every expression', function () {
      const promtool = requireTool(this, 'promtool', 'Debian: apt-get install prometheus');
      const queries = resolvedQueries(dashboard);
      const path = join(scratch, 'dashboard-expressions.yaml');
      writeFileSync(path, asRuleFile(queries));
      const result = runTool(promtool, ['check', 'rules', path]);
      expect(result.status, result.output).to.equal(0);
      expect(result.output).to.include(`SUCCESS: ${queries.length} rules found`);
    });

    it('fails promtool check rules on a broken expression', function () {
      const promtool = requireTool(this, 'promtool', 'Debian: apt-get install prometheus');
      const queries = [
        ...resolvedQueries(dashboard),
        { source: 'broken', expr: 'sum by (route) (rate(http_requests_total[1m])' },
      ];
      const path = join(scratch, 'broken-expressions.yaml');
      writeFileSync(path, asRuleFile(queries));
      expect(runTool(promtool, ['check', 'rules', path]).status).to.not.equal(0);
    });
  });
});
