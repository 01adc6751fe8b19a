# Root Terragrunt configuration, included by every unit under live/ with
#   include "root" { path = find_in_parent_folders("root.hcl") }
# It is named root.hcl, not terragrunt.hcl: Terragrunt deprecates a root file named
# terragrunt.hcl (docs/adr/007-root-hcl.md). It holds what every unit shares: the S3 remote
# state, the common inputs and the tool version constraints. Environment data lives in
# live/<env>/env.hcl (live/shared/account.hcl for the account-wide unit), never here.

terraform_version_constraint = ">= 1.11.0, < 2.0.0"
# 0.95: run --all leaves dependencies outside the folder out of the run, so that applying
# live/<env> never applies live/shared/global (CI deploys with SKIP_SHARED=1, live/environment.sh).
terragrunt_version_constraint = ">= 0.95.0, < 2.0.0"

locals {
  project = "payflow"
  # Optional: your GitHub repository ("owner/name"), to deploy from GitHub Actions. live/shared
  # then creates the GitHub OIDC provider and the plan/deploy roles, which trust only this
  # repository, and every resource is tagged with it. Empty: no GitHub roles (a laptop deploy).
  github_repository = ""

  # An environment unit finds live/<env>/env.hcl; the account-wide unit live/shared finds
  # live/shared/account.hcl. Both define region and environment, and may pin account_id;
  # without it, the account is the one of the credentials Terragrunt runs with.
  scope       = try(read_terragrunt_config(find_in_parent_folders("env.hcl")), read_terragrunt_config(find_in_parent_folders("account.hcl")))
  account_id  = try(local.scope.locals.account_id, get_aws_account_id())
  region      = local.scope.locals.region
  environment = local.scope.locals.environment

  tags = merge(
    {
      Project     = local.project
      Environment = local.environment
      ManagedBy   = "terragrunt"
    },
    local.github_repository == "" ? {} : { Repository = "github.com/${local.github_repository}" },
  )

  # THE switch for the DynamoDB lock table (docs/adr/006-state-locking.md). Native S3 locking
  # (use_lockfile) is always on; the table is added on top while it is true. Turn it off for
  # one run with PAYFLOW_STATE_DYNAMODB_LOCK=false, or for good by changing the default here.
  dynamodb_lock = get_env("PAYFLOW_STATE_DYNAMODB_LOCK", "true") == "true"

  # One bucket per account and region, created and hardened by Terragrunt on first use
  # (--backend-bootstrap). The skip_* options are spelled out as false so that a reader and
  # the contract test (live/test/live-contract.test.ts) see the hardening, not a default.
  state_bucket_config = {
    bucket         = "${local.project}-tfstate-${local.account_id}-${local.region}"
    key            = "${path_relative_to_include()}/terraform.tfstate"
    region         = local.region
    encrypt        = true
    use_lockfile   = true
    s3_bucket_tags = local.tags

    skip_bucket_versioning             = false
    skip_bucket_ssencryption           = false
    skip_bucket_enforced_tls           = false
    skip_bucket_public_access_blocking = false
    skip_bucket_root_access            = false
  }

  state_lock_table = {
    dynamodb_table                 = "${local.project}-tflock-${local.account_id}-${local.region}"
    dynamodb_table_tags            = local.tags
    enable_lock_table_ssencryption = true
  }
  state_lock_table_config = local.dynamodb_lock ? local.state_lock_table : {}
}

remote_state {
  backend = "s3"
  config  = merge(local.state_bucket_config, local.state_lock_table_config)
  generate = {
    path      = "backend.tf"
    if_exists = "overwrite_terragrunt"
  }
}

# Every module declares project and environment; AWS modules also region and tags (they feed
# the provider's default_tags) and allowed_account_ids (the provider refuses any other account,
# so a terragrunt apply run by hand with the wrong profile stops before changing anything).
# Terragrunt passes inputs as TF_VAR_* variables, which Terraform ignores in a module that does
# not declare them (the Kubernetes-only platform and app modules).
inputs = {
  project             = local.project
  environment         = local.environment
  region              = local.region
  tags                = local.tags
  allowed_account_ids = [local.account_id]
}
