// The repository's own charts as Terraform installs them: every helm_release of modules/app and
// modules/platform whose chart is a folder of this repository (app/chart, the platform's
// platform-resources chart), for every environment, with the values Terraform computes from
// that environment's example inputs and the Kubernetes version its cluster runs (env.hcl).
// Used by the helm tests of `make test` and by CI's lint job (.github/scripts/chart-renders.ts).
import { readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { exampleAppInputs } from '../app/example-inputs';
import { ENVIRONMENTS, type Environment } from '../lib/module-stack';
import { examplePlatformInputs } from '../platform/example-inputs';
import { type Hcl, type LiveTree, localsOf } from '../../live/test/live-contract';
import { evaluateModuleExpressions, type ModuleJson } from './platform-terraform-evaluation';

const REPOSITORY_ROOT = resolve(__dirname, '..', '..');

/** Modules installing local charts, with the example inputs of an environment. */
const MODULES: Readonly<
  Record<string, (tree: LiveTree, environment: Environment) => Record<string, unknown>>
> = {
  app: exampleAppInputs,
  platform: (_tree, environment) => examplePlatformInputs(environment),
};

interface HelmRelease {
  readonly name: string;
  readonly chart: string;
  readonly namespace: string;
  readonly values: readonly string[];
}

/** One `helm_release` of a local chart, as synthesized. */
export interface LocalChartRelease {
  readonly module: string;
  /** Terraform name of the resource. */
  readonly resource: string;
  /** Helm release name. */
  readonly release: string;
  /** Repository-relative folder of the chart. */
  readonly chart: string;
  readonly namespace: string;
  /** The values expression (the release's only values element). */
  readonly valuesExpression: string;
}

export interface ChartRender extends LocalChartRelease {
  readonly environment: Environment;
  /** Kubernetes version of the environment's cluster, as helm and kubeconform take it: 1.33.0. */
  readonly kubernetesVersion: string;
  /** The values Terraform computes for this release (YAML). */
  readonly values: string;
}

export function readModule(module: string): ModuleJson & {
  resource: Record<string, Record<string, Record<string, unknown>>>;
} {
  return JSON.parse(readFileSync(join(REPOSITORY_ROOT, 'modules', module, 'main.tf.json'), 'utf8'));
}

/** Resolves `${kubernetes_namespace_v1.<name>.metadata[0].name}` to the namespace's name. */
function namespaceOf(module: ReturnType<typeof readModule>, namespace: string): string {
  const reference = /^\$\{kubernetes_namespace_v1\.([a-z0-9_]+)\.metadata\[0\]\.name\}$/.exec(
    namespace,
  );
  if (!reference) return namespace;
  const resource = module.resource.kubernetes_namespace_v1?.[reference[1] ?? ''] as
    { metadata?: { name?: string } } | undefined;
  const name = resource?.metadata?.name;
  if (!name) throw new Error(`namespace ${namespace} does not resolve`);
  return name;
}

/** Every helm_release of local charts in the modules, read from their synthesized JSON. */
export function localChartReleases(): LocalChartRelease[] {
  return Object.keys(MODULES).flatMap((name) => {
    const module = readModule(name);
    const releases = (module.resource.helm_release ?? {}) as unknown as Record<string, HelmRelease>;
    return Object.entries(releases)
      .filter(([, r]) => r.chart.startsWith('${path.module}/'))
      .map(([resource, r]) => {
        const [valuesExpression, ...more] = r.values;
        if (!valuesExpression || more.length > 0)
          throw new Error(`helm_release.${resource}: expected exactly one values element`);
        const folder = r.chart.replace('${path.module}', join(REPOSITORY_ROOT, 'modules', name));
        return {
          module: name,
          resource,
          release: r.name,
          chart: relative(REPOSITORY_ROOT, resolve(folder)),
          namespace: namespaceOf(module, r.namespace),
          valuesExpression,
        };
      });
  });
}

/** `1.33` from live/<env>/env.hcl (cluster.cluster_version), as `1.33.0`. */
export function clusterKubernetesVersion(tree: LiveTree, environment: Environment): string {
  const env = localsOf(tree.files.get(`live/${environment}/env.hcl`));
  const version = (env.cluster as Hcl | undefined)?.cluster_version;
  if (typeof version !== 'string' || !/^1\.[0-9]+$/.test(version))
    throw new Error(`live/${environment}/env.hcl: cluster.cluster_version is not 1.<minor>`);
  return `${version}.0`;
}

/** Every local chart release of every environment, its values evaluated by Terraform. */
export function chartRenders(tree: LiveTree): ChartRender[] {
  const releases = localChartReleases();
  return ENVIRONMENTS.flatMap((environment) =>
    Object.entries(MODULES).flatMap(([name, inputs]) => {
      const own = releases.filter((r) => r.module === name);
      const result = evaluateModuleExpressions(
        name,
        readModule(name),
        Object.fromEntries(own.map((r) => [r.resource, r.valuesExpression])),
        inputs(tree, environment),
      );
      if (result.status !== 0)
        throw new Error(`modules/${name} (${environment}) does not evaluate:\n${result.stderr}`);
      return own.map((r) => ({
        ...r,
        environment,
        kubernetesVersion: clusterKubernetesVersion(tree, environment),
        values: String(result.values[r.resource]),
      }));
    }),
  );
}
