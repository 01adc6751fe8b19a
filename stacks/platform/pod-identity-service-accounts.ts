import { MONITORING_NAMESPACE } from '../lib/kubernetes-names';

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
