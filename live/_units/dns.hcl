# The dns layer of every environment (modules/dns: Route 53 alias records of the public names to
# the load balancer, and the API's URL). Applied last: the load balancer exists once the app
# layer's Ingress does. live/<env>/dns/terragrunt.hcl includes this file.
terraform {
  source = "${get_repo_root()}//modules/dns"
  # What the modules do not read (about 1 GB): Terragrunt would copy it into every unit's cache.
  # Beside source on purpose: root.hcl has no terraform block, since the include merge would
  # keep only one of two exclude_from_copy lists (live/README.md, "How the code is organised").
  exclude_from_copy = ["node_modules", "app/node_modules", "app/coverage", "app/dist", "coverage", "reports", "cdktf.out"]
}

dependency "cluster" {
  config_path = "${get_terragrunt_dir()}/../cluster"
  mock_outputs = {
    cluster_name = "payflow-mock"
  }
  mock_outputs_allowed_terraform_commands = ["init", "validate", "plan"]
}

dependency "edge" {
  config_path = "${get_terragrunt_dir()}/../edge"
  mock_outputs = {
    dns_zone_id  = ""
    api_hostname = ""
  }
  mock_outputs_allowed_terraform_commands = ["init", "validate", "plan"]
}

dependency "platform" {
  config_path = "${get_terragrunt_dir()}/../platform"
  mock_outputs = {
    grafana_public_hostname = ""
  }
  mock_outputs_allowed_terraform_commands = ["init", "validate", "plan"]
}

# The load balancer is made by the app layer's Ingress (and named after it): after it.
dependencies {
  paths = ["${get_terragrunt_dir()}/../app"]
}

inputs = {
  cluster_name     = dependency.cluster.outputs.cluster_name
  dns_zone_id      = dependency.edge.outputs.dns_zone_id
  api_hostname     = dependency.edge.outputs.api_hostname
  grafana_hostname = dependency.platform.outputs.grafana_public_hostname
}
