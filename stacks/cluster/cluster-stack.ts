import { DataAwsCallerIdentity } from '@cdktf/provider-aws/lib/data-aws-caller-identity';
import { DataAwsEksAddonVersion } from '@cdktf/provider-aws/lib/data-aws-eks-addon-version';
import { DataAwsPartition } from '@cdktf/provider-aws/lib/data-aws-partition';
import { EksAddon, type EksAddonConfig } from '@cdktf/provider-aws/lib/eks-addon';
import { EksCluster } from '@cdktf/provider-aws/lib/eks-cluster';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { IamRolePolicyAttachment } from '@cdktf/provider-aws/lib/iam-role-policy-attachment';
import { Fn, Token } from 'cdktf';
import type { Construct } from 'constructs';
import { encryptedLogGroup } from '../lib/encrypted-log-group';
import { ModuleStack } from '../lib/module-stack';
import { PodIdentityRole } from '../lib/pod-identity-role';
import { ClusterAccessInstance } from './cluster-access-instance';
import { clusterAutoscalerPolicy } from './cluster-autoscaler-policy';
import { loadBalancerControllerPolicy } from './load-balancer-controller-policy';
import { clusterAccessEntries } from './cluster-access-entries';
import { clusterInputs } from './cluster-inputs';
import { clusterOutputs } from './cluster-outputs';
import { managedNodeGroup } from './managed-node-group';

export const CONTROL_PLANE_LOG_TYPES = [
  'api',
  'audit',
  'authenticator',
  'controllerManager',
  'scheduler',
] as const;

export const CORE_ADDONS = [
  'vpc-cni',
  'kube-proxy',
  'eks-pod-identity-agent',
  'coredns',
  'aws-ebs-csi-driver',
] as const;

/** vpc-cni add-on configuration (schema: `aws eks describe-addon-configuration`). */
export const VPC_CNI_CONFIGURATION = { enableNetworkPolicy: 'true' } as const;

/**
 * The Kubernetes cluster of one environment: EKS control plane (private endpoint, reached
 * through an SSM port-forwarding tunnel instance; public endpoint off or restricted to CIDRs), Secrets envelope-encrypted with a rotated KMS key,
 * every control-plane log type in CloudWatch, access entries instead of the aws-auth
 * ConfigMap, one managed node group (IMDSv2, encrypted gp3), core add-ons, and the Pod
 * Identity roles of the controllers acting on AWS resources this layer owns.
 */
