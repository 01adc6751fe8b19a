# Offline tests of the cluster module: the AWS provider is mocked, `apply` runs the whole
# graph with generated values. One run per environment, then input validation runs.

mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = {
      account_id = "123456789012"
      arn        = "arn:aws:sts::123456789012:assumed-role/deployer/session"
    }
  }
  mock_data "aws_partition" {
    defaults = {
      partition = "aws"
    }
  }
  mock_resource "aws_kms_key" {
    defaults = {
      arn = "arn:aws:kms:eu-west-3:123456789012:key/00000000-0000-0000-0000-000000000000"
    }
  }
  mock_resource "aws_iam_role" {
    defaults = {
      arn = "arn:aws:iam::123456789012:role/payflow-mock"
    }
  }
  mock_resource "aws_eks_cluster" {
    defaults = {
      arn                   = "arn:aws:eks:eu-west-3:123456789012:cluster/payflow-mock"
      endpoint              = "https://ABCDEF.gr7.eu-west-3.eks.amazonaws.com"
      certificate_authority = [{ data = "bW9jaw==" }]
    }
  }
  mock_data "aws_eks_addon_version" {
    defaults = {
      version = "v1.2.3-eksbuild.1"
    }
  }
  mock_resource "aws_launch_template" {
    defaults = {
      id             = "lt-0123456789abcdef0"
      latest_version = 1
    }
  }
}

variables {
  permissions_boundary_arn = "arn:aws:iam::111122223333:policy/payflow-permissions-boundary"
  project                  = "payflow"
  region                   = "eu-west-3"
  allowed_account_ids      = ["123456789012"]
  cluster_version          = "1.36"
  vpc_id                   = "vpc-0123456789abcdef0"
  private_subnet_ids       = ["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002", "subnet-0a1b2c3d4e5f60003"]
  admin_principal_arns = [
    "arn:aws:iam::123456789012:role/payflow-github-deploy",
    "arn:aws:iam::123456789012:role/platform-admins",
  ]
}

run "development" {
  command = apply

  variables {
    environment                = "development"
    private_subnet_ids         = ["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002"]
    endpoint_public_access     = true
    public_access_cidrs        = ["203.0.113.0/24"]
    cluster_log_retention_days = 7
    node_capacity_type         = "SPOT"
    node_instance_types        = ["t3.large", "t3a.large"]
    node_min_size              = 1
    node_desired_size          = 1
    node_max_size              = 3
  }

  assert {
    condition     = alltrue([for r in [aws_iam_role.cluster_role, aws_iam_role.node_role, aws_iam_role.ebs_csi_role, aws_iam_role.load_balancer_controller_role, aws_iam_role.cluster_autoscaler_role, aws_iam_role.cluster_access_role] : r.permissions_boundary == "arn:aws:iam::111122223333:policy/payflow-permissions-boundary"])
    error_message = "Every role of the cluster carries the project permissions boundary."
  }
  assert {
    condition     = aws_eks_cluster.this.name == "payflow-development" && aws_eks_cluster.this.version == "1.36" && aws_eks_node_group.workers.version == "1.36"
    error_message = "Cluster named <project>-<environment>, control plane and nodes on the given version."
  }
  assert {
    condition     = length(aws_vpc_security_group_egress_rule.cluster_access_to_ssm_through_nat) == 1 && length(aws_vpc_security_group_egress_rule.cluster_access_to_ssm_endpoints) == 0 && aws_vpc_security_group_egress_rule.cluster_access_to_ssm_through_nat[0].cidr_ipv4 == "0.0.0.0/0"
    error_message = "Without interface endpoints, the tunnel instance reaches Systems Manager through the NAT gateway."
  }
  assert {
    condition     = aws_eks_cluster.this.vpc_config[0].endpoint_private_access && aws_eks_cluster.this.vpc_config[0].endpoint_public_access && aws_eks_cluster.this.vpc_config[0].public_access_cidrs == toset(["203.0.113.0/24"])
    error_message = "The public endpoint, when enabled, is restricted to the given CIDRs."
  }
  assert {
    condition     = aws_eks_node_group.workers.capacity_type == "SPOT" && aws_eks_node_group.workers.scaling_config[0].min_size == 1 && aws_eks_node_group.workers.scaling_config[0].max_size == 3
    error_message = "development runs a small spot node group."
  }
  assert {
    condition     = aws_cloudwatch_log_group.control_plane.retention_in_days == 7 && aws_cloudwatch_log_group.control_plane.name == "/aws/eks/payflow-development/cluster"
    error_message = "The control-plane log group EKS writes to has the requested retention."
  }
}

