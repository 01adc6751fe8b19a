import { join } from 'node:path';
import { Release, type ReleaseConfig } from '@cdktf/provider-helm/lib/release';
import { ConfigMapV1 } from '@cdktf/provider-kubernetes/lib/config-map-v1';
import { StorageClassV1 } from '@cdktf/provider-kubernetes/lib/storage-class-v1';
import {
  Fn,
  Op,
  TerraformIterator,
  Token,
  ref,
  type ITerraformDependable,
  type TerraformVariable,
} from 'cdktf';
import type { Construct } from 'constructs';
import { stringify } from 'yaml';
import { ChartValuesSchema } from '../lib/chart-values-schema';
import { Input, Rule, dnsName } from '../lib/inputs';
import { ModuleStack } from '../lib/module-stack';
import { PlanReaderRoles, PlanReaderSecretsAccess } from '../lib/plan-readers';
import { offeredKubernetesVersion } from '../cluster/kubernetes-versions';
import { connectToCluster } from '../lib/cluster-connection';
import { PINNED_CHARTS, type PinnedChart } from './pinned-charts';
import { clusterAlertmanagerConfig, readSharedAlertmanagerConfig } from './alertmanager-config';
import {
  GRAFANA_ALLOWED_CIDRS_MAX,
  GRAFANA_LOCAL_URL,
  publicGrafanaAnnotations,
} from './grafana-access';

/** Names other layers rely on (team contract). */
export const MONITORING_NAMESPACE = 'monitoring';
export const CLUSTER_SECRET_STORE = 'aws-secrets-manager';
export const APP_NAMESPACE = 'payflow';

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

