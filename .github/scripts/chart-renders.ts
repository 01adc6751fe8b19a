// The repository's own charts for the lint job of .github/workflows/ci.yml: every release of a
// local chart (payflow, payflow-migrations, platform-resources) in every environment, as
// Terraform installs it. The same list make test renders (stacks/test/chart-renders.ts):
// release names and namespaces from the synthesized modules, values evaluated by Terraform with
// each environment's example inputs, Kubernetes version from live/<env>/env.hcl.
//
//   npx tsx .github/scripts/chart-renders.ts <values-dir>
//
// writes <values-dir>/<environment>-<release>.yaml and prints one tab-separated line per render:
//   chart  release  namespace  values-file  kubernetes-version
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { chartRenders } from '../../stacks/test/chart-renders';
import { loadLiveTree } from '../../live/test/live-contract';

const ROOT = path.resolve(__dirname, '..', '..');

async function main(): Promise<void> {
  const valuesDir = process.argv[2];
  if (!valuesDir) throw new Error('usage: npx tsx .github/scripts/chart-renders.ts <values-dir>');
  mkdirSync(valuesDir, { recursive: true });
  for (const render of chartRenders(await loadLiveTree(ROOT))) {
    const file = path.join(valuesDir, `${render.environment}-${render.release}.yaml`);
    writeFileSync(file, render.values);
    console.log(
      [render.chart, render.release, render.namespace, file, render.kubernetesVersion].join('\t'),
    );
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
