# The AWS account that holds what every environment shares: the ECR repository of the API image
# and the GitHub Actions OIDC provider with its plan/deploy roles (live/shared/terragrunt.hcl).
# Deployed once per account, before the environments (make deploy does it for you).
locals {
  # REPLACE: the 12-digit id of your AWS account (the one in live/<env>/env.hcl when every
  # environment lives in one account).
  account_id = "123456789012"
  region     = "eu-west-3"

  # The modules name resources ${project}-${environment}-...; the account-wide resources take the
  # strictest environment's name and settings.
  environment = "production"

  # GitHub branches and environments allowed to assume the deploy role.
  github_deploy_branches = ["main"]
  github_environments    = ["staging", "production"]
}
