# Applies the shared module with a mocked AWS provider. The module is deployed once per
# account (live/shared, environment = the account's strictest environment); one run per
# environment value checks names and that nothing else depends on it; "backup_region" checks
# what additional_regions widens.

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  region              = "eu-west-3"
  allowed_account_ids = ["123456789012"]
  github_repository   = "acme/payflow-platform"
}

run "development" {
  command = apply

  variables {
    environment            = "development"
    github_deploy_branches = ["main", "release/2026-11"]
    github_environments    = ["development"]
  }

  assert {
    condition     = aws_iam_role.github_deploy_role[0].name == "payflow-development-github-deploy" && aws_iam_role.github_plan_role[0].name == "payflow-development-github-plan"
    error_message = "Role names are <project>-<environment>-github-<purpose>."
  }
  assert {
    condition = toset(one([for c in data.aws_iam_policy_document.github_deploy_trust[0].statement[0].condition : c.values if c.variable == "token.actions.githubusercontent.com:sub"])) == toset([
      "repo:acme/payflow-platform:ref:refs/heads/main",
      "repo:acme/payflow-platform:ref:refs/heads/release/2026-11",
      "repo:acme/payflow-platform:environment:development",
    ])
    error_message = "The deploy role trusts exactly the configured branches and environments."
  }
}

run "staging" {
  command = apply

  variables {
    environment               = "staging"
    state_bucket_name_pattern = "acme-state-bucket"
  }

  assert {
    condition     = contains(one([for s in data.aws_iam_policy_document.github_plan_permissions.statement : s.resources if s.sid == "ReadState"]), "arn:aws:s3:::acme-state-bucket/*")
    error_message = "An explicit state bucket name replaces the default pattern."
  }
}

# live/shared/account.hcl: production replicates its database backups to eu-west-1.
run "backup_region" {
  command = apply

  variables {
    environment        = "production"
    additional_regions = ["eu-west-1"]
  }

  assert {
    condition = alltrue([
      one([for s in data.aws_iam_policy_document.github_deploy_permissions.statement : toset(one(s.condition).values) if s.sid == "ProvisionKeysAndDatabasesInTheRegions"]) == toset(["eu-west-3", "eu-west-1"]),
      one([for s in data.aws_iam_policy_document.github_deploy_permissions.statement : toset(s.actions) if s.sid == "ProvisionKeysAndDatabasesInTheRegions"]) == toset(["kms:*", "rds:*"]),
    ])
    error_message = "additional_regions lets the deploy role use KMS and RDS in the backup region too."
  }
  assert {
    condition     = alltrue([for s in data.aws_iam_policy_document.github_deploy_permissions.statement : toset(one(s.condition).values) == toset(["eu-west-3"]) if s.sid != "ProvisionKeysAndDatabasesInTheRegions" && length([for c in s.condition : c if c.variable == "aws:RequestedRegion"]) > 0])
    error_message = "Every other regional service stays in region only."
  }
}

