# Values the mocked AWS provider returns, shared by every test file of the data module.
# Only what the module reads back needs a realistic shape (ARNs, JSON, the RDS secret).

# RDS returns the secret it created for the master password; the mock must too,
# since outputs and the external-secrets policy read master_user_secret[0].
mock_resource "aws_db_instance" {
  defaults = {
    # The backup replication validates the source instance's ARN.
    arn     = "arn:aws:rds:eu-west-3:111122223333:db:payflow-mock-postgres"
    address = "payflow-db.abcdefghijkl.eu-west-3.rds.amazonaws.com"
    master_user_secret = [{
      kms_key_id    = "arn:aws:kms:eu-west-3:111122223333:key/00000000-0000-0000-0000-000000000000"
      secret_arn    = "arn:aws:secretsmanager:eu-west-3:111122223333:secret:rds!db-mock-AbCdEf"
      secret_status = "active"
    }]
  }
}
mock_resource "aws_kms_key" {
  defaults = {
    arn = "arn:aws:kms:eu-west-3:111122223333:key/00000000-0000-0000-0000-000000000000"
  }
}
# The alarm actions are compared with it: a realistic ARN, not the mock's random string.
mock_resource "aws_sns_topic" {
  defaults = {
    arn = "arn:aws:sns:eu-west-3:111122223333:payflow-mock-data-alarms"
  }
}
mock_resource "aws_secretsmanager_secret" {
  defaults = {
    arn = "arn:aws:secretsmanager:eu-west-3:111122223333:secret:payflow/alerting-AbCdEf"
  }
}
mock_resource "aws_s3_bucket" {
  defaults = {
    arn = "arn:aws:s3:::payflow-mock-bucket"
  }
}
mock_resource "aws_iam_role" {
  defaults = {
    arn = "arn:aws:iam::111122223333:role/payflow-mock"
  }
}
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
# The API's role policy names them (elasticache:Connect).
mock_resource "aws_elasticache_replication_group" {
  defaults = {
    arn = "arn:aws:elasticache:eu-west-3:111122223333:replicationgroup:payflow-mock-redis"
  }
}
mock_resource "aws_elasticache_user" {
  defaults = {
    arn = "arn:aws:elasticache:eu-west-3:111122223333:user:payflow-mock-redis-api"
  }
}
mock_data "aws_iam_policy_document" {
  defaults = {
    json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
  }
}
