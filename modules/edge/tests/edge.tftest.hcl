# Applies the edge module with a mocked AWS provider: without a DNS zone (a newcomer's
# development), with one (staging, production at the zone's apex), then the inputs it refuses.

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  region              = "eu-west-3"
  allowed_account_ids = ["123456789012"]
}

run "development_without_a_zone" {
  command = apply

  variables {
    environment         = "development"
    dns_zone            = ""
    deletion_protection = false
    access_log_days     = 0
    waf                 = false
    tls_policy          = "ELBSecurityPolicy-2016-08"
  }

  assert {
    condition     = length(aws_acm_certificate.tls_certificate) == 0 && length(aws_route53_record.tls_validation_record) == 0 && length(data.aws_route53_zone.tls_zone) == 0
    error_message = "Without a zone there is no certificate, no validation record and no zone lookup."
  }
  assert {
    condition     = output.api_hostname == "" && output.grafana_hostname == "" && output.certificate_arn == "" && output.dns_zone_id == ""
    error_message = "Without a zone the names, the certificate and the zone id are empty."
  }
  assert {
    condition     = length(aws_wafv2_web_acl.load_balancer_web_acl) == 0 && output.web_acl_arn == ""
    error_message = "waf = false creates no web ACL."
  }
  assert {
    condition     = output.load_balancer_attributes == "deletion_protection.enabled=false,access_logs.s3.enabled=false,access_logs.s3.bucket=payflow-development-alb-logs-111122223333,access_logs.s3.prefix=load-balancer,routing.http.drop_invalid_header_fields.enabled=true"
    error_message = "Development turns deletion protection and access logs off, explicitly (the controller keeps unnamed attributes)."
  }
}

run "staging_with_a_zone" {
  command   = apply
  state_key = "staging"

  variables {
    environment     = "staging"
    dns_zone        = "example.com"
    dns_subdomain   = "staging"
    access_log_days = 30
    waf_rate_limit  = 2000
  }

  # ACM's answer for the two names of this run (the mock cannot derive it).
  override_resource {
    target = aws_acm_certificate.tls_certificate
    values = {
      arn = "arn:aws:acm:eu-west-3:111122223333:certificate/0ac8a1b2-1234-5678-9abc-def012345678"
      domain_validation_options = [
        { domain_name = "api.staging.example.com", resource_record_name = "_a1.api.staging.example.com.", resource_record_type = "CNAME", resource_record_value = "_b1.acm-validations.aws." },
        { domain_name = "grafana.staging.example.com", resource_record_name = "_a2.grafana.staging.example.com.", resource_record_type = "CNAME", resource_record_value = "_b2.acm-validations.aws." },
      ]
    }
  }

  assert {
    condition     = aws_acm_certificate.tls_certificate[0].domain_name == "api.staging.example.com" && aws_acm_certificate.tls_certificate[0].subject_alternative_names == toset(["grafana.staging.example.com"]) && aws_acm_certificate.tls_certificate[0].validation_method == "DNS"
    error_message = "The certificate covers api.<subdomain>.<zone> and grafana.<subdomain>.<zone>, validated by DNS."
  }
  assert {
    condition     = aws_route53_record.tls_validation_record["api.staging.example.com"].name == "_a1.api.staging.example.com." && aws_route53_record.tls_validation_record["grafana.staging.example.com"].records == toset(["_b2.acm-validations.aws."]) && aws_route53_record.tls_validation_record["api.staging.example.com"].zone_id == "Z0123456789ABCDEFGHIJ"
    error_message = "One validation record per name, as ACM asks, in the zone."
  }
  assert {
    condition     = output.api_hostname == "api.staging.example.com" && output.grafana_hostname == "grafana.staging.example.com" && output.dns_zone_id == "Z0123456789ABCDEFGHIJ"
    error_message = "The names are <service>.<subdomain>.<zone>."
  }
  assert {
    condition     = output.certificate_arn == "arn:aws:acm:eu-west-3:111122223333:certificate/0ac8a1b2-1234-5678-9abc-def012345678" && output.tls_policy == "ELBSecurityPolicy-TLS13-1-2-2021-06"
    error_message = "The validated certificate and the TLS 1.3 policy are handed to the Ingresses."
  }
  assert {
    condition     = output.load_balancer_attributes == "deletion_protection.enabled=true,access_logs.s3.enabled=true,access_logs.s3.bucket=payflow-staging-alb-logs-111122223333,access_logs.s3.prefix=load-balancer,routing.http.drop_invalid_header_fields.enabled=true"
    error_message = "Staging protects the load balancer from deletion and writes access logs to the bucket."
  }
  assert {
    condition     = aws_s3_bucket_lifecycle_configuration.access_logs_lifecycle.rule[0].expiration[0].days == 30 && one([for r in aws_s3_bucket_server_side_encryption_configuration.access_logs_encryption.rule : r.apply_server_side_encryption_by_default[0].sse_algorithm]) == "AES256"
    error_message = "Access logs expire after access_log_days, encrypted with SSE-S3 (all ALB access logs accept)."
  }
  assert {
    condition     = toset([for r in aws_wafv2_web_acl.load_balancer_web_acl[0].rule : r.name]) == toset(["rate-limit-per-client-address", "AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet"])
    error_message = "The web ACL has the rate limit and the two managed rule groups."
  }
  assert {
    condition     = output.web_acl_arn == aws_wafv2_web_acl.load_balancer_web_acl[0].arn && aws_wafv2_web_acl.load_balancer_web_acl[0].scope == "REGIONAL"
    error_message = "The regional web ACL is handed to the Ingresses."
  }
}