run "production" {
  command = apply

  variables {
    environment = "production"
  }

  assert {
    condition = alltrue([
      aws_ecr_repository.ecr_repository.name == "payflow/api",
      aws_ecr_repository.ecr_repository.image_tag_mutability == "IMMUTABLE",
      aws_ecr_repository.ecr_repository.image_scanning_configuration[0].scan_on_push,
      aws_ecr_repository.ecr_repository.encryption_configuration[0].encryption_type == "KMS",
      aws_ecr_repository.ecr_repository.encryption_configuration[0].kms_key == aws_kms_key.ecr_key.arn,
      aws_kms_key.ecr_key.enable_key_rotation,
    ])
    error_message = "The API repository has immutable tags, scan on push and a rotating KMS key."
  }
  assert {
    condition = alltrue([
      jsondecode(aws_ecr_lifecycle_policy.ecr_lifecycle.policy).rules[0].selection.tagPatternList == ["*.*.*"],
      jsondecode(aws_ecr_lifecycle_policy.ecr_lifecycle.policy).rules[1].selection.tagPrefixList == ["deployed-"],
      jsondecode(aws_ecr_lifecycle_policy.ecr_lifecycle.policy).rules[2].selection.tagStatus == "untagged",
      jsondecode(aws_ecr_lifecycle_policy.ecr_lifecycle.policy).rules[2].selection.countNumber == 7,
      jsondecode(aws_ecr_lifecycle_policy.ecr_lifecycle.policy).rules[3].selection.tagStatus == "tagged",
      jsondecode(aws_ecr_lifecycle_policy.ecr_lifecycle.policy).rules[3].selection.countNumber == 50,
    ])
    error_message = "The lifecycle policy keeps releases and deployed images, expires untagged images after 7 days and keeps 50 commit builds."
  }
  assert {
    condition = alltrue([
      aws_iam_policy.project_roles_boundary_policy.name == "payflow-permissions-boundary",
      output.permissions_boundary_arn == aws_iam_policy.project_roles_boundary_policy.arn,
      toset(one([for s in data.aws_iam_policy_document.github_deploy_permissions.statement : one(s.condition).values if s.sid == "ProjectRolesWithinTheBoundary"])) == toset([aws_iam_policy.project_roles_boundary_policy.arn]),
      contains(one([for s in data.aws_iam_policy_document.github_deploy_permissions.statement : s.resources if s.sid == "ProjectSecrets"]), "arn:aws:secretsmanager:eu-west-3:111122223333:secret:payflow/*/alerting-*"),
    ])
    error_message = "The deploy role creates roles only with the account's permissions boundary, and manages the data layer's secrets, the alerting one included."
  }
  assert {
    condition = alltrue([
      aws_iam_openid_connect_provider.github_provider[0].url == "https://token.actions.githubusercontent.com",
      toset(aws_iam_openid_connect_provider.github_provider[0].client_id_list) == toset(["sts.amazonaws.com"]),
      contains(aws_iam_openid_connect_provider.github_provider[0].thumbprint_list, "6938fd4d98bab03faadb97b34396831e3780aea1"),
    ])
    error_message = "The OIDC provider is GitHub's, for the sts.amazonaws.com audience, with the documented thumbprints."
  }
  assert {
    condition = alltrue([for doc in [data.aws_iam_policy_document.github_plan_trust[0], data.aws_iam_policy_document.github_deploy_trust[0]] : alltrue([
      one(doc.statement[0].principals).type == "Federated",
      toset(one(doc.statement[0].principals).identifiers) == toset([aws_iam_openid_connect_provider.github_provider[0].arn]),
      one([for c in doc.statement[0].condition : c.test == "StringEquals" && toset(c.values) == toset(["sts.amazonaws.com"]) if c.variable == "token.actions.githubusercontent.com:aud"]),
    ])])
    error_message = "Both roles trust only the GitHub provider and check the audience."
  }
  assert {
    condition = one([for c in data.aws_iam_policy_document.github_deploy_trust[0].statement[0].condition : c.test == "StringEquals" && toset(c.values) == toset([
      "repo:acme/payflow-platform:ref:refs/heads/main",
      "repo:acme/payflow-platform:environment:staging",
      "repo:acme/payflow-platform:environment:production",
    ]) if c.variable == "token.actions.githubusercontent.com:sub"])
    error_message = "The deploy role trusts only main and the staging/production environments of the repository, exactly."
  }
  assert {
    condition     = one([for c in data.aws_iam_policy_document.github_plan_trust[0].statement[0].condition : c.test == "StringLike" && alltrue([for v in c.values : startswith(v, "repo:acme/payflow-platform:")]) if c.variable == "token.actions.githubusercontent.com:sub"])
    error_message = "The plan role trusts any ref or pull request of this repository only."
  }
  assert {
    condition     = aws_iam_role_policy_attachment.github_plan_read_only[0].policy_arn == "arn:aws:iam::aws:policy/ReadOnlyAccess" && aws_iam_role_policy_attachment.github_plan_read_only[0].role == aws_iam_role.github_plan_role[0].name
    error_message = "The plan role is read-only (ReadOnlyAccess)."
  }
  assert {
    condition = alltrue([
      one([for s in data.aws_iam_policy_document.github_plan_permissions.statement : toset(s.resources) if s.sid == "WriteTheLockfileOnly"]) == toset(["arn:aws:s3:::payflow-tfstate-111122223333-*/*.tflock"]),
      one([for s in data.aws_iam_policy_document.github_plan_permissions.statement : toset(s.resources) if s.sid == "LockTable"]) == toset(["arn:aws:dynamodb:*:111122223333:table/payflow-tflock-111122223333-*"]),
      length([for s in data.aws_iam_policy_document.github_plan_permissions.statement : s if contains(s.actions, "secretsmanager:GetSecretValue")]) == 0,
    ])
    error_message = "The plan role writes only the state lockfile and the lock table, and reads no secret value."
  }
  assert {
    condition = alltrue([
      one([for s in data.aws_iam_policy_document.github_deploy_permissions.statement : toset(s.resources) if s.sid == "PushTheApiImage"]) == toset([aws_ecr_repository.ecr_repository.arn]),
      one([for s in data.aws_iam_policy_document.github_deploy_permissions.statement : s.effect if s.sid == "NeverChangeTheGithubRoles"]) == "Deny",
      one([for s in data.aws_iam_policy_document.github_deploy_permissions.statement : toset(one(s.condition).values) if s.sid == "ProvisionTheLayersInTheRegion"]) == toset(["eu-west-3"]),
      one([for s in data.aws_iam_policy_document.github_deploy_permissions.statement : toset(one(s.condition).values) if s.sid == "ProvisionKeysAndDatabasesInTheRegions"]) == toset(["eu-west-3"]),
    ])
    error_message = "The deploy role pushes only to the API repository, cannot edit the GitHub roles and, without additional_regions, provisions only in its region."
  }
  assert {
    condition     = output.ecr_repository_url == "111122223333.dkr.ecr.eu-west-3.amazonaws.com/payflow/api" && output.github_deploy_role_arn == aws_iam_role.github_deploy_role[0].arn
    error_message = "The contract outputs are set."
  }
}

# A laptop-only account (root.hcl: github_repository = ""): the ECR repository, no GitHub identity.
run "without_github_roles" {
  command = apply

  variables {
    environment         = "development"
    create_github_roles = false
    github_repository   = ""
  }

  assert {
    condition     = length(aws_iam_openid_connect_provider.github_provider) == 0 && length(aws_iam_role.github_plan_role) == 0 && length(aws_iam_role.github_deploy_role) == 0
    error_message = "create_github_roles = false creates no GitHub OIDC provider nor role."
  }
  assert {
    condition     = output.github_deploy_role_arn == "" && output.github_plan_role_arn == "" && output.github_oidc_provider_arn == ""
    error_message = "Without GitHub roles their outputs are empty strings (live/_units/cluster.hcl compacts them away)."
  }
}
