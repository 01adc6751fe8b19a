import { DataAwsCallerIdentity } from '@cdktf/provider-aws/lib/data-aws-caller-identity';
import { DataAwsEksAddonVersion } from '@cdktf/provider-aws/lib/data-aws-eks-addon-version';
import { DataAwsIamSessionContext } from '@cdktf/provider-aws/lib/data-aws-iam-session-context';
import { DataAwsPartition } from '@cdktf/provider-aws/lib/data-aws-partition';
import { EksAccessEntry } from '@cdktf/provider-aws/lib/eks-access-entry';
import { EksAccessPolicyAssociation } from '@cdktf/provider-aws/lib/eks-access-policy-association';
import { EksAddon, type EksAddonConfig } from '@cdktf/provider-aws/lib/eks-addon';
import { EksCluster } from '@cdktf/provider-aws/lib/eks-cluster';
import { EksNodeGroup } from '@cdktf/provider-aws/lib/eks-node-group';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { IamRolePolicyAttachment } from '@cdktf/provider-aws/lib/iam-role-policy-attachment';
import { LaunchTemplate } from '@cdktf/provider-aws/lib/launch-template';
import { Fn, Op, TerraformIterator, Token } from 'cdktf';
import type { Construct } from 'constructs';
import { CLOUDWATCH_RETENTION_DAYS, Input, Rule } from '../lib/inputs';
import { encryptedLogGroup } from '../lib/encrypted-log-group';
import { ModuleStack } from '../lib/module-stack';
import { PLAN_READERS_GROUP } from '../lib/plan-readers';
import { PodIdentityRole } from '../lib/pod-identity-role';
import {
  ClusterAccessInstance,
  EC2_INSTANCE_ROLE_TRUST,
  PORT_FORWARDING_DOCUMENT,
} from './cluster-access-instance';
import { clusterAutoscalerPolicy, loadBalancerControllerPolicy } from './controller-policies';
import { offeredKubernetesVersion } from './kubernetes-versions';

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

