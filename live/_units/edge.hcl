# The edge layer of every environment (modules/edge: the ACM certificate of the public names, the
# AWS WAF web ACL and the access-log bucket of the load balancer the Ingresses share).
# live/<env>/edge/terragrunt.hcl includes this file; the values come from live/<env>/env.hcl.
locals {
  env = read_terragrunt_config(find_in_parent_folders("env.hcl")).locals
}

terraform {
  source = "${get_repo_root()}/modules/edge"
}

# Order only: the edge reads nothing of the data layer, but an environment's units form one chain,
# so that Terragrunt runs one Terraform init at a time (live/environment.sh, use_plugin_cache).
dependencies {
  paths = ["${get_terragrunt_dir()}/../data"]
}

# env.hcl's load_balancer section is named after this module's inputs: passed whole, then the rest.
inputs = merge(local.env.load_balancer, {
  dns_zone      = local.env.dns.zone
  dns_subdomain = local.env.dns.subdomain

  buckets_force_destroy = local.env.retention.buckets_force_destroy
  # Teardown switch (DECOMMISSION=true, make destroy): the access-log bucket is deleted with its
  # logs in every environment, production included. Anything but "true" is false.
  decommission = get_env("DECOMMISSION", "false") == "true"
})