/**
 * Files read at apply time, relative to the repository root. Terragrunt copies the whole
 * repository (`source = "${get_repo_root()}//modules/platform"`), so they sit at
 * `${path.module}/../../<path>` wherever the module runs.
 */
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
      Fn.format('%s/../../%s', [ref('path.module', this), path.join('/')]);

    const clusterVersion = Input.string(this, 'cluster_version', {
      description:
        'Kubernetes minor version of the cluster (cluster module output `cluster_version`); picks the Cluster Autoscaler image.',
      validation: [offeredKubernetesVersion()],
    });
    const vpcId = Input.string(this, 'vpc_id', {
      description:
        'VPC of the cluster (network module output `vpc_id`), for the load balancer controller.',
      validation: [Rule.matches('^vpc-[0-9a-f]{8,17}$', 'a VPC id')],
    });
    const lokiBucket = Input.string(this, 'loki_bucket_name', {
      description: 'S3 bucket of Loki (data module output `loki_bucket_name`).',
      validation: [Rule.matches('^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$', 'an S3 bucket name')],
    });
    const tempoBucket = Input.string(this, 'tempo_bucket_name', {
      description: 'S3 bucket of Tempo (data module output `tempo_bucket_name`).',
      validation: [Rule.matches('^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$', 'an S3 bucket name')],
    });
    // The public entry: edge outputs (stacks/edge), the same on the API's Ingress.
    const apiHostname = Input.string(this, 'api_hostname', {
      description:
        'Public hostname of the API (edge output `api_hostname`), probed over HTTPS by the ' +
        'blackbox exporter (certificate expiry); "" without a DNS zone: no probe.',
      validation: [dnsName(true)],
    });
    const grafanaHostname = Input.string(this, 'grafana_hostname', {
      description:
        'Name Grafana answers on when grafana_public (edge output `grafana_hostname`); "" without a DNS zone.',
      validation: [dnsName(true)],
    });
    const certificateArn = Input.string(this, 'certificate_arn', {
      description:
        'ACM certificate of the load balancer (edge output `certificate_arn`); "" without a DNS zone.',
      validation: [
        Rule.matches(
          '^(arn:aws[a-z-]*:acm:[a-z0-9-]+:[0-9]{12}:certificate/[A-Za-z0-9-]+)?$',
          'empty or an ACM certificate ARN',
        ),
      ],
    });
    const tlsPolicy = Input.string(this, 'tls_policy', {
      description: 'Security policy of the HTTPS listener (edge output `tls_policy`).',
      default: 'ELBSecurityPolicy-TLS13-1-2-2021-06',
      validation: [Rule.matches('^ELBSecurityPolicy-[A-Za-z0-9-]+$', 'an ELB security policy')],
    });
    const loadBalancerAttributes = Input.string(this, 'load_balancer_attributes', {
      description:
        'The load balancer attributes annotation (edge output `load_balancer_attributes`).',
      validation: [
        Rule.matches(
          '^[a-z0-9_.]+=[A-Za-z0-9_.-]+(,[a-z0-9_.]+=[A-Za-z0-9_.-]+)*$',
          'key=value pairs separated by commas',
        ),
      ],
    });
    const webAclArn = Input.string(this, 'web_acl_arn', {
      description: 'AWS WAF web ACL of the load balancer (edge output `web_acl_arn`); "": none.',
      default: '',
      validation: [
        Rule.matches(
          '^(arn:aws[a-z-]*:wafv2:[a-z0-9-]+:[0-9]{12}:regional/webacl/[A-Za-z0-9_-]+/[a-f0-9-]+)?$',
          'empty or a regional WAF web ACL ARN',
        ),
      ],
    });
    const albGroupName = Input.string(this, 'alb_group_name', {
      description: 'ALB group shared with the API Ingress (one load balancer for both).',
      default: 'payflow',
      validation: [Rule.matches('^[a-z0-9]([a-z0-9.-]{0,61}[a-z0-9])?$', 'a lowercase name')],
    });

    // Grafana: private unless asked for, and then behind a sign-in and an address allow-list.
    const grafanaPublic = Input.bool(this, 'grafana_public', {
      description:
        'Put Grafana on the load balancer at grafana_hostname, behind a Cognito sign-in and for ' +
        'grafana_allowed_cidrs only. false (default): no Ingress; `make grafana ENV=<env>` ' +
        `opens it on ${GRAFANA_LOCAL_URL} through the SSM tunnel.`,
      default: false,
      validation: [
        Rule.custom(
          (v) => `!${v} || (var.certificate_arn != "" && var.grafana_hostname != "")`,
          'A public Grafana needs HTTPS (the sign-in works on HTTPS listeners only): give the environment a DNS zone.',
        ),
      ],
    });
    const grafanaAllowedCidrs = Input.stringList(this, 'grafana_allowed_cidrs', {
      description:
        `Client addresses (CIDRs, at most ${GRAFANA_ALLOWED_CIDRS_MAX}) the load balancer ` +
        'forwards to a public Grafana, e.g. the office or VPN egress; everyone else gets 404.',
      default: [],
      validation: [
        Rule.eachCidr(),
        Rule.custom(
          (v) => `length(${v}) <= ${GRAFANA_ALLOWED_CIDRS_MAX}`,
          `At most ${GRAFANA_ALLOWED_CIDRS_MAX} CIDRs (an ALB rule matches 5 values, host and path included).`,
        ),
        Rule.custom(
          (v) => `!contains(${v}, "0.0.0.0/0")`,
          '0.0.0.0/0 is no allow-list: name the addresses that may reach Grafana.',
        ),
        Rule.custom(
          (v) => `!var.grafana_public || length(${v}) >= 1`,
          'A public Grafana needs an address allow-list.',
        ),
      ],
    });
    const cognito = (name: string, what: string, regex: string, meaning: string) =>
      Input.string(this, `grafana_cognito_${name}`, {
        description: `${what} of the Cognito sign-in in front of a public Grafana; "" while Grafana is private.`,
        default: '',
        validation: [
          Rule.matches(`^(${regex})?$`, `empty or ${meaning}`),
          Rule.custom(
            (v) => `!var.grafana_public || ${v} != ""`,
            'A public Grafana needs its Cognito sign-in (user pool ARN, app client id, domain).',
          ),
        ],
      });
    const cognitoUserPoolArn = cognito(
      'user_pool_arn',
      'User pool ARN',
      'arn:aws[a-z-]*:cognito-idp:[a-z0-9-]+:[0-9]{12}:userpool/[a-z0-9-]+_[A-Za-z0-9]+',
      'a Cognito user pool ARN',
    );
    const cognitoClientId = cognito(
      'client_id',
      'App client id (with a client secret, and the callback https://<grafana_hostname>/oauth2/idpresponse)',
      '[A-Za-z0-9]{1,128}',
      'a Cognito app client id',
    );
    const cognitoDomain = cognito(
      'domain',
      'Domain prefix (my-prefix of my-prefix.auth.<region>.amazoncognito.com)',
      '[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?',
      'a Cognito domain prefix',
    );
    const prometheusRetentionDays = Input.number(this, 'prometheus_retention_days', {
      description: 'Days Prometheus keeps metrics (e.g. 7 in development, 30 in production).',
      validation: [Rule.between(1, 90)],
    });
    const prometheusStorageGib = Input.number(this, 'prometheus_storage_gib', {
      description: 'Size of each Prometheus volume (GiB); retention must fit in it.',
      default: 50,
      validation: [Rule.between(10, 1000)],
    });
    const prometheusReplicas = Input.number(this, 'prometheus_replicas', {
      description: 'Prometheus replicas (2 for high availability).',
      default: 1,
      validation: [Rule.between(1, 3)],
    });
    const alertmanagerReplicas = Input.number(this, 'alertmanager_replicas', {
      description: 'Alertmanager replicas (they deduplicate notifications as a cluster).',
      default: 1,
      validation: [Rule.between(1, 3)],
    });
    const lokiRetentionDays = Input.number(this, 'loki_retention_days', {
      description: 'Days Loki keeps logs (e.g. 7 in development, 90 in production).',
      validation: [Rule.between(1, 400)],
    });
    const lokiReplicas = Input.number(this, 'loki_replicas', {
      description: 'Loki single-binary replicas.',
      default: 1,
      validation: [Rule.between(1, 3)],
    });
    const tempoRetentionDays = Input.number(this, 'tempo_retention_days', {
      description: 'Days Tempo keeps traces.',
      validation: [Rule.between(1, 60)],
    });
    const alertingSecretName = Input.string(this, 'alerting_secret_name', {
      description:
        'Secrets Manager secret (JSON with critical_webhook_url and warning_webhook_url: Slack incoming webhooks) synced for Alertmanager. Empty: no notification leaves the cluster. Only the name goes through Terraform, never the URLs.',
      default: '',
      validation: [
        Rule.matches('^[A-Za-z0-9/_+=.@-]{0,512}$', 'empty or a Secrets Manager secret name'),
      ],
    });

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
        vpcId: vpcId.stringValue,
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
        image: { tag: `v${clusterVersion.stringValue}.0` },
      },
      afterController(),
    );

    const grafanaAnnotations = publicGrafanaAnnotations({
      groupName: albGroupName.stringValue,
      certificateArn: certificateArn.stringValue,
      tlsPolicy: tlsPolicy.stringValue,
      loadBalancerAttributes: loadBalancerAttributes.stringValue,
      webAclArn: webAclArn.stringValue,
      allowedCidrs: grafanaAllowedCidrs.listValue,
      cognitoUserPoolArn: cognitoUserPoolArn.stringValue,
      cognitoClientId: cognitoClientId.stringValue,
      cognitoDomain: cognitoDomain.stringValue,
    });
    const grafanaUrl = Fn.conditional(
      grafanaPublic.booleanValue,
      Fn.format('https://%s', [grafanaHostname.stringValue]),
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
            retention: `${prometheusRetentionDays.stringValue}d`,
            replicas: prometheusReplicas.numberValue,
            externalLabels: { environment: this.environment.stringValue },
            storageSpec: {
              volumeClaimTemplate: {
                spec: {
                  resources: { requests: { storage: `${prometheusStorageGib.stringValue}Gi` } },
                },
              },
            },
          },
        },
        alertmanager: {
          alertmanagerSpec: { replicas: alertmanagerReplicas.numberValue },
        },
        grafana: {
          ingress: {
            enabled: grafanaPublic.booleanValue,
            hosts: [grafanaHostname.stringValue],
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
            bucketNames: { chunks: lokiBucket.stringValue, ruler: lokiBucket.stringValue },
            s3: { region: region.stringValue },
          },
          limits_config: {
            retention_period: `${Token.asString(Op.mul(lokiRetentionDays.numberValue, 24))}h`,
          },
        },
        singleBinary: { replicas: lokiReplicas.numberValue },
      },
      afterController(kubePrometheusStack),
    );

    release(
      'tempo',
      PINNED_CHARTS.tempo,
      POD_IDENTITY_SERVICE_ACCOUNTS.tempo.namespace,
      {
        tempo: {
          retention: `${Token.asString(Op.mul(tempoRetentionDays.numberValue, 24))}h`,
          storage: {
            trace: {
              s3: {
                bucket: tempoBucket.stringValue,
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
            Op.gte(Fn.lengthOf(apiHostname.stringValue), 1),
            [
              {
                name: 'payflow-api',
                url: Fn.format('https://%s/health', [apiHostname.stringValue]),
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
          alerting: { secretName: alertingSecretName.stringValue },
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

    // One ConfigMap per dashboard file; Grafana's sidecar loads those labelled grafana_dashboard.
    const dashboards = TerraformIterator.fromList(
      Fn.fileset(fromRepo(REPOSITORY_FILES.dashboards), '*.json'),
    );
    new ConfigMapV1(this, 'dashboards', {
      forEach: dashboards,
      metadata: {
        name: `dashboard-${Fn.replace(Fn.lower(Fn.trimsuffix(dashboards.value, '.json')), '_', '-')}`,
        namespace: MONITORING_NAMESPACE,
        labels: { grafana_dashboard: '1' },
        annotations: { grafana_folder: 'PayFlow' },
      },
      data: Fn.zipmap(
        [dashboards.value],
        [Fn.file(Fn.format('%s/%s', [fromRepo(REPOSITORY_FILES.dashboards), dashboards.value]))],
      ) as unknown as Record<string, string>,
      dependsOn: [kubePrometheusStack],
    });

    this.output('grafana_public_hostname', {
      value: Fn.conditional(grafanaPublic.booleanValue, grafanaHostname.stringValue, ''),
      description:
        'Name of Grafana on the load balancer when grafana_public (the dns layer writes its ' +
        `record); "": private, \`make grafana ENV=<env>\` opens it on ${GRAFANA_LOCAL_URL}. ` +
        'Admin password: Secret kube-prometheus-stack-grafana in monitoring, made by the chart.',
    });
    this.output('monitoring_namespace', {
      value: kubePrometheusStack.namespace,
      description:
        'Namespace of Prometheus, Alertmanager, Grafana, Loki, Tempo (OTLP on tempo:4318).',
    });
    this.output('cluster_secret_store_name', {
      value: CLUSTER_SECRET_STORE,
      description:
        'ClusterSecretStore reading AWS Secrets Manager (namespaces payflow and monitoring).',
    });
  }
}