run "staging" {
  command = apply

  variables {
    environment                = "staging"
    cluster_log_retention_days = 30
    node_capacity_type         = "ON_DEMAND"
    node_min_size              = 2
    node_desired_size          = 3
    node_max_size              = 6
    viewer_principal_arns      = ["arn:aws:iam::123456789012:role/payflow-github-plan"]

    interface_endpoints_security_group_id = "sg-0123456789abcdef0"
  }

  assert {
    condition     = length(aws_vpc_security_group_egress_rule.cluster_access_to_ssm_through_nat) == 0 && aws_vpc_security_group_egress_rule.cluster_access_to_ssm_endpoints[0].referenced_security_group_id == "sg-0123456789abcdef0"
    error_message = "With interface endpoints, the tunnel instance reaches Systems Manager through them only."
  }
  assert {
    condition     = aws_instance.cluster_access_instance.metadata_options[0].http_tokens == "required" && aws_instance.cluster_access_instance.root_block_device[0].encrypted && !aws_instance.cluster_access_instance.associate_public_ip_address && aws_instance.cluster_access_instance.tags["Role"] == "kubernetes-api-tunnel"
    error_message = "The tunnel instance requires IMDSv2, encrypts its volume, has no public IP and carries the tag the GitHub roles are scoped to."
  }
  assert {
    condition     = output.cluster_access_instance_id == aws_instance.cluster_access_instance.id
    error_message = "The tunnel instance id is an output (live/environment.sh reads it)."
  }

  assert {
    condition     = !aws_eks_cluster.this.vpc_config[0].endpoint_public_access
    error_message = "The public endpoint is off unless asked for."
  }
  assert {
    condition     = keys(aws_eks_access_entry.viewer) == ["arn:aws:iam::123456789012:role/payflow-github-plan"] && alltrue([for e in aws_eks_access_entry.viewer : e.kubernetes_groups == toset(["payflow:plan-readers"])]) && alltrue([for a in aws_eks_access_policy_association.viewer_policy : endswith(a.policy_arn, "cluster-access-policy/AmazonEKSViewPolicy") && a.access_scope[0].type == "cluster"])
    error_message = "The plan role gets a read-only access entry: the view policy on the cluster and the plan-readers group."
  }
  assert {
    condition     = length(setintersection(keys(aws_eks_access_entry.viewer), keys(aws_eks_access_policy_association.admin_policy))) == 0
    error_message = "A viewer is never given the cluster admin policy."
  }
  assert {
    condition     = length(aws_eks_access_entry.admin) == 2 && alltrue([for a in aws_eks_access_policy_association.admin_policy : endswith(a.policy_arn, "cluster-access-policy/AmazonEKSClusterAdminPolicy") && a.access_scope[0].type == "cluster"])
    error_message = "Every admin principal gets an access entry with the cluster admin policy."
  }
  assert {
    condition     = aws_eks_addon.addon_vpc_cni.addon_name == "vpc-cni" && aws_eks_addon.addon_coredns.addon_name == "coredns" && aws_eks_addon.addon_kube_proxy.addon_name == "kube-proxy" && aws_eks_addon.addon_eks_pod_identity_agent.addon_name == "eks-pod-identity-agent"
    error_message = "Core add-ons are installed."
  }
  assert {
    condition     = data.aws_eks_addon_version.addon_coredns_version.kubernetes_version == "1.36" && aws_eks_addon.addon_coredns.addon_version == data.aws_eks_addon_version.addon_coredns_version.version
    error_message = "Add-ons run EKS's default version for the cluster's Kubernetes version."
  }
  assert {
    condition     = jsondecode(aws_eks_addon.addon_vpc_cni.configuration_values).enableNetworkPolicy == "true"
    error_message = "The vpc-cni add-on enforces Kubernetes NetworkPolicies (enableNetworkPolicy)."
  }
  assert {
    condition     = one([for p in aws_eks_addon.addon_aws_ebs_csi_driver.pod_identity_association : p if p.service_account == "ebs-csi-controller-sa" && p.role_arn == aws_iam_role.ebs_csi_role.arn]) != null
    error_message = "The EBS CSI driver gets its role through Pod Identity."
  }
}

