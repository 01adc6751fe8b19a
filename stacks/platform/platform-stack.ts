import { StorageClassV1 } from '@cdktf/provider-kubernetes/lib/storage-class-v1';
import { Release } from '@cdktf/provider-helm/lib/release';
import { Fn, ref, type ITerraformDependable, type TerraformVariable } from 'cdktf';
import type { Construct } from 'constructs';
import { ChartValuesSchema } from '../lib/chart-values-schema';
import { ModuleStack } from '../lib/module-stack';
import { APP_NAMESPACE, CLUSTER_SECRET_STORE, MONITORING_NAMESPACE } from '../lib/kubernetes-names';
import { PlanReaderRoles, PlanReaderSecretsAccess } from '../lib/plan-readers';
import { connectToCluster } from '../lib/cluster-connection';
import { PINNED_CHARTS } from './pinned-charts';
import { pinnedReleaseInstaller } from './pinned-release';
import { observabilityReleases } from './observability-releases';
import { grafanaDashboards } from './grafana-dashboards';
import { platformInputs } from './platform-inputs';
import { platformOutputs } from './platform-outputs';
import { POD_IDENTITY_SERVICE_ACCOUNTS } from './pod-identity-service-accounts';

/**
 * Hand-written local chart kept inside the module folder (like modules/<m>/tests: synth never
 * touches it), for the custom resources whose CRDs other releases install.
 */
export const PLATFORM_RESOURCES_CHART = 'charts/platform-resources';

/** The platform-resources values each input becomes: their schema rules validate the input. */
export const PLATFORM_RESOURCES_VALUES_OF_INPUTS: Readonly<Record<string, readonly string[]>> = {
  region: ['region'],
  alerting_secret_name: ['alerting.secretName'],
};

/** Repository files the module reads at apply time: synthesis copies them into the module. */
export const REPOSITORY_FILES = {
  staticValues: 'stacks/platform/values',
  alertingRules: 'monitoring/alerts/alerting-rules.yaml',
  dashboards: 'monitoring/dashboards',
} as const;

/**
 * The cluster's shared services, installed with Helm: ingress (AWS Load Balancer Controller),
 * secrets (External Secrets + ClusterSecretStore), scaling (metrics-server, Cluster
 * Autoscaler) and observability (kube-prometheus-stack, Loki, Tempo, Alloy, blackbox exporter).
 */
