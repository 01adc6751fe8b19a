/**
 * Every third-party chart the platform installs, with its repository and exact version.
 * Versions are pinned so that a plan never changes because a chart was published upstream;
 * upgrade them here, one pull request at a time (the chart's own upgrade notes apply).
 */
export interface PinnedChart {
  readonly repository: string;
  readonly chart: string;
  readonly version: string;
}

const EKS_CHARTS = 'https://aws.github.io/eks-charts';
const PROMETHEUS_COMMUNITY = 'https://prometheus-community.github.io/helm-charts';
const GRAFANA = 'https://grafana.github.io/helm-charts';

export const PINNED_CHARTS = {
  awsLoadBalancerController: {
    repository: EKS_CHARTS,
    chart: 'aws-load-balancer-controller',
    version: '1.13.0',
  },
  externalSecrets: {
    repository: 'https://charts.external-secrets.io',
    chart: 'external-secrets',
    // 0.17+ serves external-secrets.io/v1 (the API version the charts here use).
    version: '0.17.0',
  },
  metricsServer: {
    repository: 'https://kubernetes-sigs.github.io/metrics-server/',
    chart: 'metrics-server',
    version: '3.12.2',
  },
  clusterAutoscaler: {
    repository: 'https://kubernetes.github.io/autoscaler',
    chart: 'cluster-autoscaler',
    version: '9.46.6',
  },
  kubePrometheusStack: {
    repository: PROMETHEUS_COMMUNITY,
    chart: 'kube-prometheus-stack',
    version: '75.15.0',
  },
  loki: { repository: GRAFANA, chart: 'loki', version: '6.29.0' },
  tempo: { repository: GRAFANA, chart: 'tempo', version: '1.24.4' },
  alloy: { repository: GRAFANA, chart: 'alloy', version: '1.1.2' },
  blackboxExporter: {
    repository: PROMETHEUS_COMMUNITY,
    chart: 'prometheus-blackbox-exporter',
    version: '11.0.0',
  },
} as const satisfies Record<string, PinnedChart>;
