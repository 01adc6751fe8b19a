import type { Release } from '@cdktf/provider-helm/lib/release';
import { Fn, Op, Token, type ITerraformDependable } from 'cdktf';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { MONITORING_NAMESPACE } from '../lib/kubernetes-names';
import { clusterAlertmanagerConfig, readSharedAlertmanagerConfig } from './alertmanager-config';
import { GRAFANA_LOCAL_URL, publicGrafanaAnnotations } from './grafana-access';
import { PINNED_CHARTS } from './pinned-charts';
import type { PinnedReleaseInstaller, PinnedReleaseOptions } from './pinned-release';
import type { platformInputs } from './platform-inputs';
import { POD_IDENTITY_SERVICE_ACCOUNTS } from './pod-identity-service-accounts';

const REPOSITORY_ROOT = join(__dirname, '..', '..');

/** A string Terraform takes as it is: its template sequences ${ and %{ escaped. */
const terraformLiteral = (text: string): string =>
  text.replace(/\$\{/g, '$$${').replace(/%\{/g, '%%{');

interface ObservabilitySettings {
  readonly release: PinnedReleaseInstaller;
  readonly inputs: ReturnType<typeof platformInputs>;
  readonly region: string;
  readonly environment: string;
  /** Release options that install after the load balancer controller and `more`. */
  readonly afterController: (...more: ITerraformDependable[]) => PinnedReleaseOptions;
  /** The default StorageClass the Prometheus, Loki and Tempo volumes use. */
  readonly storageClass: ITerraformDependable;
}

/**
 * The observability releases: kube-prometheus-stack (Prometheus, Alertmanager, Grafana), Loki
 * and Tempo on S3, Alloy shipping pod logs to Loki, and the blackbox exporter probing the API.
 * Returns kube-prometheus-stack, whose CRDs and namespace the later resources need.
 */
export function observabilityReleases({
  release,
  inputs,
  region,
  environment,
  afterController,
  storageClass,
}: ObservabilitySettings): Release {
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
          externalLabels: { environment: environment },
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
      extraValues: [terraformLiteral(stringify({ alertmanager: { config: alertmanagerConfig } }))],
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
          s3: { region: region },
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
              region: region,
              endpoint: `s3.${region}.amazonaws.com`,
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

  return kubePrometheusStack;
}
