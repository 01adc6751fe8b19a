# The AWS account that holds what every environment shares: the ECR repository of the API image
# and, when root.hcl names a github_repository, the GitHub Actions OIDC provider with its
# plan/deploy roles (live/shared/global/terragrunt.hcl).
# Deployed once per account, before the environments (make deploy does it for you).
locals {
  # Optional: account_id = "<12 digits>" pins the account (when the environments live in
  # several accounts, the one holding the ECR repository). Without it, the account of the
  # credentials, as every environment that pins none.
  region = "eu-west-3"

  # The modules name resources ${project}-${environment}-...; the account-wide resources take the
  # strictest environment's name and settings.
  environment = "production"

  # GitHub branches and environments allowed to assume the deploy role.
  github_deploy_branches = ["main"]
  github_environments    = ["staging", "production"]

  # Regions besides `region` where the GitHub deploy role may use KMS and RDS (nothing else): every
  # environment's database.db_backup_replication_region, where the data layer copies the RDS backups
  # (production: eu-west-1, live/production/env.hcl). The contract test
  # (live/test/live-contract.test.ts) fails when an environment replicates to a region not listed
  # here; apply live/shared before that environment.
  additional_regions = ["eu-west-1"]
}
