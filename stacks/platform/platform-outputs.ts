import type { Release } from '@cdktf/provider-helm/lib/release';
import { Fn } from 'cdktf';
import { CLUSTER_SECRET_STORE } from '../lib/kubernetes-names';
import type { ModuleStack } from '../lib/module-stack';
import { GRAFANA_LOCAL_URL } from './grafana-access';
import type { platformInputs } from './platform-inputs';

interface Outputs {
  inputs: ReturnType<typeof platformInputs>;
  kubePrometheusStack: Release;
}

/** The platform module's outputs (outputs.tf), read by the app and dns layers. */
export function platformOutputs(
  stack: ModuleStack,
  { inputs, kubePrometheusStack }: Outputs,
): void {
  stack.output('grafana_public_hostname', {
    value: Fn.conditional(
      inputs.grafanaPublic.booleanValue,
      inputs.grafanaHostname.stringValue,
      '',
    ),
    description:
      'Name of Grafana on the load balancer when grafana_public (the dns layer writes its ' +
      `record); "": private, \`make grafana ENV=<env>\` opens it on ${GRAFANA_LOCAL_URL}. ` +
      'Admin password: Secret kube-prometheus-stack-grafana in monitoring, made by the chart.',
  });
  stack.output('monitoring_namespace', {
    value: kubePrometheusStack.namespace,
    description:
      'Namespace of Prometheus, Alertmanager, Grafana, Loki, Tempo (OTLP on tempo:4318).',
  });
  stack.output('cluster_secret_store_name', {
    value: CLUSTER_SECRET_STORE,
    description:
      'ClusterSecretStore reading AWS Secrets Manager (namespaces payflow and monitoring).',
  });
}
