import { IamPolicy } from '@cdktf/provider-aws/lib/iam-policy';
import { Construct } from 'constructs';

/**
 * IAM actions on a role that change what it may do: the deploy role may call them only with
 * `iam:PermissionsBoundary` = the project's boundary (the role carries it, or gets it).
 */
export const BOUNDED_ROLE_ACTIONS = [
  'iam:AttachRolePolicy',
  'iam:CreateRole',
  'iam:DeleteRolePolicy',
  'iam:DetachRolePolicy',
  'iam:PutRolePermissionsBoundary',
  'iam:PutRolePolicy',
];

/** What would change the boundary policy itself: denied to the deploy role. */
export const BOUNDARY_POLICY_WRITES = [
  'iam:CreatePolicyVersion',
  'iam:DeletePolicy',
  'iam:DeletePolicyVersion',
  'iam:SetDefaultPolicyVersion',
  'iam:TagPolicy',
  'iam:UntagPolicy',
];

/**
 * Everything a role of the environment modules may ever be allowed to do, whatever policies it
 * holds: the union of what their roles need (the EKS control plane and nodes through their AWS
 * managed policies, the load balancer controller, the autoscaler, the EBS CSI driver,
 * external-secrets, Loki, Tempo, the API's database logins, VPC flow logs, RDS enhanced monitoring). No IAM administration,
 * no other service: a role the GitHub deploy role creates cannot be made more powerful than this,
 * so the deploy role cannot make itself an administrator through a role it creates or changes.
 */
export const PROJECT_ROLE_BOUNDARY_ACTIONS = [
  // EKS control plane, nodes, VPC CNI, EBS CSI driver, load balancer controller, autoscaler
  'autoscaling:*',
  'ec2:*',
  'elasticloadbalancing:*',
  'eks:Describe*',
  'eks:List*',
  'eks-auth:AssumeRoleForPodIdentity',
  // nodes pull images (AmazonEC2ContainerRegistryReadOnly)
  'ecr:BatchCheckLayerAvailability',
  'ecr:BatchGet*',
  'ecr:Describe*',
  'ecr:Get*',
  'ecr:List*',
  // load balancer controller: certificates, WAF and Shield of the load balancers it creates
  'acm:DescribeCertificate',
  'acm:ListCertificates',
  'cognito-idp:DescribeUserPoolClient',
  'shield:*',
  'waf-regional:*',
  'wafv2:*',
  // the only IAM: service-linked roles (control plane, load balancer controller), certificates
  'iam:CreateServiceLinkedRole',
  'iam:GetServerCertificate',
  'iam:ListServerCertificates',
  // encryption keys (Secrets envelope encryption, EBS volumes, data key of the buckets/secrets)
  'kms:CreateGrant',
  'kms:Decrypt',
  'kms:DescribeKey',
  'kms:Encrypt',
  'kms:GenerateDataKey*',
  'kms:ListGrants',
  'kms:ReEncrypt*',
  // flow logs, RDS enhanced monitoring
  'logs:CreateLogGroup',
  'logs:CreateLogStream',
  'logs:Describe*',
  'logs:Get*',
  'logs:PutLogEvents',
  'logs:PutRetentionPolicy',
  // Loki and Tempo objects, external-secrets reads
  's3:DeleteObject',
  's3:GetObject',
  's3:ListBucket',
  's3:PutObject',
  'secretsmanager:DescribeSecret',
  'secretsmanager:GetSecretValue',
  // the API's IAM authentication to PostgreSQL and Redis (no password)
  'rds-db:connect',
  'elasticache:Connect',
  // the SSM agent of the cluster's tunnel instance (AmazonSSMManagedInstanceCore): it registers,
  // reads its associations and carries the Session Manager sessions (port forwarding)
  'ec2messages:*',
  'ssm:DescribeAssociation',
  'ssm:DescribeDocument',
  'ssm:GetDeployablePatchSnapshotForInstance',
  'ssm:GetDocument',
  'ssm:GetManifest',
  'ssm:GetParameter',
  'ssm:GetParameters',
  'ssm:ListAssociations',
  'ssm:ListInstanceAssociations',
  'ssm:PutComplianceItems',
  'ssm:PutConfigurePackageResult',
  'ssm:PutInventory',
  'ssm:UpdateAssociationStatus',
  'ssm:UpdateInstanceAssociationStatus',
  'ssm:UpdateInstanceInformation',
  'ssmmessages:*',
] as const;

export interface PermissionsBoundaryProps {
  /** Name of the managed policy (account-wide: one per project). */
  readonly policyName: string;
}

/** The managed policy every role of the network, cluster and data modules carries as boundary. */
export class PermissionsBoundary extends Construct {
  readonly policy: IamPolicy;

  constructor(scope: Construct, id: string, props: PermissionsBoundaryProps) {
    super(scope, id);
    this.policy = new IamPolicy(this, 'policy', {
      name: props.policyName,
      description:
        'Permissions boundary of every role the environment modules create: the most any of them may do',
      policy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'WhatProjectRolesMayEverDo',
            Effect: 'Allow',
            Action: PROJECT_ROLE_BOUNDARY_ACTIONS,
            Resource: '*',
          },
        ],
      }),
    });
  }
}
