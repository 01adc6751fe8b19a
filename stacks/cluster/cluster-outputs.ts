import type { EksCluster } from '@cdktf/provider-aws/lib/eks-cluster';
import type { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import type { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import type { ModuleStack } from '../lib/module-stack';
import type { PodIdentityRole } from '../lib/pod-identity-role';
import { type ClusterAccessInstance, PORT_FORWARDING_DOCUMENT } from './cluster-access-instance';

interface Outputs {
  cluster: EksCluster;
  clusterAccess: ClusterAccessInstance;
  nodeRole: IamRole;
  key: KmsKey;
  loadBalancerController: PodIdentityRole;
  clusterAutoscaler: PodIdentityRole;
  ebsCsi: PodIdentityRole;
}

/** The cluster module's outputs (outputs.tf): a contract with the data, platform and app layers and live/. */
export function clusterOutputs(
  stack: ModuleStack,
  {
    cluster,
    clusterAccess,
    nodeRole,
    key,
    loadBalancerController,
    clusterAutoscaler,
    ebsCsi,
  }: Outputs,
): void {
  stack.output('cluster_name', { value: cluster.name, description: 'Name of the EKS cluster.' });
  stack.output('cluster_arn', { value: cluster.arn, description: 'ARN of the EKS cluster.' });
  stack.output('cluster_endpoint', {
    value: cluster.endpoint,
    description:
      'HTTPS endpoint of the Kubernetes API (Kubernetes/Helm providers of later layers).',
  });
  stack.output('cluster_certificate_authority_data', {
    value: cluster.certificateAuthority.get(0).data,
    description: 'Base64 CA certificate of the Kubernetes API.',
  });
  stack.output('cluster_version', {
    value: cluster.version,
    description: 'Kubernetes version running on the control plane.',
  });
  stack.output('cluster_security_group_id', {
    value: cluster.vpcConfig.clusterSecurityGroupId,
    description: 'Security group EKS created for the control plane and the managed nodes.',
  });
  stack.output('node_security_group_id', {
    value: cluster.vpcConfig.clusterSecurityGroupId,
    description:
      'Security group of the nodes and their pods (managed nodes use the EKS cluster security ' +
      'group): the data layer admits PostgreSQL/Redis from it.',
  });
  stack.output('cluster_access_instance_id', {
    value: clusterAccess.instance.id,
    description:
      'Instance that forwards a local port to the private Kubernetes API (aws ssm start-session ' +
      `--document-name ${PORT_FORWARDING_DOCUMENT}): live/environment.sh opens the tunnel.`,
  });
  stack.output('node_role_arn', {
    value: nodeRole.arn,
    description: 'Instance role of the nodes.',
  });
  stack.output('kms_key_arn', {
    value: key.arn,
    description: 'KMS key encrypting Kubernetes Secrets and the control-plane logs.',
  });
  stack.output('load_balancer_controller_role_arn', {
    value: loadBalancerController.role.arn,
    description: 'Pod Identity role of kube-system/aws-load-balancer-controller.',
  });
  stack.output('cluster_autoscaler_role_arn', {
    value: clusterAutoscaler.role.arn,
    description: 'Pod Identity role of kube-system/cluster-autoscaler.',
  });
  stack.output('ebs_csi_role_arn', {
    value: ebsCsi.role.arn,
    description: 'Pod Identity role of kube-system/ebs-csi-controller-sa.',
  });
}