run "production" {
  command = apply

  variables {
    environment                = "production"
    cluster_version            = "1.35"
    cluster_log_retention_days = 365
    node_capacity_type         = "ON_DEMAND"
    node_instance_types        = ["m6i.large"]
    node_min_size              = 3
    node_desired_size          = 3
    node_max_size              = 9
    node_metadata_hop_limit    = 1
  }

  assert {
    condition     = !aws_eks_cluster.this.vpc_config[0].endpoint_public_access && aws_eks_cluster.this.vpc_config[0].endpoint_private_access
    error_message = "production's API is private only."
  }
  assert {
    condition     = length(aws_eks_access_entry.viewer) == 0 && length(aws_eks_access_policy_association.viewer_policy) == 0
    error_message = "No viewer access entry unless viewer_principal_arns lists one."
  }
  assert {
    condition     = aws_eks_cluster.this.encryption_config[0].resources == toset(["secrets"]) && aws_eks_cluster.this.encryption_config[0].provider[0].key_arn == aws_kms_key.cluster.arn && aws_kms_key.cluster.enable_key_rotation
    error_message = "Secrets are envelope-encrypted with a rotated customer key."
  }
  assert {
    condition     = length(aws_eks_cluster.this.enabled_cluster_log_types) == 5
    error_message = "Every control-plane log type is on."
  }
  assert {
    condition     = aws_eks_cluster.this.access_config[0].authentication_mode == "API" && !aws_eks_cluster.this.access_config[0].bootstrap_cluster_creator_admin_permissions
    error_message = "API authentication mode, nobody admin implicitly."
  }
  assert {
    condition     = aws_launch_template.nodes.metadata_options[0].http_tokens == "required" && aws_launch_template.nodes.metadata_options[0].http_put_response_hop_limit == 1
    error_message = "Nodes enforce IMDSv2 with the requested hop limit."
  }
  assert {
    condition     = alltrue([for b in aws_launch_template.nodes.block_device_mappings : b.ebs[0].encrypted == "true" && b.ebs[0].volume_type == "gp3"])
    error_message = "Node volumes are encrypted gp3."
  }
  assert {
    condition     = aws_eks_node_group.workers.capacity_type == "ON_DEMAND" && aws_eks_node_group.workers.scaling_config[0].min_size == 3
    error_message = "production runs on-demand nodes, at least one per zone."
  }
  assert {
    condition     = aws_eks_pod_identity_association.load_balancer_controller_association.namespace == "kube-system" && aws_eks_pod_identity_association.load_balancer_controller_association.service_account == "aws-load-balancer-controller" && aws_eks_pod_identity_association.cluster_autoscaler_association.service_account == "cluster-autoscaler"
    error_message = "Controllers are bound to their service accounts through Pod Identity."
  }
  assert {
    condition     = alltrue([for s in jsondecode(aws_iam_role_policy.load_balancer_controller_policy.policy).Statement : alltrue([for a in flatten([s.Action]) : !endswith(a, "*")])])
    error_message = "The load balancer controller policy lists its actions: no wildcard."
  }
  assert {
    condition     = one([for s in jsondecode(aws_iam_role_policy.cluster_autoscaler_policy.policy).Statement : s if s.Sid == "ScaleOnlyThisClustersNodeGroups"]).Condition.StringEquals["aws:ResourceTag/k8s.io/cluster-autoscaler/payflow-production"] == "owned"
    error_message = "The autoscaler may only scale this cluster's node groups."
  }
  assert {
    condition     = jsondecode(aws_iam_role.load_balancer_controller_role.assume_role_policy).Statement[0].Condition.StringEquals["aws:RequestTag/kubernetes-service-account"] == "aws-load-balancer-controller"
    error_message = "Pod Identity trust is pinned to the service account."
  }
  assert {
    condition     = output.cluster_name == "payflow-production" && output.load_balancer_controller_role_arn == aws_iam_role.load_balancer_controller_role.arn && output.node_security_group_id == output.cluster_security_group_id
    error_message = "Contract outputs are exposed."
  }
}