const PRINCIPAL_ARN = '^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/.+$';
const PRINCIPAL_ARN_MEANING =
  'an IAM role or user ARN such as arn:aws:iam::123456789012:role/admin';

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

    // ---- inputs (vpc_id and subnets come from the network unit through Terragrunt)
    const vpcId = Input.string(this, 'vpc_id', {
      description: 'VPC of the cluster (network output vpc_id).',
      validation: [Rule.matches('^vpc-[0-9a-f]+$', 'a VPC id such as vpc-0123456789abcdef0')],
    });
    const privateSubnetIds = Input.stringList(this, 'private_subnet_ids', {
      description:
        'Private subnets for the control plane ENIs and the nodes, one per zone (network output private_subnet_ids).',
      validation: [
        Rule.lengthBetween(2, 3),
        Rule.eachMatches('^subnet-[0-9a-f]+$', 'a subnet id such as subnet-0123456789abcdef0'),
      ],
    });
    const clusterVersion = Input.string(this, 'cluster_version', {
      description:
        'Kubernetes minor version of the control plane and the nodes (env.hcl: cluster.kubernetes_version). ' +
        'EKS upgrades one minor version at a time: raise it by one, apply, then again.',
      validation: [offeredKubernetesVersion()],
    });
    const publicEndpoint = Input.bool(this, 'endpoint_public_access', {
      description:
        'Also expose the Kubernetes API on the internet, restricted to public_access_cidrs. Off ' +
        '(the default, and every environment): the API is reachable from the VPC only, and ' +
        'make deploy, CI and kubectl reach it through the SSM tunnel of cluster_access_instance_id.',
      default: false,
    });
    const publicCidrs = Input.stringList(this, 'public_access_cidrs', {
      description:
        'CIDRs allowed to reach the public API endpoint when endpoint_public_access is true.',
      default: [],
      validation: [
        Rule.eachCidr(),
        Rule.custom(
          (v) => `!contains(${v}, "0.0.0.0/0")`,
          'The public endpoint may not be open to 0.0.0.0/0: list the CIDRs that need it.',
        ),
        Rule.custom(
          (v) => `!var.endpoint_public_access || length(${v}) > 0`,
          'endpoint_public_access = true needs at least one CIDR in public_access_cidrs.',
        ),
      ],
    });
    const ssmEndpointsSecurityGroup = Input.string(this, 'interface_endpoints_security_group_id', {
      description:
        'Security group of the VPC interface endpoints, among them ssm, ssmmessages and ec2messages ' +
        '(network output interface_endpoints_security_group_id). "": the VPC has none, and the ' +
        'tunnel instance reaches Systems Manager through the NAT gateway.',
      default: '',
      validation: [
        Rule.custom(
          (v) => `${v} == "" || can(regex("^sg-[0-9a-f]+$", ${v}))`,
          'Must be "" or a security group id such as sg-0123456789abcdef0.',
        ),
      ],
    });
    const logRetention = Input.number(this, 'cluster_log_retention_days', {
      description: 'Days CloudWatch keeps the control-plane logs.',
      default: 90,
      validation: [Rule.oneOf(CLOUDWATCH_RETENTION_DAYS)],
    });
    const adminArns = Input.stringList(this, 'admin_principal_arns', {
      description:
        'IAM roles/users made cluster administrators through access entries ' +
        '(AmazonEKSClusterAdminPolicy), full ARNs with their path. The principal applying the ' +
        'module is added by grant_deployer_admin.',
      default: [],
      validation: [
        Rule.lengthBetween(0, 20),
        Rule.eachMatches(PRINCIPAL_ARN, PRINCIPAL_ARN_MEANING),
        Rule.custom(
          (v) => `var.grant_deployer_admin || length(${v}) > 0`,
          'With grant_deployer_admin = false, list at least one administrator.',
        ),
      ],
    });
    const grantDeployerAdmin = Input.bool(this, 'grant_deployer_admin', {
      description:
        'Make the IAM principal that applies this module a cluster administrator too: the IAM role ' +
        'behind its assumed-role or SSO session (path included, through aws_iam_session_context) or ' +
        'the IAM user, unless it is one of viewer_principal_arns. The platform and app layers talk ' +
        'to the Kubernetes API as that principal.',
      default: true,
    });
    const viewerArns = Input.stringList(this, 'viewer_principal_arns', {
      description:
        'IAM roles/users given read-only Kubernetes access through access entries: ' +
        'AmazonEKSViewPolicy on the whole cluster, plus the Kubernetes group ' +
        `${PLAN_READERS_GROUP}, which the platform and app layers let read Helm release Secrets in ` +
        'their namespaces. For the role running terragrunt plan on pull requests.',
      default: [],
      validation: [
        Rule.lengthBetween(0, 20),
        Rule.eachMatches(PRINCIPAL_ARN, PRINCIPAL_ARN_MEANING),
        Rule.custom(
          (v) => `length(setintersection(${v}, var.admin_principal_arns)) == 0`,
          'A principal is either an administrator or a viewer: EKS allows one access entry per principal.',
        ),
      ],
    });
    const instanceTypes = Input.stringList(this, 'node_instance_types', {
      description:
        'EC2 instance types of the node group; several types make spot capacity more available.',
      default: ['t3.large'],
      validation: [
        Rule.lengthBetween(1, 10),
        Rule.eachMatches('^[a-z][a-z0-9-]*\\.[a-z0-9]+$', 'an instance type such as m6i.large'),
      ],
    });
    const capacityType = Input.string(this, 'node_capacity_type', {
      description:
        'ON_DEMAND, or SPOT (up to 90% cheaper, nodes can be reclaimed with 2 minutes notice).',
      default: 'ON_DEMAND',
      validation: [Rule.oneOf(['ON_DEMAND', 'SPOT'])],
    });
    const minSize = Input.number(this, 'node_min_size', {
      description:
        'Fewest nodes the autoscaler keeps (spread over the zones in production: >= zones).',
      default: 2,
      validation: [Rule.between(1, 100)],
    });
    const desiredSize = Input.number(this, 'node_desired_size', {
      description:
        'Nodes at creation; afterwards the Cluster Autoscaler owns this number (ignored on update).',
      default: 2,
      validation: [
        Rule.custom(
          (v) => `${v} >= var.node_min_size && ${v} <= var.node_max_size`,
          'node_desired_size must be between node_min_size and node_max_size.',
        ),
      ],
    });
    const maxSize = Input.number(this, 'node_max_size', {
      description: 'Most nodes the autoscaler may start.',
      default: 4,
      validation: [
        Rule.between(1, 100),
        Rule.custom((v) => `${v} >= var.node_min_size`, 'node_max_size must be >= node_min_size.'),
      ],
    });
    const diskSize = Input.number(this, 'node_disk_size_gb', {
      description: 'Size of each node root volume (encrypted gp3), in GiB.',
      default: 50,
      validation: [Rule.between(20, 1000)],
    });
    const hopLimit = Input.number(this, 'node_metadata_hop_limit', {
      description:
        'IMDSv2 hop limit. 2 lets pods in their own network namespace read instance metadata ' +
        '(region, instance id: the EBS CSI node plugin and the load balancer controller use it); the ' +
        'node role they could then reach only holds the worker, CNI and ECR read-only policies, and ' +
        'controllers get AWS credentials through Pod Identity. 1 blocks pods entirely (set the ' +
        'controllers region/VPC explicitly then).',
      default: 2,
      validation: [Rule.oneOf([1, 2])],
    });

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
      retentionInDays: logRetention.numberValue,
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
      version: clusterVersion.stringValue,
      roleArn: clusterRole.arn,
      vpcConfig: {
        subnetIds: privateSubnetIds.listValue,
        endpointPrivateAccess: true,
        endpointPublicAccess: publicEndpoint.booleanValue,
        // null when the endpoint is private: AWS would otherwise record 0.0.0.0/0.
        publicAccessCidrs: Token.asList(
          `\${var.${publicEndpoint.friendlyUniqueId} ? var.${publicCidrs.friendlyUniqueId} : null}`,
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

    // ---- administrators and read-only viewers: access entries (no aws-auth ConfigMap)
    const accessEntries = (
      id: string,
      principals: string[],
      accessPolicy: string,
      kubernetesGroups?: string[],
    ) => {
      const entries = TerraformIterator.fromList(principals);
      const entry = new EksAccessEntry(this, id, {
        forEach: entries,
        clusterName: cluster.name,
        principalArn: entries.value,
        type: 'STANDARD',
        ...(kubernetesGroups ? { kubernetesGroups } : {}),
      });
      const policies = TerraformIterator.fromList(principals);
      new EksAccessPolicyAssociation(this, `${id}_policy`, {
        forEach: policies,
        clusterName: cluster.name,
        principalArn: policies.value,
        policyArn: `arn:${partition.partition}:eks::aws:cluster-access-policy/${accessPolicy}`,
        accessScope: { type: 'cluster' },
        dependsOn: [entry],
      });
    };
    // Whoever applies the cluster layer (a laptop's SSO role, the CI deploy role) administers it,
    // so that the platform and app layers that follow can reach the Kubernetes API. Never a
    // viewer (the plan role would otherwise show up as an admin in pull-request plans), never a
    // principal EKS cannot grant (the root user, a federated user: the preflight names them).
    const deployer = new DataAwsIamSessionContext(this, 'deployer', { arn: caller.arn });
    const deployerIsAdmin = Op.and(
      grantDeployerAdmin.booleanValue,
      Op.and(
        Fn.can(Fn.regex(PRINCIPAL_ARN, deployer.issuerArn)),
        Op.not(Fn.contains(viewerArns.listValue, deployer.issuerArn)),
      ),
    );
    const admins = Fn.distinct(
      Fn.concat([
        adminArns.listValue,
        Token.asList(Fn.conditional(deployerIsAdmin, [deployer.issuerArn], [])),
      ]),
    );
    accessEntries('admin', admins, 'AmazonEKSClusterAdminPolicy');
    // Read-only: the view policy has no Secret access, and Helm keeps its releases in Secrets;
    // the group is what the platform and app layers bind to those Secrets (lib/plan-readers.ts).
    accessEntries('viewer', viewerArns.listValue, 'AmazonEKSViewPolicy', [PLAN_READERS_GROUP]);

    // ---- nodes
    const nodeRole = new IamRole(this, 'node_role', {
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
        new IamRolePolicyAttachment(this, `node_role_${policy}`, {
          role: nodeRole.name,
          policyArn: managedPolicy(policy),
        }),
    );

    const launchTemplate = new LaunchTemplate(this, 'nodes', {
      name: `${clusterName}-nodes`,
      description: 'EKS nodes: IMDSv2 only, encrypted gp3 root volume',
      updateDefaultVersion: true,
      metadataOptions: {
        httpEndpoint: 'enabled',
        httpTokens: 'required',
        httpPutResponseHopLimit: hopLimit.numberValue,
        instanceMetadataTags: 'disabled',
      },
      blockDeviceMappings: [
        {
          deviceName: '/dev/xvda',
          ebs: {
            volumeSize: diskSize.numberValue,
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
        kubernetesVersion: clusterVersion.stringValue,
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

    const nodeGroup = new EksNodeGroup(this, 'workers', {
      clusterName: cluster.name,
      nodeGroupName: `${clusterName}-workers`,
      nodeRoleArn: nodeRole.arn,
      subnetIds: privateSubnetIds.listValue,
      version: clusterVersion.stringValue,
      amiType: 'AL2023_x86_64_STANDARD',
      capacityType: capacityType.stringValue,
      instanceTypes: instanceTypes.listValue,
      scalingConfig: {
        minSize: minSize.numberValue,
        desiredSize: desiredSize.numberValue,
        maxSize: maxSize.numberValue,
      },
      updateConfig: { maxUnavailablePercentage: 33 },
      launchTemplate: {
        id: launchTemplate.id,
        version: Token.asString(launchTemplate.latestVersion),
      },
      labels: { 'payflow.io/capacity-type': capacityType.stringValue },
      lifecycle: { ignoreChanges: ['scaling_config[0].desired_size'] },
      dependsOn: [...nodePolicies, ...earlyAddons, podIdentityAgent],
    });

    // ---- the way in: an SSM port-forwarding tunnel to the private API endpoint
    const clusterAccess = new ClusterAccessInstance(this, 'cluster_access', {
      clusterName,
      partition: partition.partition,
      vpcId: vpcId.stringValue,
      subnetId: Fn.element(privateSubnetIds.listValue, 0),
      clusterSecurityGroupId: cluster.vpcConfig.clusterSecurityGroupId,
      ssmEndpointsSecurityGroupId: ssmEndpointsSecurityGroup.stringValue,
    });

    // ---- controllers acting on AWS (Pod Identity, roles scoped to this cluster)
    const policyScope = {
      partition: partition.partition,
      region,
      accountId,
      clusterName,
      vpcId: vpcId.stringValue,
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

    // ---- outputs (names are a contract with data, platform, app and live/)
    this.output('cluster_name', { value: cluster.name, description: 'Name of the EKS cluster.' });
    this.output('cluster_arn', { value: cluster.arn, description: 'ARN of the EKS cluster.' });
    this.output('cluster_endpoint', {
      value: cluster.endpoint,
      description:
        'HTTPS endpoint of the Kubernetes API (Kubernetes/Helm providers of later layers).',
    });
    this.output('cluster_certificate_authority_data', {
      value: cluster.certificateAuthority.get(0).data,
      description: 'Base64 CA certificate of the Kubernetes API.',
    });
    this.output('cluster_version', {
      value: cluster.version,
      description: 'Kubernetes version running on the control plane.',
    });
    this.output('cluster_security_group_id', {
      value: cluster.vpcConfig.clusterSecurityGroupId,
      description: 'Security group EKS created for the control plane and the managed nodes.',
    });
    this.output('node_security_group_id', {
      value: cluster.vpcConfig.clusterSecurityGroupId,
      description:
        'Security group of the nodes and their pods (managed nodes use the EKS cluster security ' +
        'group): the data layer admits PostgreSQL/Redis from it.',
    });
    this.output('cluster_access_instance_id', {
      value: clusterAccess.instance.id,
      description:
        'Instance that forwards a local port to the private Kubernetes API (aws ssm start-session ' +
        `--document-name ${PORT_FORWARDING_DOCUMENT}): live/environment.sh opens the tunnel.`,
    });
    this.output('node_role_arn', {
      value: nodeRole.arn,
      description: 'Instance role of the nodes.',
    });
    this.output('kms_key_arn', {
      value: key.arn,
      description: 'KMS key encrypting Kubernetes Secrets and the control-plane logs.',
    });
    this.output('load_balancer_controller_role_arn', {
      value: loadBalancerController.role.arn,
      description: 'Pod Identity role of kube-system/aws-load-balancer-controller.',
    });
    this.output('cluster_autoscaler_role_arn', {
      value: clusterAutoscaler.role.arn,
      description: 'Pod Identity role of kube-system/cluster-autoscaler.',
    });
    this.output('ebs_csi_role_arn', {
      value: ebsCsi.role.arn,
      description: 'Pod Identity role of kube-system/ebs-csi-controller-sa.',
    });
  }
}
