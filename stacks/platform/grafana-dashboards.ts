import { ConfigMapV1 } from '@cdktf/provider-kubernetes/lib/config-map-v1';
import { Fn, type ITerraformDependable, TerraformIterator } from 'cdktf';
import { MONITORING_NAMESPACE } from '../lib/kubernetes-names';
import type { ModuleStack } from '../lib/module-stack';

/** One ConfigMap per dashboard file of `dashboardsDir`; Grafana's sidecar loads those labelled grafana_dashboard. */
export function grafanaDashboards(
  stack: ModuleStack,
  dashboardsDir: string,
  dependsOn: ITerraformDependable[],
): void {
  const dashboards = TerraformIterator.fromList(Fn.fileset(dashboardsDir, '*.json'));
  new ConfigMapV1(stack, 'dashboards', {
    forEach: dashboards,
    metadata: {
      name: `dashboard-${Fn.replace(Fn.lower(Fn.trimsuffix(dashboards.value, '.json')), '_', '-')}`,
      namespace: MONITORING_NAMESPACE,
      labels: { grafana_dashboard: '1' },
      annotations: { grafana_folder: 'PayFlow' },
    },
    data: Fn.zipmap(
      [dashboards.value],
      [Fn.file(Fn.format('%s/%s', [dashboardsDir, dashboards.value]))],
    ) as unknown as Record<string, string>,
    dependsOn: dependsOn,
  });
}
