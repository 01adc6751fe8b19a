# Values the mocked AWS provider returns, shared by every test file of the shared module.
# Only what the module reads back needs a realistic shape (account id, ARNs, JSON).

mock_data "aws_caller_identity" {
  defaults = {
    account_id = "111122223333"
  }
}
mock_data "aws_partition" {
  defaults = {
    partition = "aws"
  }
}
mock_data "aws_iam_policy_document" {
  defaults = {
    json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
  }
}
mock_resource "aws_kms_key" {
  defaults = {
    arn = "arn:aws:kms:eu-west-3:111122223333:key/00000000-0000-0000-0000-000000000000"
  }
}
mock_resource "aws_ecr_repository" {
  defaults = {
    arn            = "arn:aws:ecr:eu-west-3:111122223333:repository/payflow/api"
    repository_url = "111122223333.dkr.ecr.eu-west-3.amazonaws.com/payflow/api"
  }
}
mock_resource "aws_iam_openid_connect_provider" {
  defaults = {
    arn = "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"
  }
}
mock_resource "aws_iam_role" {
  defaults = {
    arn = "arn:aws:iam::111122223333:role/payflow-mock"
  }
}