export class PlatformStack extends ModuleStack {
  constructor(scope: Construct, id: string) {
    super(scope, id, {
      purpose:
        'Shared services of the EKS cluster, as pinned Helm releases: AWS Load Balancer Controller, ' +
        'External Secrets (with a ClusterSecretStore on Secrets Manager), metrics-server, Cluster ' +
        'Autoscaler, kube-prometheus-stack (Prometheus, Alertmanager, Grafana with Loki/Tempo), ' +
        'Loki and Tempo on S3, Grafana Alloy shipping pod logs, and a blackbox exporter probing the API.',
      aws: false,
    });
    const { region, clusterName } = connectToCluster(this);
    // A path.module reference (a literal "${path.module}" would reach functions escaped).
    const fromRepo = (...path: string[]): string =>
      Fn.format('%s/%s', [ref('path.module', this), this.copyIntoModule(path.join('/'))]);

    const inputs = platformInputs(this);

    const resourcesSchema = new ChartValuesSchema(
      `modules/platform/${PLATFORM_RESOURCES_CHART}/values.schema.json`,
    );
    for (const [name, paths] of Object.entries(PLATFORM_RESOURCES_VALUES_OF_INPUTS)) {
      resourcesSchema.validate(this.node.findChild(name) as TerraformVariable, ...paths);
    }

    // EKS (1.30+) marks no StorageClass as default; Prometheus, Loki and Tempo volumes use this.
    const storageClass = new StorageClassV1(this, 'gp3', {
      metadata: {
        name: 'gp3',
        annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' },
      },
      storageProvisioner: 'ebs.csi.aws.com',
      parameters: { type: 'gp3', encrypted: 'true' },
      volumeBindingMode: 'WaitForFirstConsumer',
      allowVolumeExpansion: true,
      reclaimPolicy: 'Delete',
    });

    const release = pinnedReleaseInstaller(this, (chart) =>
      fromRepo(REPOSITORY_FILES.staticValues, `${chart}.yaml`),
    );

    // First: its webhooks validate the Services and Ingresses the other releases create, and
    // on destroy it must outlive every Ingress (or their ALBs would block the VPC deletion).
    const loadBalancerController = release(
      'aws_load_balancer_controller',
      PINNED_CHARTS.awsLoadBalancerController,
      'kube-system',
      {
        clusterName: clusterName.stringValue,
        region: region.stringValue,
        vpcId: inputs.vpcId.stringValue,
      },
    );
    const afterController = (...more: ITerraformDependable[]) => ({
      dependsOn: [loadBalancerController, ...more],
    });

    const externalSecrets = release(
      'external_secrets',
      PINNED_CHARTS.externalSecrets,
      POD_IDENTITY_SERVICE_ACCOUNTS.externalSecrets.namespace,
      {},
      afterController(),
    );
    release('metrics_server', PINNED_CHARTS.metricsServer, 'kube-system', {}, afterController());
    release(
      'cluster_autoscaler',
      PINNED_CHARTS.clusterAutoscaler,
      'kube-system',
      {
        autoDiscovery: { clusterName: clusterName.stringValue },
        awsRegion: region.stringValue,
        // The autoscaler's minor version must match the cluster's.
        image: { tag: `v${inputs.clusterVersion.stringValue}.0` },
      },
      afterController(),
    );

    const kubePrometheusStack = observabilityReleases({
      release,
      inputs,
      region: region.stringValue,
      environment: this.environment.stringValue,
      afterController,
      storageClass,
    });

    // Custom resources whose CRDs the releases above install: applied after them, through a
    // local chart, because kubernetes_manifest would need the CRDs at plan time.
    new Release(this, 'platform_resources', {
      name: 'platform-resources',
      chart: `\${path.module}/${PLATFORM_RESOURCES_CHART}`,
      namespace: MONITORING_NAMESPACE,
      createNamespace: true,
      values: [
        Fn.yamlencode({
          region: region.stringValue,
          clusterSecretStore: {
            name: CLUSTER_SECRET_STORE,
            namespaces: [APP_NAMESPACE, MONITORING_NAMESPACE],
          },
          alerting: { secretName: inputs.alertingSecretName.stringValue },
          prometheusRules: Fn.yamldecode(Fn.file(fromRepo(REPOSITORY_FILES.alertingRules))),
        }),
      ],
      wait: true,
      timeout: 300,
      maxHistory: 10,
      dependsOn: [externalSecrets, kubePrometheusStack],
    });

    // The pull-request plan role (cluster input viewer_principal_arns) refreshes these releases:
    // it may read the Helm release Secrets of their namespaces (lib/plan-readers.ts).
    new PlanReaderRoles(this, 'plan_reader_roles');
    new PlanReaderSecretsAccess(this, 'plan_readers_kube_system', { namespace: 'kube-system' });
    new PlanReaderSecretsAccess(this, 'plan_readers_external_secrets', {
      namespace: POD_IDENTITY_SERVICE_ACCOUNTS.externalSecrets.namespace,
      dependsOn: [externalSecrets],
    });
    new PlanReaderSecretsAccess(this, 'plan_readers_monitoring', {
      namespace: MONITORING_NAMESPACE,
      dependsOn: [kubePrometheusStack],
    });

    grafanaDashboards(this, fromRepo(REPOSITORY_FILES.dashboards), [kubePrometheusStack]);

    platformOutputs(this, { inputs, kubePrometheusStack });
  }
}
