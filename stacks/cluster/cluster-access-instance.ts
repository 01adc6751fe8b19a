import type { DataAwsIamPolicyDocumentStatement } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';
import { DataAwsSsmParameter } from '@cdktf/provider-aws/lib/data-aws-ssm-parameter';
import { IamInstanceProfile } from '@cdktf/provider-aws/lib/iam-instance-profile';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicyAttachment } from '@cdktf/provider-aws/lib/iam-role-policy-attachment';
import { Instance } from '@cdktf/provider-aws/lib/instance';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import { VpcSecurityGroupEgressRule } from '@cdktf/provider-aws/lib/vpc-security-group-egress-rule';
import { VpcSecurityGroupIngressRule } from '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule';
import { Fn, Op, TerraformCount, Token } from 'cdktf';
import { Construct } from 'constructs';

/**
 * The tag that makes an instance a tunnel to a Kubernetes API. The GitHub plan and deploy roles
 * (stacks/shared) may start Systems Manager sessions only on instances of the project carrying it.
 */
export const CLUSTER_TUNNEL_TAG = { key: 'Role', value: 'kubernetes-api-tunnel' } as const;
/** The only Session Manager document the tunnel is opened with (live/environment.sh). */
export const PORT_FORWARDING_DOCUMENT = 'AWS-StartPortForwardingSessionToRemoteHost';
/** The one AWS managed policy of the instance: the SSM agent's own calls, nothing else. */
export const SSM_AGENT_POLICY = 'AmazonSSMManagedInstanceCore';
/** Amazon Linux 2023 for Graviton (the SSM agent is preinstalled), from AWS's public parameter. */
export const AMAZON_LINUX_PARAMETER =
  '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64';
/** Trust policy of an instance role: EC2 assumes it for the instances of its profile. */
export const EC2_INSTANCE_ROLE_TRUST = JSON.stringify({
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' },
  ],
});
/** The smallest Graviton instance: it only relays bytes (about 3 USD a month). */
const INSTANCE_TYPE = 't4g.nano';
const KUBERNETES_API_PORT = 443;

export interface ClusterAccessInstanceProps {
  /** `<project>-<environment>`, the cluster's name. */
  readonly clusterName: string;
  readonly partition: string;
  readonly vpcId: string;
  /** A private subnet (no public IP, outbound through NAT or the interface endpoints). */
  readonly subnetId: string;
  /** The EKS cluster security group: the control plane's network interfaces use it. */
  readonly clusterSecurityGroupId: string;
  /** Security group of the VPC's Systems Manager interface endpoints; "" when it has none. */
  readonly ssmEndpointsSecurityGroupId: string;
}

/**
 * A Systems Manager managed instance in a private subnet through which `aws ssm start-session
 * --document-name AWS-StartPortForwardingSessionToRemoteHost` forwards a local port to the
 * cluster's private API endpoint. It accepts no inbound connection at all (the SSM agent dials
 * out), requires IMDSv2, has an encrypted root volume, and its role holds only the SSM agent's
 * policy; its one egress besides Systems Manager is HTTPS to the cluster security group. Who may
 * open a tunnel is decided by IAM (`ssm:StartSession` on instances tagged CLUSTER_TUNNEL_TAG),
 * and what the tunnel may do by the caller's EKS access entry: the instance holds no credential
 * for the cluster. docs/adr/012-cluster-access-through-ssm.md explains the choice.
 */
export class ClusterAccessInstance extends Construct {
  readonly instance: Instance;
  readonly securityGroup: SecurityGroup;

