# Values the mocked AWS provider returns, shared by every test file of the edge module.
# Only what the module reads back needs a realistic shape (account id, ARNs, the zone).

mock_data "aws_caller_identity" {
  defaults = {
    account_id = "111122223333"
  }
}
mock_data "aws_iam_policy_document" {
  defaults = {
    json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
  }
}
mock_data "aws_elb_service_account" {
  defaults = {
    # The Elastic Load Balancing account of eu-west-3 (Paris).
    arn = "arn:aws:iam::009996457667:root"
  }
}
mock_data "aws_route53_zone" {
  defaults = {
    zone_id = "Z0123456789ABCDEFGHIJ"
  }
}
mock_resource "aws_s3_bucket" {
  defaults = {
    arn = "arn:aws:s3:::payflow-mock-alb-logs-111122223333"
  }
}
mock_resource "aws_wafv2_web_acl" {
  defaults = {
    arn = "arn:aws:wafv2:eu-west-3:111122223333:regional/webacl/payflow-mock-load-balancer/0ac8a1b2-1234-5678-9abc-def012345678"
  }
}
mock_resource "aws_acm_certificate" {
  defaults = {
    arn = "arn:aws:acm:eu-west-3:111122223333:certificate/0ac8a1b2-1234-5678-9abc-def012345678"
  }
}
mock_resource "aws_acm_certificate_validation" {
  defaults = {
    certificate_arn = "arn:aws:acm:eu-west-3:111122223333:certificate/0ac8a1b2-1234-5678-9abc-def012345678"
  }
}
