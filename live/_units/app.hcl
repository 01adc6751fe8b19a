# The app layer of every environment (modules/app: the payflow-migrations Job, then the payflow
# API release from app/chart). live/<env>/app/terragrunt.hcl includes this file,
# _cluster-dependency.hcl for the cluster connection (dependency "cluster" and its inputs) and
# _edge-dependency.hcl for the load balancer's settings (dependency "edge" and its inputs).
locals {
  env = read_terragrunt_config(find_in_parent_folders("env.hcl")).locals
}

terraform {
  # The module folder alone: synthesis copied what it reads into modules/app/copied.
  source = "${get_repo_root()}/modules/app"
}

dependency "network" {
  config_path = "${get_terragrunt_dir()}/../network"
  mock_outputs = {
    public_subnet_cidr_blocks = ["10.0.192.0/22", "10.0.196.0/22"]
    data_subnet_cidr_blocks   = ["10.0.208.0/22", "10.0.212.0/22"]
  }
  mock_outputs_allowed_terraform_commands = ["init", "validate", "plan"]
}

dependency "data" {
  config_path = "${get_terragrunt_dir()}/../data"
  mock_outputs = {
    db_address                 = "payflow-mock.abcdefghijkl.eu-west-3.rds.amazonaws.com"
    db_port                    = 5432
    db_name                    = "payflow"
    db_username                = "payflow_admin"
    db_api_username            = "payflow_api"
    db_master_secret_arn       = "arn:aws:secretsmanager:eu-west-3:123456789012:secret:rds-mock-AbCdEf"
    redis_primary_endpoint     = "master.payflow-mock.abcdef.euw3.cache.amazonaws.com"
    redis_port                 = 6379
    redis_api_username         = "payflow-mock-redis-api"
    redis_replication_group_id = "payflow-mock-redis"
  }
  mock_outputs_allowed_terraform_commands = ["init", "validate", "plan"]
}

dependency "platform" {
  config_path = "${get_terragrunt_dir()}/../platform"
  mock_outputs = {
    cluster_secret_store_name = "aws-secrets-manager"
    monitoring_namespace      = "monitoring"
  }
  mock_outputs_allowed_terraform_commands = ["init", "validate", "plan"]
}

# Account-wide: applied by make deploy before the environment (live/README.md).
dependency "shared" {
  config_path = "${get_repo_root()}/live/shared/global"
  mock_outputs = {
    ecr_repository_url = "123456789012.dkr.ecr.eu-west-3.amazonaws.com/payflow-api"
  }
  mock_outputs_allowed_terraform_commands = ["init", "validate", "plan"]
}

# env.hcl's app section is named after this module's inputs: passed whole, then the rest.
# app/chart/values-<env>.yaml is evaluated from these same inputs (stacks/app/example-inputs.ts).
inputs = merge(local.env.app, {
  image_repository = dependency.shared.outputs.ecr_repository_url
  # CI passes the commit SHA it built and pushed; make deploy builds and pushes the current
  # commit when unset. By hand, the default is that same full SHA: never a moving "latest".
  image_tag = get_env("IMAGE_TAG", trimspace(run_cmd("--terragrunt-quiet", "git", "rev-parse", "HEAD")))

  # The API logs in to both with IAM tokens (Pod Identity role of the data layer): no password.
  aws_region                 = local.env.region
  db_address                 = dependency.data.outputs.db_address
  db_port                    = dependency.data.outputs.db_port
  db_name                    = dependency.data.outputs.db_name
  db_username                = dependency.data.outputs.db_username
  db_api_username            = dependency.data.outputs.db_api_username
  db_master_secret_arn       = dependency.data.outputs.db_master_secret_arn
  redis_primary_endpoint     = dependency.data.outputs.redis_primary_endpoint
  redis_port                 = dependency.data.outputs.redis_port
  redis_api_username         = dependency.data.outputs.redis_api_username
  redis_replication_group_id = dependency.data.outputs.redis_replication_group_id

  cluster_secret_store_name = dependency.platform.outputs.cluster_secret_store_name
  monitoring_namespace      = dependency.platform.outputs.monitoring_namespace

  # The ALB (target type ip) reaches the pods from the public subnets: the only CIDRs the API
  # network policy admits (Prometheus comes in by namespace).
  public_subnet_cidr_blocks = dependency.network.outputs.public_subnet_cidr_blocks
  data_subnet_cidr_blocks   = dependency.network.outputs.data_subnet_cidr_blocks

})
