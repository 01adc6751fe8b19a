# The cluster layer of every environment (modules/cluster: EKS, managed nodes, add-ons, Pod
# Identity roles of the controllers). live/<env>/cluster/terragrunt.hcl includes this file.
locals {
  env = read_terragrunt_config(find_in_parent_folders("env.hcl")).locals
}

terraform {
  source = "${get_repo_root()}/modules/cluster"
}

dependency "network" {
  config_path = "${get_terragrunt_dir()}/../network"
  mock_outputs = {
    vpc_id                                = "vpc-00000000000000000"
    private_subnet_ids                    = ["subnet-00000000000000003", "subnet-00000000000000004"]
    interface_endpoints_security_group_id = ""
  }
  mock_outputs_allowed_terraform_commands = ["init", "validate", "plan"]
}

# Account-wide: the GitHub deploy role must administer the cluster, since the platform and app
# layers talk to the Kubernetes API with the identity Terragrunt runs as. The GitHub plan role
# (terragrunt plan on pull requests) only reads it: view policy plus Helm release Secrets. Both
# are "" when live/shared creates no GitHub roles (root.hcl: github_repository = "").
dependency "shared" {
  config_path = "${get_repo_root()}/live/shared/global"
  mock_outputs = {
    github_deploy_role_arn   = "arn:aws:iam::123456789012:role/payflow-github-deploy"
    github_plan_role_arn     = "arn:aws:iam::123456789012:role/payflow-github-plan"
    permissions_boundary_arn = "arn:aws:iam::123456789012:policy/payflow-permissions-boundary"
  }
  mock_outputs_allowed_terraform_commands = ["init", "validate", "plan"]
}

# env.hcl's cluster section is named after this module's inputs: passed whole, then the rest
# (admin_principal_arns below adds the deploy role to the section's list).
inputs = merge(local.env.cluster, {
  vpc_id             = dependency.network.outputs.vpc_id
  private_subnet_ids = dependency.network.outputs.private_subnet_ids
  # The role or user applying this unit is made an administrator by the module itself
  # (grant_deployer_admin): a laptop deploy needs no ARN here.
  admin_principal_arns  = compact(concat(local.env.cluster.admin_principal_arns, [dependency.shared.outputs.github_deploy_role_arn]))
  viewer_principal_arns = compact([dependency.shared.outputs.github_plan_role_arn])
  # Every IAM role of the layer carries it (stacks/shared/permissions-boundary.ts).
  permissions_boundary_arn = dependency.shared.outputs.permissions_boundary_arn

  # The tunnel instance reaches Systems Manager through these endpoints, or the NAT when "".
  interface_endpoints_security_group_id = dependency.network.outputs.interface_endpoints_security_group_id

  cluster_log_retention_days = local.env.retention.log_days
})
