import type { EksCluster } from '@cdktf/provider-aws/lib/eks-cluster';
import { EksNodeGroup } from '@cdktf/provider-aws/lib/eks-node-group';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicyAttachment } from '@cdktf/provider-aws/lib/iam-role-policy-attachment';
import { LaunchTemplate } from '@cdktf/provider-aws/lib/launch-template';
import { Token, type ITerraformDependable } from 'cdktf';
import type { Construct } from 'constructs';
import { EC2_INSTANCE_ROLE_TRUST } from './cluster-access-instance';
import type { clusterInputs } from './cluster-inputs';

interface ManagedNodeGroupSettings {
  readonly cluster: EksCluster;
  readonly clusterName: string;
  readonly inputs: ReturnType<typeof clusterInputs>;
  /** ARN of an AWS managed policy, by name. */
  readonly managedPolicy: (name: string) => string;
  /** Add-ons that must run before the first node joins (networking, Pod Identity agent). */
  readonly addonsFirst: readonly ITerraformDependable[];
}

/**
 * The cluster's one managed node group: its instance role, and a launch template enforcing
 * IMDSv2 and an encrypted gp3 root volume. The Cluster Autoscaler changes its size between
 * the inputs' bounds (desired_size is ignored after creation).
 */
export function managedNodeGroup(
  scope: Construct,
  { cluster, clusterName, inputs, managedPolicy, addonsFirst }: ManagedNodeGroupSettings,
): { nodeRole: IamRole; nodeGroup: EksNodeGroup } {
  const nodeRole = new IamRole(scope, 'node_role', {
    name: `${clusterName}-eks-node`,
    description: 'Instance role of the EKS managed nodes',
    assumeRolePolicy: EC2_INSTANCE_ROLE_TRUST,
  });
  const nodePolicies = [
    'AmazonEKSWorkerNodePolicy',
    'AmazonEKS_CNI_Policy',
    'AmazonEC2ContainerRegistryReadOnly',
  ].map(
    (policy) =>
      new IamRolePolicyAttachment(scope, `node_role_${policy}`, {
        role: nodeRole.name,
        policyArn: managedPolicy(policy),
      }),
  );

  const launchTemplate = new LaunchTemplate(scope, 'nodes', {
    name: `${clusterName}-nodes`,
    description: 'EKS nodes: IMDSv2 only, encrypted gp3 root volume',
    updateDefaultVersion: true,
    metadataOptions: {
      httpEndpoint: 'enabled',
      httpTokens: 'required',
      httpPutResponseHopLimit: inputs.hopLimit.numberValue,
      instanceMetadataTags: 'disabled',
    },
    blockDeviceMappings: [
      {
        deviceName: '/dev/xvda',
        ebs: {
          volumeSize: inputs.diskSize.numberValue,
          volumeType: 'gp3',
          encrypted: 'true',
          deleteOnTermination: 'true',
        },
      },
    ],
    monitoring: { enabled: true },
    tagSpecifications: [
      { resourceType: 'instance', tags: { Name: `${clusterName}-node` } },
      { resourceType: 'volume', tags: { Name: `${clusterName}-node` } },
    ],
  });

  const nodeGroup = new EksNodeGroup(scope, 'workers', {
    clusterName: cluster.name,
    nodeGroupName: `${clusterName}-workers`,
    nodeRoleArn: nodeRole.arn,
    subnetIds: inputs.privateSubnetIds.listValue,
    version: inputs.clusterVersion.stringValue,
    amiType: 'AL2023_x86_64_STANDARD',
    capacityType: inputs.capacityType.stringValue,
    instanceTypes: inputs.instanceTypes.listValue,
    scalingConfig: {
      minSize: inputs.minSize.numberValue,
      desiredSize: inputs.desiredSize.numberValue,
      maxSize: inputs.maxSize.numberValue,
    },
    updateConfig: { maxUnavailablePercentage: 33 },
    launchTemplate: {
      id: launchTemplate.id,
      version: Token.asString(launchTemplate.latestVersion),
    },
    labels: { 'payflow.io/capacity-type': inputs.capacityType.stringValue },
    lifecycle: { ignoreChanges: ['scaling_config[0].desired_size'] },
    dependsOn: [...nodePolicies, ...addonsFirst],
  });

  return { nodeRole, nodeGroup };
}
