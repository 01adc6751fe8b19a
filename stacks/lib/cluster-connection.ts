import { HelmProvider } from '@cdktf/provider-helm/lib/provider';
import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import { Fn, type TerraformStack, type TerraformVariable } from 'cdktf';
import { Input, Rule } from './inputs';
import { AWS_REGION_PATTERN } from './module-stack';

/** What an EKS cluster name looks like (the EKS API's own rule). */
export const EKS_CLUSTER_NAME_PATTERN = '^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$';

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
 * its outputs reliable. The API endpoint is private: outside the VPC the providers talk to the
 * local end of an SSM tunnel (cluster_tunnel_url) and check TLS against the endpoint's name.
 */
export function connectToCluster(stack: TerraformStack): ClusterConnection {
  const region = Input.string(stack, 'region', {
    description: 'AWS region of the EKS cluster, e.g. eu-west-3.',
    validation: [Rule.matches(AWS_REGION_PATTERN, 'an AWS region name')],
  });
  const clusterName = Input.string(stack, 'cluster_name', {
    description: 'Name of the EKS cluster (cluster module output `cluster_name`).',
    validation: [Rule.matches(EKS_CLUSTER_NAME_PATTERN, 'an EKS cluster name')],
  });
  const endpoint = Input.string(stack, 'cluster_endpoint', {
    description: 'HTTPS endpoint of the Kubernetes API (cluster module output `cluster_endpoint`).',
    // The host alone: it is also the name TLS checks (tls_server_name).
    validation: [
      Rule.matches('^https://[A-Za-z0-9.-]+$', 'an https:// URL without a path or a port'),
    ],
  });
  const certificateAuthority = Input.string(stack, 'cluster_certificate_authority_data', {
    description:
      'Base64 certificate authority of the cluster (cluster module output `cluster_certificate_authority_data`).',
    validation: [Rule.custom((v) => `can(base64decode(${v}))`, 'Must be base64-encoded data.')],
  });

  const tunnel = Input.string(stack, 'cluster_tunnel_url', {
    description:
      'https://127.0.0.1:<port> of an SSM port-forwarding tunnel to cluster_endpoint, which ' +
      'live/environment.sh opens and passes (PAYFLOW_CLUSTER_TUNNEL_URL). "": connect to ' +
      'cluster_endpoint directly, from inside the VPC. Either way TLS checks the certificate ' +
      "against the endpoint's own host name.",
    default: '',
    validation: [
      Rule.custom(
        (v) => `${v} == "" || can(regex("^https://(127[.]0[.]0[.]1|localhost):[0-9]{1,5}$", ${v}))`,
        'Must be "" or https://127.0.0.1:<port>, the local end of the tunnel.',
      ),
    ],
  });

  // coalesce: the first argument that is not "".
  const host = Fn.coalesce([tunnel.stringValue, endpoint.stringValue]);
  // The API's certificate names the endpoint's host, not 127.0.0.1.
  const tlsServerName = Fn.trimprefix(endpoint.stringValue, 'https://');
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
  new KubernetesProvider(stack, 'kubernetes', {
    host,
    tlsServerName,
    clusterCaCertificate,
    exec: [exec],
  });
  new HelmProvider(stack, 'helm', {
    kubernetes: { host, tlsServerName, clusterCaCertificate, exec },
  });
  // Full source addresses, as for hashicorp/aws, so that no registry default is implied.
  stack.addOverride('terraform.required_providers.helm.source', 'hashicorp/helm');
  stack.addOverride('terraform.required_providers.kubernetes.source', 'hashicorp/kubernetes');
  return { region, clusterName };
}
