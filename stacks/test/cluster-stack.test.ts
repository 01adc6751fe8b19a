import { isWildcardOnlyAction, runSimulation } from '@cloud-copilot/iam-simulate';
import { App, Testing } from 'cdktf';
import { expect } from 'chai';
import { loadBalancerControllerPolicy } from '../cluster/load-balancer-controller-policy';
import {
  CONTROL_PLANE_LOG_TYPES,
  CORE_ADDONS,
  ClusterStack,
  VPC_CNI_CONFIGURATION,
} from '../cluster/cluster-stack';
import type { TerraformJson } from '../lib/module-readme';
import {
  AMAZON_LINUX_PARAMETER,
  CLUSTER_TUNNEL_TAG,
  SSM_AGENT_POLICY,
} from '../cluster/cluster-access-instance';
import { KUBERNETES_VERSIONS } from '../cluster/kubernetes-versions';
import { PLAN_READERS_GROUP } from '../lib/plan-readers';
import { synthesizeStack } from '../lib/module-synthesis';

type Block = Record<string, unknown>;
interface Statement {
  Sid?: string;
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, unknown>>;
}

describe('ClusterStack', function () {
  let tf: TerraformJson;
  const resource = (type: string, name: string): Block => {
    const block = tf.resource?.[type]?.[name];
    expect(block, `${type}.${name}`).to.not.equal(undefined);
    return block as Block;
  };
  const statements = (type: string, name: string, attribute = 'policy'): Statement[] =>
    JSON.parse(resource(type, name)[attribute] as string).Statement as Statement[];

  before(function () {
    tf = synthesizeStack(new ClusterStack(new App({ skipValidation: true }), 'cluster'));
  });

  it('is valid CDKTF (construct validations pass)', function () {
    const stack = new ClusterStack(new App({ skipValidation: true }), 'cluster');
    expect(() => Testing.synth(stack, true)).to.not.throw();
  });

  it('exposes exactly the contract outputs (and documents them)', function () {
    expect(Object.keys(tf.output ?? {})).to.include.members([
      'cluster_name',
      'cluster_endpoint',
      'cluster_certificate_authority_data',
      'cluster_version',
      'cluster_security_group_id',
      'node_security_group_id',
      'load_balancer_controller_role_arn',
      'cluster_autoscaler_role_arn',
    ]);
  });

  it('takes its network as inputs, never from remote state', function () {
    expect(Object.keys(tf.variable ?? {})).to.include.members(['vpc_id', 'private_subnet_ids']);
    expect(tf.data?.terraform_remote_state).to.equal(undefined);
  });

  it('keeps the private endpoint on and the public one behind an input with CIDRs', function () {
    const vpc = resource('aws_eks_cluster', 'this').vpc_config as Block;
    expect(vpc.endpoint_private_access).to.equal(true);
    expect(vpc.endpoint_public_access).to.equal('${var.endpoint_public_access}');
    expect(JSON.stringify(tf.variable?.public_access_cidrs?.validation)).to.contain('0.0.0.0/0');
    expect(tf.variable?.endpoint_public_access?.default).to.equal(false);
  });

  it('encrypts Secrets with a rotated KMS key and logs every control-plane log type', function () {
    const cluster = resource('aws_eks_cluster', 'this');
    expect(cluster.encryption_config).to.deep.equal({
      provider: { key_arn: '${aws_kms_key.cluster.arn}' },
      resources: ['secrets'],
    });
    expect(resource('aws_kms_key', 'cluster').enable_key_rotation).to.equal(true);
    expect(cluster.enabled_cluster_log_types).to.deep.equal([...CONTROL_PLANE_LOG_TYPES]);
    expect(resource('aws_cloudwatch_log_group', 'control_plane').retention_in_days).to.equal(
      '${var.cluster_log_retention_days}',
    );
  });

  it('uses API authentication with access entries for the admins', function () {
    const cluster = resource('aws_eks_cluster', 'this');
    expect(cluster.access_config).to.deep.equal({
      authentication_mode: 'API',
      bootstrap_cluster_creator_admin_permissions: false,
    });
    // admin_principal_arns plus whoever applies (the role behind the session), never a viewer.
    const admins = String(resource('aws_eks_access_entry', 'admin').for_each);
    expect(admins).to.match(/^\$\{toset\(distinct\(concat\(var\.admin_principal_arns, /);
    expect(admins).to.include('data.aws_iam_session_context.deployer.issuer_arn');
    expect(admins).to.include('!contains(var.viewer_principal_arns, ');
    expect(tf.data?.aws_iam_session_context?.deployer).to.deep.equal({
      arn: '${data.aws_caller_identity.current_account.arn}',
    });
    expect(resource('aws_eks_access_policy_association', 'admin_policy').policy_arn).to.match(
      /cluster-access-policy\/AmazonEKSClusterAdminPolicy$/,
    );
  });

  it('gives viewer_principal_arns read-only access: the view policy and the plan-readers group', function () {
    const viewer = tf.variable?.viewer_principal_arns;
    expect(viewer?.default).to.deep.equal([]);
    const rules = JSON.stringify(viewer?.validation);
    expect(rules).to.contain('arn:aws').and.contain('setintersection');
    const entry = resource('aws_eks_access_entry', 'viewer');
    expect(entry.for_each).to.equal('${toset(var.viewer_principal_arns)}');
    expect(entry.kubernetes_groups).to.deep.equal([PLAN_READERS_GROUP]);
    const association = resource('aws_eks_access_policy_association', 'viewer_policy');
    expect(association.policy_arn).to.match(/cluster-access-policy\/AmazonEKSViewPolicy$/);
    expect(association.access_scope).to.deep.equal({ type: 'cluster' });
    expect(association.depends_on).to.deep.equal(['aws_eks_access_entry.viewer']);
    // Admins get no group: the cluster admin policy already covers everything.
    expect(resource('aws_eks_access_entry', 'admin').kubernetes_groups).to.equal(undefined);
  });

  it('enforces IMDSv2 and encrypted gp3 volumes on the nodes', function () {
    const template = resource('aws_launch_template', 'nodes');
    expect(template.metadata_options).to.include({ http_tokens: 'required' });
    expect(template.block_device_mappings).to.deep.equal([
      {
        device_name: '/dev/xvda',
        ebs: {
          delete_on_termination: 'true',
          encrypted: 'true',
          volume_size: '${var.node_disk_size_gb}',
          volume_type: 'gp3',
        },
      },
    ]);
  });

  it('sizes the node group from inputs and leaves desired size to the autoscaler', function () {
    const group = resource('aws_eks_node_group', 'workers');
    expect(group.scaling_config).to.deep.equal({
      desired_size: '${var.node_desired_size}',
      max_size: '${var.node_max_size}',
      min_size: '${var.node_min_size}',
    });
    expect(group.capacity_type).to.equal('${var.node_capacity_type}');
    expect(group.lifecycle).to.deep.equal({ ignore_changes: ['scaling_config[0].desired_size'] });
  });

  it('gives the node role only the worker, CNI and ECR read-only managed policies', function () {
    const nodePolicies = Object.entries(tf.resource?.aws_iam_role_policy_attachment ?? {})
      .filter(([name]) => name.startsWith('node_role_'))
      .map(([, block]) =>
        String((block as Block).policy_arn)
          .split('/')
          .pop(),
      );
    expect(nodePolicies.sort()).to.deep.equal([
      'AmazonEC2ContainerRegistryReadOnly',
      'AmazonEKSWorkerNodePolicy',
      'AmazonEKS_CNI_Policy',
    ]);
  });

  it('installs the core add-ons', function () {
    const addons = Object.values(tf.resource?.aws_eks_addon ?? {}).map(
      (a) => (a as Block).addon_name,
    );
    expect(addons.sort()).to.deep.equal([...CORE_ADDONS].sort());
  });

  it("keeps every add-on on EKS's default version for the cluster's Kubernetes version", function () {
    for (const [name, addon] of Object.entries(tf.resource?.aws_eks_addon ?? {})) {
      const release = tf.data?.aws_eks_addon_version?.[`${name}_version`] as Block | undefined;
      expect(release, name).to.deep.equal({
        addon_name: (addon as Block).addon_name,
        kubernetes_version: '${var.cluster_version}',
        most_recent: false,
      });
      expect((addon as Block).addon_version, name).to.equal(
        `\${data.aws_eks_addon_version.${name}_version.version}`,
      );
    }
  });

  it('makes the vpc-cni add-on enforce Kubernetes NetworkPolicies', function () {
    const cni = resource('aws_eks_addon', 'addon_vpc_cni');
    expect(JSON.parse(cni.configuration_values as string)).to.deep.equal({
      enableNetworkPolicy: 'true',
    });
    expect(VPC_CNI_CONFIGURATION.enableNetworkPolicy).to.equal('true');
    const others = Object.entries(tf.resource?.aws_eks_addon ?? {}).filter(
      ([name]) => name !== 'addon_vpc_cni' && name !== 'addon_aws_ebs_csi_driver',
    );
    for (const [name, block] of others) {
      expect((block as Block).configuration_values, name).to.equal(undefined);
    }
  });

  it('binds each controller role to exactly one service account through Pod Identity', function () {
    const expected: Record<string, string> = {
      load_balancer_controller_role: 'aws-load-balancer-controller',
      cluster_autoscaler_role: 'cluster-autoscaler',
      ebs_csi_role: 'ebs-csi-controller-sa',
    };
    for (const [role, serviceAccount] of Object.entries(expected)) {
      const [trust] = statements('aws_iam_role', role, 'assume_role_policy');
      expect(trust?.Action).to.deep.equal(['sts:AssumeRole', 'sts:TagSession']);
      expect(trust?.Condition?.StringEquals).to.include({
        'aws:RequestTag/kubernetes-namespace': 'kube-system',
        'aws:RequestTag/kubernetes-service-account': serviceAccount,
      });
    }
  });

  it('has no wildcard action in any identity policy, and no write action on "*" unconditioned', function () {
    const policies = Object.keys(tf.resource?.aws_iam_role_policy ?? {});
    expect(policies).to.include.members([
      'load_balancer_controller_policy',
      'cluster_autoscaler_policy',
    ]);
    for (const name of policies) {
      for (const statement of statements('aws_iam_role_policy', name)) {
        const actions = ([] as string[]).concat(statement.Action);
        for (const action of actions) expect(action, `${name}`).to.not.match(/\*/);
        const writes = actions.filter((a) => !/:(Describe|Get|List)/.test(a));
        if (statement.Resource === '*' && writes.length > 0) {
          expect(statement.Condition, `${name} ${statement.Sid} writes on *`).to.not.equal(
            undefined,
          );
        }
      }
    }
  });

  it('lets the autoscaler scale only node groups tagged for this cluster', function () {
    const scale = statements('aws_iam_role_policy', 'cluster_autoscaler_policy').find(
      (s) => s.Sid === 'ScaleOnlyThisClustersNodeGroups',
    );
    expect(scale?.Condition?.StringEquals).to.deep.equal({
      'aws:ResourceTag/k8s.io/cluster-autoscaler/${var.project}-${var.environment}': 'owned',
    });
  });

  it("lets the load balancer controller put the edge's web ACL, attributes and Cognito sign-in on this cluster's load balancers only", async function () {
    const scope = {
      partition: 'aws',
      region: 'eu-west-3',
      accountId: '123456789012',
      clusterName: 'payflow-staging',
      vpcId: 'vpc-0123456789abcdef0',
    };
    const policy = loadBalancerControllerPolicy(scope);
    // An action that takes no resource ARN is only ever allowed by a statement on "*".
    for (const statement of policy.Statement) {
      if (statement.Resource === '*') continue;
      for (const action of [statement.Action].flat().map(String)) {
        const [service = '', name = ''] = action.split(':');
        expect(
          await isWildcardOnlyAction(service, name),
          `${String(statement.Sid)}: ${action}`,
        ).to.equal(false);
      }
    }
    const loadBalancer =
      'arn:aws:elasticloadbalancing:eu-west-3:123456789012:loadbalancer/app/k8s-payflow-0123456789/0123456789abcdef';
    const webAcl =
      'arn:aws:wafv2:eu-west-3:123456789012:regional/webacl/payflow-staging-load-balancer/0ac8a1b2-1234-5678-9abc-def012345678';
    const decide = async (
      action: string,
      resource: string,
      context: Record<string, string> = {},
    ): Promise<string> => {
      const result = await runSimulation(
        {
          request: {
            principal:
              'arn:aws:iam::123456789012:role/payflow-staging-aws-load-balancer-controller',
            action,
            resource: { resource, accountId: '123456789012' },
            contextVariables: { 'aws:RequestedRegion': 'eu-west-3', ...context },
          },
          identityPolicies: [{ name: 'controller', policy }],
          serviceControlPolicies: [],
          resourceControlPolicies: [],
        },
        {},
      );
      return result.resultType === 'error' ? JSON.stringify(result.errors) : result.overallResult;
    };
    const ours = { 'aws:ResourceTag/elbv2.k8s.aws/cluster': 'payflow-staging' };
    for (const [action, resource, context] of [
      ['wafv2:AssociateWebACL', webAcl, {}],
      ['wafv2:AssociateWebACL', loadBalancer, {}],
      ['wafv2:DisassociateWebACL', loadBalancer, {}],
      ['wafv2:GetWebACLForResource', '*', {}],
      ['elasticloadbalancing:SetWebAcl', '*', {}],
      ['elasticloadbalancing:ModifyLoadBalancerAttributes', loadBalancer, ours],
      ['cognito-idp:DescribeUserPoolClient', '*', {}],
    ] as const) {
      expect(await decide(action, resource, context), `${action} on ${resource}`).to.equal(
        'Allowed',
      );
    }
    // Another cluster's load balancer keeps its attributes.
    expect(
      await decide('elasticloadbalancing:ModifyLoadBalancerAttributes', loadBalancer, {
        'aws:ResourceTag/elbv2.k8s.aws/cluster': 'someone-else',
      }),
    ).to.not.equal('Allowed');
  });

  it('takes the Kubernetes version from env.hcl, only a version of the dated table', function () {
    const version = tf.variable?.cluster_version;
    expect(version?.default, 'no default: env.hcl pins it').to.equal(undefined);
    const rule = JSON.stringify(version?.validation);
    for (const { version: offered } of KUBERNETES_VERSIONS) expect(rule).to.contain(offered);
    expect(resource('aws_eks_cluster', 'this').upgrade_policy).to.deep.equal({
      support_type: 'STANDARD',
    });
  });

  describe('the way in: an SSM port-forwarding tunnel to the private endpoint', function () {
    const instance = () => resource('aws_instance', 'cluster_access_instance');
    const accessGroup = '${aws_security_group.cluster_access_security_group.id}';
    const clusterGroup = '${aws_eks_cluster.this.vpc_config[0].cluster_security_group_id}';
    const rulesOf = (type: string) =>
      Object.entries(tf.resource?.[type] ?? {}) as [string, Block][];

    it('keeps the endpoint private by default: no public endpoint, no CIDR to list', function () {
      expect(tf.variable?.endpoint_public_access?.default).to.equal(false);
      expect(tf.variable?.public_access_cidrs?.default).to.deep.equal([]);
      expect(
        (resource('aws_eks_cluster', 'this').vpc_config as Block).endpoint_private_access,
      ).to.equal(true);
    });

    it('runs Amazon Linux 2023 from the SSM public parameter, in a private subnet, without a public IP', function () {
      expect(tf.data?.aws_ssm_parameter?.cluster_access_image).to.deep.equal({
        name: AMAZON_LINUX_PARAMETER,
      });
      expect(instance()).to.include({
        ami: '${data.aws_ssm_parameter.cluster_access_image.insecure_value}',
        subnet_id: '${element(var.private_subnet_ids, 0)}',
        associate_public_ip_address: false,
      });
      expect(instance().tags).to.include({ [CLUSTER_TUNNEL_TAG.key]: CLUSTER_TUNNEL_TAG.value });
    });

    it('requires IMDSv2 and encrypts its root volume', function () {
      expect(instance().metadata_options).to.include({
        http_tokens: 'required',
        http_put_response_hop_limit: 1,
      });
      expect(instance().root_block_device).to.include({ encrypted: true, volume_type: 'gp3' });
    });

    it('holds only the SSM agent policy', function () {
      const profile = resource('aws_iam_instance_profile', 'cluster_access_profile');
      expect(profile.role).to.equal('${aws_iam_role.cluster_access_role.name}');
      expect(instance().iam_instance_profile).to.equal(
        '${aws_iam_instance_profile.cluster_access_profile.name}',
      );
      const attached = rulesOf('aws_iam_role_policy_attachment').filter(
        ([, a]) => a.role === '${aws_iam_role.cluster_access_role.name}',
      );
      expect(attached.map(([, a]) => String(a.policy_arn).split('/').pop())).to.deep.equal([
        SSM_AGENT_POLICY,
      ]);
      const inline = rulesOf('aws_iam_role_policy').filter(([, p]) =>
        String(p.role).includes('cluster_access_role'),
      );
      expect(inline).to.deep.equal([]);
    });

    it('accepts no inbound connection, and goes out only to the API and Systems Manager on 443', function () {
      const group = resource('aws_security_group', 'cluster_access_security_group');
      expect(group).to.not.have.any.keys('ingress', 'egress');
      expect(instance().vpc_security_group_ids).to.deep.equal([accessGroup]);
      const into = rulesOf('aws_vpc_security_group_ingress_rule').filter(
        ([, r]) => r.security_group_id === accessGroup,
      );
      expect(into, 'no ingress rule into the tunnel instance').to.deep.equal([]);
      expect(rulesOf('aws_security_group_rule')).to.deep.equal([]);

      const out = Object.fromEntries(
        rulesOf('aws_vpc_security_group_egress_rule')
          .filter(([, r]) => r.security_group_id === accessGroup)
          .map(([name, r]) => [
            name,
            [r.from_port, r.to_port, r.referenced_security_group_id ?? r.cidr_ipv4, r.count],
          ]),
      );
      expect(out).to.deep.equal({
        cluster_access_to_kubernetes_api: [443, 443, clusterGroup, undefined],
        cluster_access_to_ssm_endpoints: [
          443,
          443,
          '${var.interface_endpoints_security_group_id}',
          '${(length(var.interface_endpoints_security_group_id) >= 1) ? 1 : 0}',
        ],
        cluster_access_to_ssm_through_nat: [
          443,
          443,
          '0.0.0.0/0',
          '${(length(var.interface_endpoints_security_group_id) >= 1) ? 0 : 1}',
        ],
      });
    });

    it('opens the API (cluster security group) to it on 443, and outputs its id', function () {
      expect(
        resource(
          'aws_vpc_security_group_ingress_rule',
          'cluster_access_kubernetes_api_from_tunnel',
        ),
      ).to.include({
        security_group_id: clusterGroup,
        referenced_security_group_id: accessGroup,
        from_port: 443,
        to_port: 443,
        ip_protocol: 'tcp',
      });
      expect(tf.output?.cluster_access_instance_id?.value).to.equal(
        '${aws_instance.cluster_access_instance.id}',
      );
    });
  });
});
