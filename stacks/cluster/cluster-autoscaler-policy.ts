import type { PolicyDocument } from '../lib/pod-identity-role';

/** Where the autoscaler acts: this account and region, this cluster's node groups. */
export interface ClusterAutoscalerScope {
  readonly partition: string;
  readonly region: string;
  readonly accountId: string;
  readonly clusterName: string;
}

/**
 * Cluster Autoscaler (auto-discovery of managed node groups): it may only change the size of
 * Auto Scaling groups tagged for this cluster (EKS tags managed node group ASGs with
 * `k8s.io/cluster-autoscaler/<cluster>`); everything else is read-only.
 */
export function clusterAutoscalerPolicy(scope: ClusterAutoscalerScope): PolicyDocument {
  const { partition, region, accountId, clusterName } = scope;
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'ScaleOnlyThisClustersNodeGroups',
        Effect: 'Allow',
        Action: [
          'autoscaling:SetDesiredCapacity',
          'autoscaling:TerminateInstanceInAutoScalingGroup',
        ],
        Resource: `arn:${partition}:autoscaling:${region}:${accountId}:autoScalingGroup:*:autoScalingGroupName/*`,
        Condition: {
          StringEquals: { [`aws:ResourceTag/k8s.io/cluster-autoscaler/${clusterName}`]: 'owned' },
        },
      },
      {
        Sid: 'DiscoverNodeGroups',
        Effect: 'Allow',
        Action: [
          'autoscaling:DescribeAutoScalingGroups',
          'autoscaling:DescribeAutoScalingInstances',
          'autoscaling:DescribeLaunchConfigurations',
          'autoscaling:DescribeScalingActivities',
          'autoscaling:DescribeTags',
          'ec2:DescribeImages',
          'ec2:DescribeInstanceTypes',
          'ec2:DescribeLaunchTemplateVersions',
          'ec2:GetInstanceTypesFromInstanceRequirements',
        ],
        Resource: '*',
      },
      {
        Sid: 'DescribeThisClustersNodeGroups',
        Effect: 'Allow',
        Action: ['eks:DescribeNodegroup'],
        Resource: `arn:${partition}:eks:${region}:${accountId}:nodegroup/${clusterName}/*/*`,
      },
    ],
  };
}
