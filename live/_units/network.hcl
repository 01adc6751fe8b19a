# The network layer of every environment (modules/network: VPC, subnets, NAT, flow logs,
# endpoints). live/<env>/network/terragrunt.hcl includes this file; values come from env.hcl.
locals {
  env = read_terragrunt_config(find_in_parent_folders("env.hcl")).locals
}

terraform {
  source = "${get_repo_root()}/modules/network"
}

# Account-wide: the permissions boundary every IAM role of this layer carries (the GitHub deploy
# role may only create roles bounded by it: stacks/shared/permissions-boundary.ts).
dependency "shared" {
  config_path = "${get_repo_root()}/live/shared/global"
  mock_outputs = {
    permissions_boundary_arn = "arn:aws:iam::123456789012:policy/payflow-permissions-boundary"
  }
  mock_outputs_allowed_terraform_commands = ["init", "validate", "plan"]
}

# env.hcl's network section is named after this module's inputs: passed whole, then the rest.
inputs = merge(local.env.network, {
  permissions_boundary_arn = dependency.shared.outputs.permissions_boundary_arn
  flow_log_retention_days  = local.env.retention.log_days
})
