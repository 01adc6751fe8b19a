import { join } from 'node:path';
import { Release, type ReleaseConfig } from '@cdktf/provider-helm/lib/release';
import { StorageClassV1 } from '@cdktf/provider-kubernetes/lib/storage-class-v1';
import { Fn, Op, Token, ref, type ITerraformDependable, type TerraformVariable } from 'cdktf';
import type { Construct } from 'constructs';
import { stringify } from 'yaml';
import { ChartValuesSchema } from '../lib/chart-values-schema';
import { ModuleStack } from '../lib/module-stack';
import { APP_NAMESPACE, CLUSTER_SECRET_STORE, MONITORING_NAMESPACE } from '../lib/kubernetes-names';
import { PlanReaderRoles, PlanReaderSecretsAccess } from '../lib/plan-readers';
import { connectToCluster } from '../lib/cluster-connection';
import { PINNED_CHARTS, type PinnedChart } from './pinned-charts';
import { clusterAlertmanagerConfig, readSharedAlertmanagerConfig } from './alertmanager-config';
import { GRAFANA_LOCAL_URL, publicGrafanaAnnotations } from './grafana-access';
import { grafanaDashboards } from './grafana-dashboards';
import { platformInputs } from './platform-inputs';
import { platformOutputs } from './platform-outputs';

/**
 * Service accounts whose AWS role is granted through an EKS Pod Identity association created
 * in the module that owns the resources (cluster or data). The names here must match them.
 */
export const POD_IDENTITY_SERVICE_ACCOUNTS = {
  awsLoadBalancerController: { namespace: 'kube-system', name: 'aws-load-balancer-controller' },
  clusterAutoscaler: { namespace: 'kube-system', name: 'cluster-autoscaler' },
  externalSecrets: { namespace: 'external-secrets', name: 'external-secrets' },
  loki: { namespace: MONITORING_NAMESPACE, name: 'loki' },
  tempo: { namespace: MONITORING_NAMESPACE, name: 'tempo' },
} as const;

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

const REPOSITORY_ROOT = join(__dirname, '..', '..');

/** A string Terraform takes as it is: its template sequences ${ and %{ escaped. */
const terraformLiteral = (text: string): string =>
  text.replace(/\$\{/g, '$$${').replace(/%\{/g, '%%{');

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

    const release = (
      id: string,
      pinned: PinnedChart,
      namespace: string,
      dynamicValues: object,
      { extraValues = [], ...options }: Partial<ReleaseConfig> & { extraValues?: string[] } = {},
    ): Release =>
      new Release(this, id, {
        name: pinned.chart,
        repository: pinned.repository,
        chart: pinned.chart,
        version: pinned.version,
        namespace,
        createNamespace: namespace !== 'kube-system',
        values: [
          Fn.file(fromRepo(REPOSITORY_FILES.staticValues, `${pinned.chart}.yaml`)),
          Fn.yamlencode(dynamicValues),
          ...extraValues,
        ],
        wait: true,
        timeout: 900,
        maxHistory: 10,
        cleanupOnFail: true,
        ...options,
      });

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

    const grafanaAnnotations = publicGrafanaAnnotations({
      groupName: inputs.albGroupName.stringValue,
      certificateArn: inputs.certificateArn.stringValue,
      tlsPolicy: inputs.tlsPolicy.stringValue,
      loadBalancerAttributes: inputs.loadBalancerAttributes.stringValue,
      webAclArn: inputs.webAclArn.stringValue,
      allowedCidrs: inputs.grafanaAllowedCidrs.listValue,
      cognitoUserPoolArn: inputs.cognitoUserPoolArn.stringValue,
      cognitoClientId: inputs.cognitoClientId.stringValue,
      cognitoDomain: inputs.cognitoDomain.stringValue,
    });
    const grafanaUrl = Fn.conditional(
      inputs.grafanaPublic.booleanValue,
      Fn.format('https://%s', [inputs.grafanaHostname.stringValue]),
      GRAFANA_LOCAL_URL,
    );
    const alertmanagerConfig = clusterAlertmanagerConfig(
      readSharedAlertmanagerConfig(REPOSITORY_ROOT),
    );
    const kubePrometheusStack = release(
      'kube_prometheus_stack',
      PINNED_CHARTS.kubePrometheusStack,
      MONITORING_NAMESPACE,
      {
        prometheus: {
          prometheusSpec: {
            retention: `${inputs.prometheusRetentionDays.stringValue}d`,
            replicas: inputs.prometheusReplicas.numberValue,
            externalLabels: { environment: this.environment.stringValue },
            storageSpec: {
              volumeClaimTemplate: {
                spec: {
                  resources: {
                    requests: { storage: `${inputs.prometheusStorageGib.stringValue}Gi` },
                  },
                },
              },
            },
          },
        },
        alertmanager: {
          alertmanagerSpec: { replicas: inputs.alertmanagerReplicas.numberValue },
        },
        grafana: {
          ingress: {
            enabled: inputs.grafanaPublic.booleanValue,
            hosts: [inputs.grafanaHostname.stringValue],
            annotations: grafanaAnnotations,
          },
          // The address users open it on: links and redirects are built from it.
          'grafana.ini': { server: { root_url: grafanaUrl } },
        },
      },
      {
        ...afterController(storageClass),
        // alertmanager.config, derived at synth time from the local stack's file (its webhook
        // files substituted); the drift test fails until a change to that file is synthesized.
        // A literal YAML document, not yamlencode(): CDKTF does not escape the double quotes of
        // the matchers inside a function call.
        extraValues: [
          terraformLiteral(stringify({ alertmanager: { config: alertmanagerConfig } })),
        ],
      },
    );

    const loki = release(
      'loki',
      PINNED_CHARTS.loki,
      POD_IDENTITY_SERVICE_ACCOUNTS.loki.namespace,
      {
        loki: {
          storage: {
            bucketNames: {
              chunks: inputs.lokiBucket.stringValue,
              ruler: inputs.lokiBucket.stringValue,
            },
            s3: { region: region.stringValue },
          },
          limits_config: {
            retention_period: `${Token.asString(Op.mul(inputs.lokiRetentionDays.numberValue, 24))}h`,
          },
        },
        singleBinary: { replicas: inputs.lokiReplicas.numberValue },
      },
      afterController(kubePrometheusStack),
    );

    release(
      'tempo',
      PINNED_CHARTS.tempo,
      POD_IDENTITY_SERVICE_ACCOUNTS.tempo.namespace,
      {
        tempo: {
          retention: `${Token.asString(Op.mul(inputs.tempoRetentionDays.numberValue, 24))}h`,
          storage: {
            trace: {
              s3: {
                bucket: inputs.tempoBucket.stringValue,
                region: region.stringValue,
                endpoint: `s3.${region.stringValue}.amazonaws.com`,
              },
            },
          },
        },
      },
      afterController(kubePrometheusStack),
    );

    release('alloy', PINNED_CHARTS.alloy, MONITORING_NAMESPACE, {}, afterController(loki));

    release(
      'blackbox_exporter',
      PINNED_CHARTS.blackboxExporter,
      MONITORING_NAMESPACE,
      {
        // Without a DNS name there is no certificate to watch: no probe.
        serviceMonitor: {
          targets: Fn.conditional(
            Op.gte(Fn.lengthOf(inputs.apiHostname.stringValue), 1),
            [
              {
                name: 'payflow-api',
                url: Fn.format('https://%s/health', [inputs.apiHostname.stringValue]),
              },
            ],
            [],
          ),
        },
      },
      afterController(kubePrometheusStack),
    );

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
