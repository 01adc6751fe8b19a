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

inputs = {
  permissions_boundary_arn = dependency.shared.outputs.permissions_boundary_arn
  vpc_id                   = dependency.network.outputs.vpc_id
  data_subnet_ids          = dependency.network.outputs.data_subnet_ids
  cluster_name             = dependency.cluster.outputs.cluster_name
  node_security_group_id   = dependency.cluster.outputs.node_security_group_id

  db_instance_class                    = local.env.database.instance_class
  db_allocated_storage_gb              = local.env.database.allocated_storage_gb
  db_multi_az                          = local.env.database.multi_az
  db_deletion_protection               = local.env.database.deletion_protection
  db_skip_final_snapshot               = local.env.database.skip_final_snapshot
  db_backup_retention_days             = local.env.database.backup_retention_days
  db_backup_replication_region         = local.env.database.backup_replication_region
  db_backup_replication_retention_days = local.env.database.backup_replication_retention_days
  redis_node_type                      = local.env.redis.node_type
  redis_replica_count                  = local.env.redis.replicas
  redis_automatic_failover             = local.env.redis.automatic_failover_enabled
  redis_multi_az                       = local.env.redis.multi_az_enabled
  redis_snapshot_retention_days        = local.env.redis.snapshot_retention_days
  log_retention_days                   = local.env.retention.log_days
  loki_retention_days                  = local.env.retention.loki_days
  tempo_retention_days                 = local.env.retention.tempo_days
  buckets_force_destroy                = local.env.retention.buckets_force_destroy
  secret_recovery_window_days          = local.env.retention.secret_recovery_window_days
  alarm_email_addresses                = local.env.alarms.email_addresses

  # Teardown switch (DECOMMISSION=true): RDS deletion protection off and force-destroyable
  # Loki/Tempo buckets in every environment, production included. Anything but "true" is false.
  decommission = get_env("DECOMMISSION", "false") == "true"
}