run "production_at_the_zone_apex" {
  command = apply
  # Its own state: replacing staging's certificate is not what this run is about.
  state_key = "production"

  variables {
    environment   = "production"
    dns_zone      = "example.com"
    dns_subdomain = ""
  }

  override_resource {
    target = aws_acm_certificate.tls_certificate
    values = {
      domain_validation_options = [
        { domain_name = "api.example.com", resource_record_name = "_a1.api.example.com.", resource_record_type = "CNAME", resource_record_value = "_b1.acm-validations.aws." },
        { domain_name = "grafana.example.com", resource_record_name = "_a2.grafana.example.com.", resource_record_type = "CNAME", resource_record_value = "_b2.acm-validations.aws." },
      ]
    }
  }

  assert {
    condition     = output.api_hostname == "api.example.com" && output.grafana_hostname == "grafana.example.com"
    error_message = "Without a subdomain the names sit right under the zone."
  }
}

run "staging_requires_a_zone" {
  command = plan
  variables {
    environment = "staging"
    dns_zone    = ""
  }
  expect_failures = [var.dns_zone]
}

run "production_requires_a_zone" {
  command = plan
  variables {
    environment = "production"
    dns_zone    = ""
  }
  expect_failures = [var.dns_zone]
}

run "production_requires_a_tls13_policy" {
  command = plan
  variables {
    environment = "production"
    dns_zone    = "example.com"
    tls_policy  = "ELBSecurityPolicy-2016-08"
  }
  expect_failures = [var.tls_policy]
}

run "staging_requires_deletion_protection" {
  command = plan
  variables {
    environment         = "staging"
    dns_zone            = "example.com"
    deletion_protection = false
  }
  expect_failures = [var.deletion_protection]
}

run "production_requires_access_logs" {
  command = plan
  variables {
    environment     = "production"
    dns_zone        = "example.com"
    access_log_days = 0
  }
  expect_failures = [var.access_log_days]
}

run "staging_requires_waf" {
  command = plan
  variables {
    environment = "staging"
    dns_zone    = "example.com"
    waf         = false
  }
  expect_failures = [var.waf]
}

run "a_zone_is_a_dns_name" {
  command = plan
  variables {
    environment = "development"
    dns_zone    = "Example.com."
  }
  expect_failures = [var.dns_zone]
}