export class ClusterStack extends ModuleStack {
  constructor(scope: Construct, id: string) {
    super(scope, id, {
      createsRoles: true,
      purpose:
        'The EKS cluster of one environment: control plane with a private endpoint (public endpoint ' +
        'off or CIDR-restricted) and the Systems Manager instance that tunnels to it (no inbound ' +
        'port), KMS envelope encryption of Kubernetes Secrets, all control-plane ' +
        'logs, API authentication mode with access entries for administrators and read-only viewers, a managed node group ' +
        '(launch template enforcing IMDSv2 and encrypted gp3 volumes), the core add-ons (vpc-cni ' +
        'enforcing Kubernetes NetworkPolicies, kube-proxy, coredns, eks-pod-identity-agent, ' +
        'aws-ebs-csi-driver) and EKS Pod Identity roles ' +
        'for the AWS Load Balancer Controller, the Cluster Autoscaler and the EBS CSI driver.',
    });

    const inputs = clusterInputs(this);

    const partition = new DataAwsPartition(this, 'current');
    const caller = new DataAwsCallerIdentity(this, 'current_account');
    const accountId = caller.accountId;
    const region = this.region.stringValue;
    const clusterName = this.namePrefix; // network tags its subnets with this same name
    const logGroupName = `/aws/eks/${clusterName}/cluster`;
    const managedPolicy = (name: string) => `arn:${partition.partition}:iam::aws:policy/${name}`;

    // ---- KMS key: Secrets envelope encryption and the control-plane log group. The log
    // group is created before the cluster so EKS does not create it without retention or
    // encryption; the cluster role's own policy grants it the key for Secrets.
    const { key, logGroup } = encryptedLogGroup(this, {
      ids: { key: 'cluster', alias: 'cluster_alias', logGroup: 'control_plane' },
      keyDescription: `Encrypts Kubernetes Secrets and control-plane logs of ${clusterName}`,
      aliasName: `alias/${clusterName}-eks`,
      logGroupName,
      retentionInDays: inputs.logRetention.numberValue,
      partition: partition.partition,
      region,
      accountId,
    });

    // ---- control plane role
    const clusterRole = new IamRole(this, 'cluster_role', {
      name: `${clusterName}-eks-cluster`,
      description: 'Assumed by the EKS control plane of this cluster',
      assumeRolePolicy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { Service: 'eks.amazonaws.com' },
            Action: ['sts:AssumeRole', 'sts:TagSession'],
            Condition: { StringEquals: { 'aws:SourceAccount': accountId } },
          },
        ],
      }),
    });
    const clusterPolicy = new IamRolePolicyAttachment(this, 'cluster_role_eks', {
      role: clusterRole.name,
      policyArn: managedPolicy('AmazonEKSClusterPolicy'),
    });
    const clusterKeyUse = new IamRolePolicy(this, 'cluster_role_kms', {
      name: 'secrets-encryption-key',
      role: clusterRole.id,
      policy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Action: ['kms:Encrypt', 'kms:Decrypt', 'kms:ListGrants', 'kms:DescribeKey'],
            Resource: key.arn,
          },
        ],
      }),
    });

    const cluster = new EksCluster(this, 'this', {
      name: clusterName,
      version: inputs.clusterVersion.stringValue,
      roleArn: clusterRole.arn,
      vpcConfig: {
        subnetIds: inputs.privateSubnetIds.listValue,
        endpointPrivateAccess: true,
        endpointPublicAccess: inputs.publicEndpoint.booleanValue,
        // null when the endpoint is private: AWS would otherwise record 0.0.0.0/0.
        publicAccessCidrs: Token.asList(
          `\${var.${inputs.publicEndpoint.friendlyUniqueId} ? var.${inputs.publicCidrs.friendlyUniqueId} : null}`,
        ),
      },
      encryptionConfig: { provider: { keyArn: key.arn }, resources: ['secrets'] },
      enabledClusterLogTypes: [...CONTROL_PLANE_LOG_TYPES],
      accessConfig: {
        authenticationMode: 'API',
        // Nobody is admin implicitly: admin_principal_arns are, through access entries.
        bootstrapClusterCreatorAdminPermissions: false,
      },
      upgradePolicy: { supportType: 'STANDARD' },
      dependsOn: [logGroup, clusterPolicy, clusterKeyUse],
    });

    clusterAccessEntries(this, {
      cluster,
      partition: partition.partition,
      caller,
      adminArns: inputs.adminArns,
      viewerArns: inputs.viewerArns,
      grantDeployerAdmin: inputs.grantDeployerAdmin,
    });

    // ---- core add-ons
    const addon = (
      name: (typeof CORE_ADDONS)[number],
      options: Pick<
        EksAddonConfig,
        'configurationValues' | 'dependsOn' | 'podIdentityAssociation'
      > = {},
    ) => {
      const id = `addon_${name.replace(/-/g, '_')}`;
      // EKS's default version of the add-on for the cluster's Kubernetes version: raising
      // cluster_version moves every add-on along with the control plane.
      const release = new DataAwsEksAddonVersion(this, `${id}_version`, {
        addonName: name,
        kubernetesVersion: inputs.clusterVersion.stringValue,
        mostRecent: false,
      });
      return new EksAddon(this, id, {
        clusterName: cluster.name,
        addonName: name,
        addonVersion: release.version,
        resolveConflictsOnCreate: 'OVERWRITE',
        resolveConflictsOnUpdate: 'OVERWRITE',
        ...options,
      });
    };
    // Networking and the Pod Identity agent must exist before the first node joins;
    // CoreDNS and the EBS CSI controller need nodes to become healthy.
    // The CNI's network policy agent enforces Kubernetes NetworkPolicies (the API chart ships
    // some): without it they are accepted by the API server and silently ignored.
    const earlyAddons = [
      addon('vpc-cni', { configurationValues: JSON.stringify(VPC_CNI_CONFIGURATION) }),
      addon('kube-proxy'),
    ];
    const podIdentityAgent = addon('eks-pod-identity-agent');

    // ---- nodes
    const { nodeRole, nodeGroup } = managedNodeGroup(this, {
      cluster,
      clusterName,
      inputs,
      managedPolicy,
      addonsFirst: [...earlyAddons, podIdentityAgent],
    });

    // ---- the way in: an SSM port-forwarding tunnel to the private API endpoint
    const clusterAccess = new ClusterAccessInstance(this, 'cluster_access', {
      clusterName,
      partition: partition.partition,
      vpcId: inputs.vpcId.stringValue,
      subnetId: Fn.element(inputs.privateSubnetIds.listValue, 0),
      clusterSecurityGroupId: cluster.vpcConfig.clusterSecurityGroupId,
      ssmEndpointsSecurityGroupId: inputs.ssmEndpointsSecurityGroup.stringValue,
    });

    // ---- controllers acting on AWS (Pod Identity, roles scoped to this cluster)
    const policyScope = {
      partition: partition.partition,
      region,
      accountId,
      clusterName,
      vpcId: inputs.vpcId.stringValue,
    };
    const ebsCsi = new PodIdentityRole(this, 'ebs_csi', {
      roleName: `${clusterName}-ebs-csi`,
      clusterName: cluster.name,
      clusterArn: cluster.arn,
      namespace: 'kube-system',
      serviceAccount: 'ebs-csi-controller-sa',
      managedPolicyArns: [managedPolicy('service-role/AmazonEBSCSIDriverPolicy')],
      associate: false, // the add-on below carries the association
    });
    addon('aws-ebs-csi-driver', {
      // The volumes of PersistentVolumeClaims carry the environment's tags: make destroy finds
      // those the cluster leaves (Helm never deletes a StatefulSet's claims) by them.
      configurationValues: Fn.jsonencode({
        controller: {
          extraVolumeTags: {
            Project: this.project.stringValue,
            Environment: this.environment.stringValue,
          },
        },
      }),
      podIdentityAssociation: [
        { roleArn: ebsCsi.role.arn, serviceAccount: 'ebs-csi-controller-sa' },
      ],
      dependsOn: [nodeGroup, podIdentityAgent],
    });
    addon('coredns', { dependsOn: [nodeGroup] });

    const loadBalancerController = new PodIdentityRole(this, 'load_balancer_controller', {
      roleName: `${clusterName}-aws-load-balancer-controller`,
      clusterName: cluster.name,
      clusterArn: cluster.arn,
      namespace: 'kube-system',
      serviceAccount: 'aws-load-balancer-controller',
      policy: loadBalancerControllerPolicy(policyScope),
    });
    const clusterAutoscaler = new PodIdentityRole(this, 'cluster_autoscaler', {
      roleName: `${clusterName}-cluster-autoscaler`,
      clusterName: cluster.name,
      clusterArn: cluster.arn,
      namespace: 'kube-system',
      serviceAccount: 'cluster-autoscaler',
      policy: clusterAutoscalerPolicy(policyScope),
    });

    clusterOutputs(this, {
      cluster,
      clusterAccess,
      nodeRole,
      key,
      loadBalancerController,
      clusterAutoscaler,
      ebsCsi,
    });
  }
}
