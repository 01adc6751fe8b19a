# The edge layer of every environment (modules/edge: the ACM certificate of the public names, the
# AWS WAF web ACL and the access-log bucket of the load balancer the Ingresses share).
# live/<env>/edge/terragrunt.hcl includes this file; the values come from live/<env>/env.hcl.
locals {
  env = read_terragrunt_config(find_in_parent_folders("env.hcl")).locals
}

terraform {
  source = "${get_repo_root()}//modules/edge"
  # What the modules do not read (about 1 GB): Terragrunt would copy it into every unit's cache.
  # Beside source on purpose: root.hcl has no terraform block, since the include merge would
  # keep only one of two exclude_from_copy lists (live/README.md, "How the code is organised").
  exclude_from_copy = ["node_modules", "app/node_modules", "app/coverage", "app/dist", "coverage", "reports", "cdktf.out"]
}

# Order only: the edge reads nothing of the data layer, but an environment's units form one chain,
# so that Terragrunt runs one Terraform init at a time (live/environment.sh, use_plugin_cache).
dependencies {
  paths = ["${get_terragrunt_dir()}/../data"]
}

inputs = {
  dns_zone            = local.env.dns.zone
  dns_subdomain       = local.env.dns.subdomain
  tls_policy          = local.env.load_balancer.tls_policy
  deletion_protection = local.env.load_balancer.deletion_protection
  access_log_days     = local.env.load_balancer.access_log_days
  waf                 = local.env.load_balancer.waf
  waf_rate_limit      = local.env.load_balancer.waf_rate_limit

  buckets_force_destroy = local.env.retention.buckets_force_destroy
  # Teardown switch (DECOMMISSION=true, make destroy): the access-log bucket is deleted with its
  # logs in every environment, production included. Anything but "true" is false.
  decommission = get_env("DECOMMISSION", "false") == "true"
}
