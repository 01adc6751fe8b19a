# Account-wide unit (modules/shared): the ECR repository of the API image and, when root.hcl names
# a github_repository, the GitHub Actions OIDC provider with its plan and deploy roles. Once per
# AWS account; its settings are in ../account.hcl. make deploy applies it before any environment.
include "root" {
  path   = find_in_parent_folders("root.hcl")
  expose = true
}

locals {
  account = read_terragrunt_config(find_in_parent_folders("account.hcl")).locals
}

terraform {
  source = "${get_repo_root()}//modules/shared"
  # What the modules do not read (about 1 GB): Terragrunt would copy it into every unit's cache.
  # Beside source on purpose: root.hcl has no terraform block, since the include merge would
  # keep only one of two exclude_from_copy lists (live/README.md, "How the code is organised").
  exclude_from_copy = ["node_modules", "app/node_modules", "app/coverage", "app/dist", "coverage", "reports", "cdktf.out"]
}

inputs = {
  # No repository in root.hcl: no GitHub OIDC provider nor roles (a laptop-only account).
  create_github_roles    = include.root.locals.github_repository != ""
  github_repository      = include.root.locals.github_repository
  github_deploy_branches = local.account.github_deploy_branches
  github_environments    = local.account.github_environments
  additional_regions     = local.account.additional_regions
}
