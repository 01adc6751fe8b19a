import type { PolicyDocument } from '../lib/pod-identity-role';

/** Where the controller acts: this account and region, this cluster and its VPC. */
export interface LoadBalancerControllerScope {
  readonly partition: string;
  readonly region: string;
  readonly accountId: string;
  readonly clusterName: string;
  readonly vpcId: string;
}

/**
 * AWS Load Balancer Controller v2 policy: the official iam_policy.json
 * (kubernetes-sigs/aws-load-balancer-controller/docs/install/iam_policy.json), tightened:
 * - ARNs name this region and account instead of `*:*`;
 * - where the official policy only requires the `elbv2.k8s.aws/cluster` tag to exist, the tag
 *   must name this cluster, so the controller of another cluster cannot touch these resources.
 * Read-only Describe/Get calls keep `Resource: "*"`: those APIs do not support resource scoping.
 */
export function loadBalancerControllerPolicy(scope: LoadBalancerControllerScope): PolicyDocument {
  const { partition, region, accountId, clusterName, vpcId } = scope;
  const ec2 = `arn:${partition}:ec2:${region}:${accountId}`;
  const elb = `arn:${partition}:elasticloadbalancing:${region}:${accountId}`;
  const targetGroups = `${elb}:targetgroup/*/*`;
  const loadBalancers = [`${elb}:loadbalancer/net/*/*`, `${elb}:loadbalancer/app/*/*`];
  const listenersAndRules = [
    `${elb}:listener/net/*/*/*`,
    `${elb}:listener/app/*/*/*`,
    `${elb}:listener-rule/net/*/*/*`,
    `${elb}:listener-rule/app/*/*/*`,
  ];
  const ownedByThisCluster = { 'aws:ResourceTag/elbv2.k8s.aws/cluster': clusterName };
  const taggedForThisCluster = { 'aws:RequestTag/elbv2.k8s.aws/cluster': clusterName };
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'CreateElbServiceLinkedRole',
        Effect: 'Allow',
        Action: ['iam:CreateServiceLinkedRole'],
        Resource: '*',
        Condition: { StringEquals: { 'iam:AWSServiceName': 'elasticloadbalancing.amazonaws.com' } },
      },
      {
        Sid: 'ReadOnlyDiscovery',
        Effect: 'Allow',
        Action: [
          'ec2:DescribeAccountAttributes',
          'ec2:DescribeAddresses',
          'ec2:DescribeAvailabilityZones',
          'ec2:DescribeInternetGateways',
          'ec2:DescribeVpcs',
          'ec2:DescribeVpcPeeringConnections',
          'ec2:DescribeSubnets',
          'ec2:DescribeSecurityGroups',
          'ec2:DescribeInstances',
          'ec2:DescribeNetworkInterfaces',
          'ec2:DescribeTags',
          'ec2:GetCoipPoolUsage',
          'ec2:DescribeCoipPools',
          'ec2:GetSecurityGroupsForVpc',
          'ec2:DescribeIpamPools',
          'ec2:DescribeRouteTables',
          'elasticloadbalancing:DescribeLoadBalancers',
          'elasticloadbalancing:DescribeLoadBalancerAttributes',
          'elasticloadbalancing:DescribeListeners',
          'elasticloadbalancing:DescribeListenerCertificates',
          'elasticloadbalancing:DescribeSSLPolicies',
          'elasticloadbalancing:DescribeRules',
          'elasticloadbalancing:DescribeTargetGroups',
          'elasticloadbalancing:DescribeTargetGroupAttributes',
          'elasticloadbalancing:DescribeTargetHealth',
          'elasticloadbalancing:DescribeTags',
          'elasticloadbalancing:DescribeTrustStores',
          'elasticloadbalancing:DescribeListenerAttributes',
          'elasticloadbalancing:DescribeCapacityReservation',
        ],
        Resource: '*',
      },
      {
        Sid: 'ReadCertificatesWafShield',
        Effect: 'Allow',
        Action: [
          'cognito-idp:DescribeUserPoolClient',
          'acm:ListCertificates',
          'acm:DescribeCertificate',
          'iam:ListServerCertificates',
          'iam:GetServerCertificate',
          'waf-regional:GetWebACL',
          'waf-regional:GetWebACLForResource',
          'wafv2:GetWebACL',
          'wafv2:GetWebACLForResource',
          'shield:GetSubscriptionState',
          'shield:DescribeProtection',
        ],
        Resource: '*',
      },
      {
        // The official policy grants these on "*": scoped here to this account's web ACLs,
        // Shield protections and application load balancers. shield:CreateProtection (Shield
        // Advanced, unused here) accepts no resource ARN, so it is left out rather than scoped
        // to ARNs where it could never be allowed anyway.
        Sid: 'AttachWafAndShieldToLoadBalancers',
        Effect: 'Allow',
        Action: [
          'waf-regional:AssociateWebACL',
          'waf-regional:DisassociateWebACL',
          'wafv2:AssociateWebACL',
          'wafv2:DisassociateWebACL',
          'shield:DeleteProtection',
        ],
        Resource: [
          `arn:${partition}:wafv2:${region}:${accountId}:regional/webacl/*/*`,
          `arn:${partition}:waf-regional:${region}:${accountId}:webacl/*`,
          `arn:${partition}:shield::${accountId}:protection/*`,
          `${elb}:loadbalancer/app/*/*`,
        ],
      },
      {
        Sid: 'CreateSecurityGroupsInTheClusterVpc',
        Effect: 'Allow',
        Action: ['ec2:CreateSecurityGroup'],
        Resource: [`${ec2}:security-group/*`, `${ec2}:vpc/${vpcId}`],
      },
      {
        Sid: 'TagSecurityGroupsAtCreation',
        Effect: 'Allow',
        Action: ['ec2:CreateTags'],
        Resource: `${ec2}:security-group/*`,
        Condition: {
          StringEquals: { 'ec2:CreateAction': 'CreateSecurityGroup', ...taggedForThisCluster },
        },
      },
      {
        Sid: 'RetagOwnSecurityGroups',
        Effect: 'Allow',
        Action: ['ec2:CreateTags', 'ec2:DeleteTags'],
        Resource: `${ec2}:security-group/*`,
        Condition: {
          Null: { 'aws:RequestTag/elbv2.k8s.aws/cluster': 'true' },
          StringEquals: ownedByThisCluster,
        },
      },
      {
        Sid: 'ManageOwnSecurityGroups',
        Effect: 'Allow',
        Action: [
          'ec2:AuthorizeSecurityGroupIngress',
          'ec2:RevokeSecurityGroupIngress',
          'ec2:DeleteSecurityGroup',
        ],
        Resource: `${ec2}:security-group/*`,
        Condition: { StringEquals: ownedByThisCluster },
      },
      {
        // The controller opens the node security group to its load balancers.
        Sid: 'OpenNodeSecurityGroupToLoadBalancers',
        Effect: 'Allow',
        Action: ['ec2:AuthorizeSecurityGroupIngress', 'ec2:RevokeSecurityGroupIngress'],
        Resource: `${ec2}:security-group/*`,
        Condition: {
          StringEquals: { [`aws:ResourceTag/kubernetes.io/cluster/${clusterName}`]: 'owned' },
        },
      },
      {
        Sid: 'CreateLoadBalancersTaggedForThisCluster',
        Effect: 'Allow',
        Action: [
          'elasticloadbalancing:CreateLoadBalancer',
          'elasticloadbalancing:CreateTargetGroup',
        ],
        Resource: [`${elb}:loadbalancer/*`, targetGroups],
        Condition: { StringEquals: taggedForThisCluster },
      },
      {
        Sid: 'ListenersAndRules',
        Effect: 'Allow',
        Action: [
          'elasticloadbalancing:CreateListener',
          'elasticloadbalancing:DeleteListener',
          'elasticloadbalancing:CreateRule',
          'elasticloadbalancing:DeleteRule',
        ],
        Resource: [...loadBalancers, ...listenersAndRules],
      },
      {
        Sid: 'RetagOwnLoadBalancers',
        Effect: 'Allow',
        Action: ['elasticloadbalancing:AddTags', 'elasticloadbalancing:RemoveTags'],
        Resource: [targetGroups, ...loadBalancers],
        Condition: {
          Null: { 'aws:RequestTag/elbv2.k8s.aws/cluster': 'true' },
          StringEquals: ownedByThisCluster,
        },
      },
      {
        Sid: 'TagListenersAndRules',
        Effect: 'Allow',
        Action: ['elasticloadbalancing:AddTags', 'elasticloadbalancing:RemoveTags'],
        Resource: listenersAndRules,
      },
      {
        Sid: 'ManageOwnLoadBalancers',
        Effect: 'Allow',
        Action: [
          'elasticloadbalancing:ModifyLoadBalancerAttributes',
          'elasticloadbalancing:SetIpAddressType',
          'elasticloadbalancing:SetSecurityGroups',
          'elasticloadbalancing:SetSubnets',
          'elasticloadbalancing:DeleteLoadBalancer',
          'elasticloadbalancing:ModifyTargetGroup',
          'elasticloadbalancing:ModifyTargetGroupAttributes',
          'elasticloadbalancing:DeleteTargetGroup',
          'elasticloadbalancing:ModifyListenerAttributes',
          'elasticloadbalancing:ModifyCapacityReservation',
          'elasticloadbalancing:ModifyIpPools',
        ],
        Resource: [targetGroups, ...loadBalancers],
        Condition: { StringEquals: ownedByThisCluster },
      },
      {
        Sid: 'TagLoadBalancersAtCreation',
        Effect: 'Allow',
        Action: ['elasticloadbalancing:AddTags'],
        Resource: [targetGroups, ...loadBalancers],
        Condition: {
          StringEquals: {
            'elasticloadbalancing:CreateAction': ['CreateTargetGroup', 'CreateLoadBalancer'],
            ...taggedForThisCluster,
          },
        },
      },
      {
        Sid: 'RegisterTargets',
        Effect: 'Allow',
        Action: ['elasticloadbalancing:RegisterTargets', 'elasticloadbalancing:DeregisterTargets'],
        Resource: targetGroups,
      },
      {
        // AWS WAF checks that whoever associates a web ACL with a load balancer may also call
        // SetWebAcl, which accepts no resource ARN: scoped to ARNs it would never be allowed,
        // and the wafv2-acl-arn annotation would fail. The region is its only possible scope.
        Sid: 'SetWebAclForWafAssociations',
        Effect: 'Allow',
        Action: ['elasticloadbalancing:SetWebAcl'],
        Resource: '*',
        Condition: { StringEquals: { 'aws:RequestedRegion': region } },
      },
      {
        Sid: 'ListenerSettings',
        Effect: 'Allow',
        Action: [
          'elasticloadbalancing:ModifyListener',
          'elasticloadbalancing:AddListenerCertificates',
          'elasticloadbalancing:RemoveListenerCertificates',
          'elasticloadbalancing:ModifyRule',
          'elasticloadbalancing:SetRulePriorities',
        ],
        Resource: [`${elb}:loadbalancer/app/*/*`, ...listenersAndRules],
      },
    ],
  };
}
