# Inputs the shared module must refuse (plan only).

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  region              = "eu-west-3"
  allowed_account_ids = ["123456789012"]
  environment         = "production"
  github_repository   = "acme/payflow-platform"
}

run "repository_must_be_owner_slash_name" {
  command = plan
  variables {
    github_repository = "payflow-platform"
  }
  expect_failures = [var.github_repository]
}

run "repository_must_not_be_a_wildcard" {
  command = plan
  variables {
    github_repository = "acme/*"
  }
  expect_failures = [var.github_repository]
}

run "deploy_branches_have_no_wildcard" {
  command = plan
  variables {
    github_deploy_branches = ["main", "feature/*"]
  }
  expect_failures = [var.github_deploy_branches]
}

run "deploy_environments_have_no_wildcard" {
  command = plan
  variables {
    github_environments = ["*"]
  }
  expect_failures = [var.github_environments]
}

run "at_least_one_deploy_branch" {
  command = plan
  variables {
    github_deploy_branches = []
  }
  expect_failures = [var.github_deploy_branches]
}

run "thumbprints_are_sha1" {
  command = plan
  variables {
    github_oidc_thumbprints = ["not-a-thumbprint"]
  }
  expect_failures = [var.github_oidc_thumbprints]
}

run "state_bucket_is_a_bucket_name" {
  command = plan
  variables {
    state_bucket_name_pattern = "Bad_Bucket"
  }
  expect_failures = [var.state_bucket_name_pattern]
}

run "additional_regions_are_region_names" {
  command = plan
  variables {
    additional_regions = ["Ireland"]
  }
  expect_failures = [var.additional_regions]
}

run "additional_regions_do_not_repeat" {
  command = plan
  variables {
    additional_regions = ["eu-west-1", "eu-west-1"]
  }
  expect_failures = [var.additional_regions]
}

run "additional_regions_exclude_region" {
  command = plan
  variables {
    additional_regions = ["eu-west-3"]
  }
  expect_failures = [var.additional_regions]
}

run "github_roles_need_a_repository" {
  command = plan
  variables {
    github_repository = ""
  }
  expect_failures = [var.github_repository]
}

run "allowed_account_ids_are_account_ids" {
  command = plan
  variables {
    allowed_account_ids = ["12345"]
  }
  expect_failures = [var.allowed_account_ids]
}
