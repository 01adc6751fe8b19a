import { Release, type ReleaseConfig } from '@cdktf/provider-helm/lib/release';
import { Fn } from 'cdktf';
import type { Construct } from 'constructs';
import type { PinnedChart } from './pinned-charts';

/** Release settings beyond the chart's own, and values files after the inputs' (`extraValues`). */
export type PinnedReleaseOptions = Partial<ReleaseConfig> & { extraValues?: string[] };

/** Installs one pinned chart in a namespace, its inputs' values merged over its static values. */
export type PinnedReleaseInstaller = (
  id: string,
  pinned: PinnedChart,
  namespace: string,
  dynamicValues: object,
  options?: PinnedReleaseOptions,
) => Release;

/**
 * Helm releases of the pinned third-party charts (pinned-charts.ts), all alike: the chart's
 * static values file (`valuesFile(chart)`, a path Terraform reads), then the values built
 * from the inputs; waited for, with a rollback on failure and a bounded history.
 */
export function pinnedReleaseInstaller(
  scope: Construct,
  valuesFile: (chart: string) => string,
): PinnedReleaseInstaller {
  return (id, pinned, namespace, dynamicValues, { extraValues = [], ...options } = {}) =>
    new Release(scope, id, {
      name: pinned.chart,
      repository: pinned.repository,
      chart: pinned.chart,
      version: pinned.version,
      namespace,
      createNamespace: namespace !== 'kube-system',
      values: [Fn.file(valuesFile(pinned.chart)), Fn.yamlencode(dynamicValues), ...extraValues],
      wait: true,
      timeout: 900,
      maxHistory: 10,
      cleanupOnFail: true,
      ...options,
    });
}
