# The platform layer of every environment (modules/platform: load balancer controller, External
# Secrets, metrics-server, autoscaler, Prometheus/Grafana, Loki, Tempo, log shipper, blackbox
# exporter). live/<env>/platform/terragrunt.hcl includes this file, _cluster-dependency.hcl
# for the cluster connection (dependency "cluster" and its inputs) and _edge-dependency.hcl for
# the load balancer's settings (dependency "edge" and its inputs). The controllers' AWS roles are
# bound by Pod Identity in the cluster and data layers, so none is passed here.
locals {
  env = read_terragrunt_config(find_in_parent_folders("env.hcl")).locals
}

terraform {
  # The module folder alone: synthesis copied what it reads into modules/platform/copied.
  source = "${get_repo_root()}/modules/platform"
}

dependency "network" {
  config_path = "${get_terragrunt_dir()}/../network"
  mock_outputs = {
    vpc_id = "vpc-00000000000000000"
  }
  mock_outputs_allowed_terraform_commands = ["init", "validate", "plan"]
}

dependency "data" {
  config_path = "${get_terragrunt_dir()}/../data"
  mock_outputs = {
    loki_bucket_name     = "payflow-mock-loki"
    tempo_bucket_name    = "payflow-mock-tempo"
    alerting_secret_name = "payflow/mock/alerting"
  }
  mock_outputs_allowed_terraform_commands = ["init", "validate", "plan"]
}

# env.hcl's monitoring section is named after this module's inputs: passed whole, then the rest.
inputs = merge(local.env.monitoring, {
  # dependency "cluster" and the connection inputs come from _cluster-dependency.hcl.
  cluster_version   = dependency.cluster.outputs.cluster_version
  vpc_id            = dependency.network.outputs.vpc_id
  loki_bucket_name  = dependency.data.outputs.loki_bucket_name
  tempo_bucket_name = dependency.data.outputs.tempo_bucket_name
  # The secret is created by the data layer; its value (the Slack webhooks) is put by the
  # operator, never by Terraform: live/README.md, "Alert notifications in Slack".
  alerting_secret_name = dependency.data.outputs.alerting_secret_name

  # dependency "edge" and the load balancer's inputs come from _edge-dependency.hcl.
  grafana_hostname = dependency.edge.outputs.grafana_hostname

  # Private unless env.hcl says otherwise: then behind Cognito, for the allow-list only.
  grafana_public                = local.env.grafana.public
  grafana_allowed_cidrs         = local.env.grafana.allowed_cidrs
  grafana_cognito_user_pool_arn = local.env.grafana.cognito.user_pool_arn
  grafana_cognito_client_id     = local.env.grafana.cognito.client_id
  grafana_cognito_domain        = local.env.grafana.cognito.domain

  prometheus_retention_days = local.env.retention.prometheus_days
  loki_retention_days       = local.env.retention.loki_days
  tempo_retention_days      = local.env.retention.tempo_days
})