  constructor(scope: Construct, id: string, props: ClusterAccessInstanceProps) {
    super(scope, id);
    const name = `${props.clusterName}-cluster-access`;

    const role = new IamRole(this, 'role', {
      name,
      description: 'Instance role of the SSM tunnel to the Kubernetes API: SSM agent only',
      assumeRolePolicy: EC2_INSTANCE_ROLE_TRUST,
    });
    new IamRolePolicyAttachment(this, 'ssm_agent', {
      role: role.name,
      policyArn: `arn:${props.partition}:iam::aws:policy/${SSM_AGENT_POLICY}`,
    });
    const profile = new IamInstanceProfile(this, 'profile', { name, role: role.name });

    // No ingress rule, ever: Session Manager connections are opened by the agent, outbound.
    this.securityGroup = new SecurityGroup(this, 'security_group', {
      name,
      description: 'SSM tunnel to the Kubernetes API: no inbound, HTTPS out to the API and SSM',
      vpcId: props.vpcId,
      tags: { Name: name },
    });
    new VpcSecurityGroupEgressRule(this, 'to_kubernetes_api', {
      securityGroupId: this.securityGroup.id,
      description: 'The Kubernetes API (EKS cluster security group)',
      ipProtocol: 'tcp',
      fromPort: KUBERNETES_API_PORT,
      toPort: KUBERNETES_API_PORT,
      referencedSecurityGroupId: props.clusterSecurityGroupId,
    });
    new VpcSecurityGroupIngressRule(this, 'kubernetes_api_from_tunnel', {
      securityGroupId: props.clusterSecurityGroupId,
      description: 'The Kubernetes API from the SSM tunnel instance',
      ipProtocol: 'tcp',
      fromPort: KUBERNETES_API_PORT,
      toPort: KUBERNETES_API_PORT,
      referencedSecurityGroupId: this.securityGroup.id,
    });
    // Systems Manager (ssm, ssmmessages, ec2messages): its interface endpoints when the VPC has
    // them, else the public endpoints through the NAT gateway.
    // length >= 1, not > 0: CDKTF's Op renders a literal 0 as "undefined".
    const viaEndpoints = Op.gte(Fn.lengthOf(props.ssmEndpointsSecurityGroupId), 1);
    new VpcSecurityGroupEgressRule(this, 'to_ssm_endpoints', {
      count: TerraformCount.of(Token.asNumber(Fn.conditional(viaEndpoints, 1, 0))),
      securityGroupId: this.securityGroup.id,
      description: 'Systems Manager, through the VPC interface endpoints',
      ipProtocol: 'tcp',
      fromPort: 443,
      toPort: 443,
      referencedSecurityGroupId: props.ssmEndpointsSecurityGroupId,
    });
    new VpcSecurityGroupEgressRule(this, 'to_ssm_through_nat', {
      count: TerraformCount.of(Token.asNumber(Fn.conditional(viaEndpoints, 0, 1))),
      securityGroupId: this.securityGroup.id,
      description:
        'Systems Manager public endpoints, through the NAT gateway (no interface endpoints)',
      ipProtocol: 'tcp',
      fromPort: 443,
      toPort: 443,
      cidrIpv4: '0.0.0.0/0',
    });

    // A new Amazon Linux release replaces the instance at the next apply of the cluster layer:
    // it is stateless, and so always patched.
    const image = new DataAwsSsmParameter(this, 'image', { name: AMAZON_LINUX_PARAMETER });
    this.instance = new Instance(this, 'instance', {
      ami: image.insecureValue,
      instanceType: INSTANCE_TYPE,
      subnetId: props.subnetId,
      associatePublicIpAddress: false,
      vpcSecurityGroupIds: [this.securityGroup.id],
      iamInstanceProfile: profile.name,
      metadataOptions: {
        httpEndpoint: 'enabled',
        httpTokens: 'required',
        httpPutResponseHopLimit: 1,
        instanceMetadataTags: 'disabled',
      },
      rootBlockDevice: {
        encrypted: true,
        volumeType: 'gp3',
        deleteOnTermination: true,
        tags: { Name: name },
      },
      tags: { Name: name, [CLUSTER_TUNNEL_TAG.key]: CLUSTER_TUNNEL_TAG.value },
    });
  }
}

export interface ClusterTunnelScope {
  readonly partition: string;
  readonly region: string;
  readonly accountId: string;
  readonly project: string;
}

/**
 * What a principal needs to open the tunnel of any environment of the project in the region:
 * `ssm:StartSession` on the project's tunnel instances (by tag: their ids change with every
 * environment and every Amazon Linux image) with the port-forwarding document only:
 * `ssm:SessionDocumentAccessCheck` makes Session Manager check the document even when none is
 * named, so a session without one (a shell) is refused. The plugin then opens the session's data
 * channel with the caller's credentials. The GitHub plan and deploy roles get these statements
 * (stacks/shared); administrators need the same, plus `ec2:DescribeInstanceStatus`
 * (docs/adr/012-cluster-access-through-ssm.md). Kubernetes rights come from EKS access entries.
 */
export function clusterTunnelStatements(
  scope: ClusterTunnelScope,
): DataAwsIamPolicyDocumentStatement[] {
  const { partition, region, accountId, project } = scope;
  return [
    {
      sid: 'OpenTheClusterTunnelOfTheProject',
      actions: ['ssm:StartSession'],
      resources: [`arn:${partition}:ec2:${region}:${accountId}:instance/*`],
      condition: [
        {
          test: 'StringEquals',
          variable: `ssm:resourceTag/${CLUSTER_TUNNEL_TAG.key}`,
          values: [CLUSTER_TUNNEL_TAG.value],
        },
        { test: 'StringEquals', variable: 'ssm:resourceTag/Project', values: [project] },
        { test: 'BoolIfExists', variable: 'ssm:SessionDocumentAccessCheck', values: ['true'] },
      ],
    },
    {
      sid: 'OnlyWithThePortForwardingDocument',
      actions: ['ssm:StartSession'],
      resources: [`arn:${partition}:ssm:${region}::document/${PORT_FORWARDING_DOCUMENT}`],
    },
    {
      sid: 'ConnectToTheTunnelSession',
      actions: ['ssmmessages:OpenDataChannel'],
      resources: [`arn:${partition}:ssm:${region}:${accountId}:session/*`],
    },
  ];
}

/**
 * What the GitHub deploy role needs, besides EC2 and the project's roles, to apply the tunnel
 * instance: AWS's public parameter naming its image, and its instance profile (named like the
 * project's roles; the role in it carries the project's permissions boundary).
 */
export function tunnelInstanceDeployStatements(
  scope: ClusterTunnelScope,
): DataAwsIamPolicyDocumentStatement[] {
  const { partition, region, accountId, project } = scope;
  return [
    {
      sid: 'ReadTheTunnelInstanceImageParameter',
      actions: ['ssm:GetParameter', 'ssm:GetParameters'],
      // AWS's public parameters have no account in their ARN (`::`); `*` matches that too.
      resources: [`arn:${partition}:ssm:${region}:*:parameter${AMAZON_LINUX_PARAMETER}`],
    },
    {
      sid: 'ProjectInstanceProfiles',
      actions: [
        'iam:AddRoleToInstanceProfile',
        'iam:CreateInstanceProfile',
        'iam:DeleteInstanceProfile',
        'iam:RemoveRoleFromInstanceProfile',
        'iam:TagInstanceProfile',
        'iam:UntagInstanceProfile',
      ],
      resources: [`arn:${partition}:iam::${accountId}:instance-profile/${project}-*`],
    },
  ];
}