# Whoever applies the module (here an SSO session: aws_iam_session_context turns it into the role,
# path included) administers the cluster beside admin_principal_arns.
run "the_deployer_administers_the_cluster" {
  command = plan

  override_data {
    target = data.aws_iam_session_context.deployer
    values = {
      issuer_arn = "arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/eu-west-3/AWSReservedSSO_Admin_0123456789abcdef"
    }
  }
  variables {
    environment          = "development"
    admin_principal_arns = []
  }

  assert {
    condition     = keys(aws_eks_access_entry.admin) == ["arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/eu-west-3/AWSReservedSSO_Admin_0123456789abcdef"]
    error_message = "The role behind the deploying session gets an admin access entry (its full ARN, path included)."
  }
  assert {
    condition     = jsondecode(aws_eks_addon.addon_aws_ebs_csi_driver.configuration_values).controller.extraVolumeTags == { Project = "payflow", Environment = "development" }
    error_message = "Volumes of PersistentVolumeClaims carry the environment's tags (make destroy deletes what is left by them)."
  }
}

run "the_plan_role_never_becomes_an_admin" {
  command = plan

  override_data {
    target = data.aws_iam_session_context.deployer
    values = {
      issuer_arn = "arn:aws:iam::123456789012:role/payflow-github-plan"
    }
  }
  variables {
    environment           = "staging"
    viewer_principal_arns = ["arn:aws:iam::123456789012:role/payflow-github-plan"]
  }

  assert {
    condition     = !contains(keys(aws_eks_access_entry.admin), "arn:aws:iam::123456789012:role/payflow-github-plan") && length(aws_eks_access_entry.admin) == 2
    error_message = "A viewer running the plan is not added as an administrator."
  }
}

run "the_root_user_is_never_added" {
  command = plan

  override_data {
    target = data.aws_iam_session_context.deployer
    values = {
      issuer_arn = "arn:aws:iam::123456789012:root"
    }
  }
  variables {
    environment = "development"
  }

  assert {
    condition     = length(aws_eks_access_entry.admin) == 2
    error_message = "EKS grants no access entry to the root user: it is left out (the preflight says why)."
  }
}

run "rejects_no_admin_at_all" {
  command = plan
  variables {
    environment          = "development"
    admin_principal_arns = []
    grant_deployer_admin = false
  }
  expect_failures = [var.admin_principal_arns]
}

run "rejects_a_public_endpoint_open_to_the_world" {
  command = plan

  variables {
    environment            = "staging"
    endpoint_public_access = true
    public_access_cidrs    = ["0.0.0.0/0"]
  }

  expect_failures = [var.public_access_cidrs]
}

run "rejects_a_public_endpoint_without_cidrs" {
  command = plan

  variables {
    environment            = "staging"
    endpoint_public_access = true
  }

  expect_failures = [var.public_access_cidrs]
}

run "rejects_bad_node_sizes_and_capacity_type" {
  command = plan

  variables {
    environment        = "production"
    node_capacity_type = "RESERVED"
    node_min_size      = 3
    node_desired_size  = 10
    node_max_size      = 6
  }

  expect_failures = [var.node_capacity_type, var.node_desired_size]
}

run "rejects_hop_limit_and_admin_arn" {
  command = plan

  variables {
    environment             = "production"
    node_metadata_hop_limit = 3
    admin_principal_arns    = ["admin"]
  }

  expect_failures = [var.node_metadata_hop_limit, var.admin_principal_arns]
}

run "rejects_a_bad_viewer_arn" {
  command = plan

  variables {
    environment           = "staging"
    viewer_principal_arns = ["github-plan"]
  }

  expect_failures = [var.viewer_principal_arns]
}

run "rejects_a_principal_both_admin_and_viewer" {
  command = plan

  variables {
    environment           = "staging"
    viewer_principal_arns = ["arn:aws:iam::123456789012:role/payflow-github-deploy"]
  }

  expect_failures = [var.viewer_principal_arns]
}

run "rejects_a_kubernetes_version_not_in_the_dated_table" {
  command = plan

  variables {
    environment     = "staging"
    cluster_version = "1.31"
  }

  expect_failures = [var.cluster_version]
}

run "rejects_an_endpoints_security_group_that_is_not_one" {
  command = plan

  variables {
    environment                           = "staging"
    interface_endpoints_security_group_id = "vpce-0123456789abcdef0"
  }

  expect_failures = [var.interface_endpoints_security_group_id]
}
