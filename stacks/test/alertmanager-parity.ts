// What keeps the cluster's monitoring equal to the local stack's: the Alertmanager parity check
// and the list of kube-prometheus-stack alerts that repeat a PayFlow alert.
import { matches } from '../../monitoring/test/alertmanager-routing';
import type { AlertmanagerConfig } from '../platform/alertmanager-config';

type Block = Record<string, unknown>;

/** Paths at which two values differ (deep, arrays by position). */
export function differences(a: unknown, b: unknown, path = ''): string[] {
  if (Array.isArray(a) && Array.isArray(b)) {
    const length = Math.max(a.length, b.length);
    return Array.from({ length }, (_, i) => differences(a[i], b[i], `${path}[${i}]`)).flat();
  }
  const isObject = (v: unknown): v is Block => !!v && typeof v === 'object' && !Array.isArray(v);
  if (isObject(a) && isObject(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return keys.flatMap((k) => differences(a[k], b[k], path ? `${path}.${k}` : k));
  }
  return Object.is(a, b) ? [] : [path || '(root)'];
}

/** The configuration without where its Slack webhooks come from (the one allowed difference). */
function withoutWebhookSource(config: AlertmanagerConfig): AlertmanagerConfig {
  const copy = structuredClone(config);
  if (copy.global) delete copy.global.slack_api_url_file;
  for (const receiver of copy.receivers ?? []) {
    for (const slack of (receiver.slack_configs as Block[] | undefined) ?? []) {
      delete slack.api_url_file;
    }
  }
  return copy;
}

/**
 * Where the cluster's Alertmanager configuration differs from the local one in anything but the
 * webhook source: routes, group_by, timings, inhibit rules, receivers, Slack templates.
 */
export function alertmanagerDivergence(
  local: AlertmanagerConfig,
  cluster: AlertmanagerConfig,
): string[] {
  return differences(withoutWebhookSource(local), withoutWebhookSource(cluster));
}

/**
 * kube-prometheus-stack alerts that report what a PayFlow alert (monitoring/alerts) reports.
 * `disabled`: the same condition everywhere, switched off in the chart's values. `inhibited`: the
 * chart's alert also covers other workloads, so it stays and Alertmanager holds it back while the
 * PayFlow alert fires.
 */
export const CHART_DUPLICATES: Readonly<
  Record<string, { payflow: string; kept: 'disabled' | 'inhibited' }>
> = {
  KubePodCrashLooping: { payflow: 'PodCrashLooping', kept: 'disabled' },
  KubeHpaMaxedOut: { payflow: 'HPAMaxedOut', kept: 'disabled' },
  KubePersistentVolumeFillingUp: { payflow: 'DiskSpaceLow', kept: 'disabled' },
  NodeFilesystemSpaceFillingUp: { payflow: 'DiskSpaceLow', kept: 'disabled' },
  NodeFilesystemAlmostOutOfSpace: { payflow: 'DiskSpaceLow', kept: 'disabled' },
  TargetDown: { payflow: 'ApiTargetDown', kept: 'inhibited' },
  KubeDeploymentReplicasMismatch: { payflow: 'ReadinessFailing', kept: 'inhibited' },
  KubePodNotReady: { payflow: 'ReadinessFailing', kept: 'inhibited' },
};

/** Chart alerts of CHART_DUPLICATES that would still notify next to their PayFlow alert. */
export function loudChartDuplicates(
  kubePrometheusStackValues: Block,
  alertmanager: AlertmanagerConfig,
): string[] {
  const defaultRules = (kubePrometheusStackValues.defaultRules ?? {}) as Block;
  const disabled = (defaultRules.disabled ?? {}) as Record<string, unknown>;
  const inhibits = alertmanager.inhibit_rules ?? [];
  const inhibited = (source: string, target: string) =>
    inhibits.some(
      (rule) =>
        ((rule.source_matchers as string[] | undefined) ?? []).every((m) =>
          matches(m, { alertname: source }),
        ) &&
        ((rule.target_matchers as string[] | undefined) ?? []).every((m) =>
          matches(m, { alertname: target }),
        ),
    );
  return Object.entries(CHART_DUPLICATES)
    .filter(([chartAlert, { payflow, kept }]) =>
      kept === 'disabled' ? disabled[chartAlert] !== true : !inhibited(payflow, chartAlert),
    )
    .map(([chartAlert]) => chartAlert);
}
