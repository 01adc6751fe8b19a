// The platform's Helm charts for the lint job of .github/workflows/ci.yml. Chart versions come
// from stacks/platform/pinned-charts.ts (through the synthesized module), so none is written
// twice; values are the ones the platform module passes, evaluated by Terraform with the
// staging example inputs, so that `helm template` renders each chart as `terragrunt apply` would.
//
//   npx tsx .github/scripts/platform-charts.ts <values-dir>
//
// writes <values-dir>/<release>.yaml (the values the module computes from its inputs) and
// prints one tab-separated line per pinned chart:
//   release  chart  repository  version  namespace  static-values-file  kubernetes-version
// (the Kubernetes version of staging's cluster, live/staging/env.hcl). The local chart
// (platform-resources) is rendered for every environment by .github/scripts/chart-renders.ts.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { examplePlatformInputs, withPublicGrafana } from '../../stacks/platform/example-inputs';
import { PINNED_CHARTS } from '../../stacks/platform/pinned-charts';
import { clusterKubernetesVersion } from '../../stacks/test/chart-renders';
import { loadLiveTree } from '../../live/test/live-contract';
import {
  evaluateModuleExpressions,
  type ModuleJson,
} from '../../stacks/test/platform-terraform-evaluation';

const ROOT = path.resolve(__dirname, '..', '..');
const PLATFORM_MODULE = path.join(ROOT, 'modules', 'platform', 'main.tf.json');
export const LOCAL_CHART_RELEASE = 'platform_resources';

interface HelmRelease {
  name?: string;
  chart?: string;
  repository?: string;
  version?: string;
  namespace?: string;
  values?: string[];
}

export interface PinnedChartRender {
  /** Terraform name of the helm_release (and of its computed values file). */
  readonly release: string;
  readonly chart: string;
  readonly repository: string;
  readonly version: string;
  readonly namespace: string;
  /** Repository-relative path of the chart's static values file. */
  readonly staticValues: string;
}

/**
 * One render per chart of PINNED_CHARTS, read from the module's helm_release resources. Throws
 * when the module and pinned-charts.ts disagree (run `npm run synth`) or a chart is not pinned.
 */
export function pinnedChartRenders(module: ModuleJson): PinnedChartRender[] {
  const releases = (module.resource?.helm_release ?? {}) as Record<string, HelmRelease>;
  const pinned = Object.values(PINNED_CHARTS);
  const problems: string[] = [];
  for (const [name, release] of Object.entries(releases)) {
    if (name === LOCAL_CHART_RELEASE) continue;
    if (!pinned.some((p) => p.chart === release.chart && p.repository === release.repository)) {
      problems.push(`helm_release.${name} (${release.chart}) is not in pinned-charts.ts`);
    }
  }
  const renders = pinned.flatMap((chart): PinnedChartRender[] => {
    const found = Object.entries(releases).filter(([, r]) => r.chart === chart.chart);
    const [entry] = found;
    if (found.length !== 1 || !entry) {
      problems.push(`${chart.chart}: ${found.length} helm_release resources, expected 1`);
      return [];
    }
    const [release, body] = entry;
    const staticValues = `stacks/platform/values/${chart.chart}.yaml`;
    if (body.version !== chart.version || body.repository !== chart.repository) {
      problems.push(
        `helm_release.${release} has ${body.repository} ${body.version}, pinned-charts.ts ${chart.repository} ${chart.version}: run npm run synth`,
      );
    }
    if (!String(body.values?.[0] ?? '').includes(staticValues)) {
      problems.push(`helm_release.${release} does not read ${staticValues} first`);
    }
    if (!existsSync(path.join(ROOT, staticValues))) problems.push(`${staticValues} is missing`);
    return [
      {
        release,
        chart: chart.chart,
        repository: chart.repository,
        version: chart.version,
        namespace: body.namespace ?? '',
        staticValues,
      },
    ];
  });
  if (problems.length > 0) throw new Error(problems.join('\n'));
  return renders;
}

/**
 * The values each release computes from the module's inputs (the last element of its `values`
 * list), evaluated by Terraform with the staging example inputs, Grafana made public so that its
 * Ingress is rendered and validated too, as YAML text by release name.
 */
export function computedValues(module: ModuleJson): Record<string, string> {
  const releases = (module.resource?.helm_release ?? {}) as Record<string, HelmRelease>;
  const expressions = Object.fromEntries(
    Object.entries(releases).map(([name, release]) => [name, release.values?.at(-1)]),
  );
  const result = evaluateModuleExpressions(
    'platform',
    module,
    expressions,
    withPublicGrafana(examplePlatformInputs('staging')),
  );
  if (result.status !== 0)
    throw new Error(`terraform could not evaluate the values:\n${result.stderr}`);
  return Object.fromEntries(Object.entries(result.values).map(([k, v]) => [k, String(v)]));
}

async function main(): Promise<void> {
  const valuesDir = process.argv[2];
  if (!valuesDir) throw new Error('usage: npx tsx .github/scripts/platform-charts.ts <values-dir>');
  const module = JSON.parse(readFileSync(PLATFORM_MODULE, 'utf8')) as ModuleJson;
  const renders = pinnedChartRenders(module);
  mkdirSync(valuesDir, { recursive: true });
  for (const [release, yaml] of Object.entries(computedValues(module))) {
    writeFileSync(path.join(valuesDir, `${release}.yaml`), yaml);
  }
  const kubernetesVersion = clusterKubernetesVersion(await loadLiveTree(ROOT), 'staging');
  for (const r of renders) {
    console.log(
      [
        r.release,
        r.chart,
        r.repository,
        r.version,
        r.namespace,
        r.staticValues,
        kubernetesVersion,
      ].join('\t'),
    );
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
