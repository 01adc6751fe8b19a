import { HelmProvider } from '@cdktf/provider-helm/lib/provider';
import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import { Fn, type TerraformStack, type TerraformVariable } from 'cdktf';
import { Input, Rule } from './inputs';

/** API version of the ExecCredential that `aws eks get-token` prints. */
const EXEC_API_VERSION = 'client.authentication.k8s.io/v1beta1';

export interface ClusterConnection {
  readonly region: TerraformVariable;
  readonly clusterName: TerraformVariable;
}

/**
 * Declares the cluster inputs of a Kubernetes-level module and configures its kubernetes and
 * helm providers from them. Authentication runs `aws eks get-token` at every Terraform run
 * (exec plugin): no kubeconfig file and no long-lived token is written or stored. The cluster
 * comes from another module (another apply), which is what makes provider configuration from
 * its outputs reliable.
 */
export function connectToCluster(stack: TerraformStack): ClusterConnection {
  const region = Input.string(stack, 'region', {
    description: 'AWS region of the EKS cluster, e.g. eu-west-3.',
    validation: [Rule.matches('^[a-z]{2}(-[a-z]+)+-[0-9]$', 'an AWS region name')],
  });
  const clusterName = Input.string(stack, 'cluster_name', {
    description: 'Name of the EKS cluster (cluster module output `cluster_name`).',
    validation: [Rule.matches('^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$', 'an EKS cluster name')],
  });
  const endpoint = Input.string(stack, 'cluster_endpoint', {
    description: 'HTTPS endpoint of the Kubernetes API (cluster module output `cluster_endpoint`).',
    validation: [Rule.matches('^https://', 'an https:// URL')],
  });
  const certificateAuthority = Input.string(stack, 'cluster_certificate_authority_data', {
    description:
      'Base64 certificate authority of the cluster (cluster module output `cluster_certificate_authority_data`).',
    validation: [Rule.custom((v) => `can(base64decode(${v}))`, 'Must be base64-encoded data.')],
  });

  const host = endpoint.stringValue;
  const clusterCaCertificate = Fn.base64decode(certificateAuthority.stringValue);
  const exec = {
    apiVersion: EXEC_API_VERSION,
    command: 'aws',
    args: [
      'eks',
      'get-token',
      '--cluster-name',
      clusterName.stringValue,
      '--region',
      region.stringValue,
    ],
  };
  new KubernetesProvider(stack, 'kubernetes', { host, clusterCaCertificate, exec: [exec] });
  new HelmProvider(stack, 'helm', { kubernetes: { host, clusterCaCertificate, exec } });
  // Full source addresses, as for hashicorp/aws, so that no registry default is implied.
  stack.addOverride('terraform.required_providers.helm.source', 'hashicorp/helm');
  stack.addOverride('terraform.required_providers.kubernetes.source', 'hashicorp/kubernetes');
  return { region, clusterName };
}
