# The data layer of every environment (modules/data: RDS PostgreSQL, ElastiCache Redis, Loki and
# Tempo buckets, their Pod Identity roles). live/<env>/data/terragrunt.hcl includes this file;
# the values come from live/<env>/env.hcl.
locals {
  env = read_terragrunt_config(find_in_parent_folders("env.hcl")).locals
}

terraform {
  source = "${get_repo_root()}/modules/data"
}

dependency "network" {
  config_path = "${get_terragrunt_dir()}/../network"
  mock_outputs = {
    vpc_id          = "vpc-00000000000000000"
    data_subnet_ids = ["subnet-00000000000000001", "subnet-00000000000000002"]
  }
  mock_outputs_allowed_terraform_commands = ["init", "validate", "plan"]
}

dependency "cluster" {
  config_path = "${get_terragrunt_dir()}/../cluster"
  mock_outputs = {
    cluster_name           = "payflow-mock"
    node_security_group_id = "sg-00000000000000000"
  }
  mock_outputs_allowed_terraform_commands = ["init", "validate", "plan"]
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

# env.hcl's database, redis and alarms sections are named after this module's inputs: passed
# whole, then the rest.
inputs = merge(local.env.database, local.env.redis, local.env.alarms, {
  permissions_boundary_arn = dependency.shared.outputs.permissions_boundary_arn
  vpc_id                   = dependency.network.outputs.vpc_id
  data_subnet_ids          = dependency.network.outputs.data_subnet_ids
  cluster_name             = dependency.cluster.outputs.cluster_name
  node_security_group_id   = dependency.cluster.outputs.node_security_group_id

  # retention feeds several layers, whose inputs name its keys differently.
  log_retention_days          = local.env.retention.log_days
  loki_retention_days         = local.env.retention.loki_days
  tempo_retention_days        = local.env.retention.tempo_days
  buckets_force_destroy       = local.env.retention.buckets_force_destroy
  secret_recovery_window_days = local.env.retention.secret_recovery_window_days

  # Teardown switch (DECOMMISSION=true): RDS deletion protection off and force-destroyable
  # Loki/Tempo buckets in every environment, production included. Anything but "true" is false.
  decommission = get_env("DECOMMISSION", "false") == "true"
})
