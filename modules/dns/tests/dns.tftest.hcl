# Applies the dns module with a mocked AWS provider: without a DNS zone (plain HTTP on the load
# balancer's name), with one (alias records, https:// URL), before the load balancer exists, and
# the inputs it refuses.

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  region              = "eu-west-3"
  cluster_name        = "payflow-test"
  allowed_account_ids = ["123456789012"]
}

run "development_without_a_zone" {
  command = apply

  variables {
    environment = "development"
  }

  assert {
    condition     = length(aws_route53_record.name) == 0
    error_message = "Without a zone no record is written."
  }
  assert {
    condition     = output.api_url == "http://k8s-payflow-0123456789-1234567890.eu-west-3.elb.amazonaws.com"
    error_message = "Without a zone the API is plain HTTP on the load balancer's own name."
  }
}

run "staging_with_a_zone" {
  command = apply

  variables {
    environment      = "staging"
    dns_zone_id      = "Z0123456789ABCDEFGHIJ"
    api_hostname     = "api.staging.example.com"
    grafana_hostname = "grafana.staging.example.com"
  }

  assert {
    condition     = keys(aws_route53_record.name) == ["api.staging.example.com", "grafana.staging.example.com"]
    error_message = "The API and the public Grafana get a record each."
  }
  assert {
    condition     = one(aws_route53_record.name["api.staging.example.com"].alias).name == "k8s-payflow-0123456789-1234567890.eu-west-3.elb.amazonaws.com" && one(aws_route53_record.name["api.staging.example.com"].alias).zone_id == "Z3Q77PNBQS71R4" && aws_route53_record.name["api.staging.example.com"].type == "A" && aws_route53_record.name["api.staging.example.com"].zone_id == "Z0123456789ABCDEFGHIJ"
    error_message = "Each record is an alias A record, in the zone, to the load balancer."
  }
  assert {
    condition     = output.api_url == "https://api.staging.example.com"
    error_message = "With a zone the API is https://<api_hostname>."
  }
  assert {
    condition     = data.aws_lbs.load_balancers.tags == tomap({ "elbv2.k8s.aws/cluster" = "payflow-test", "ingress.k8s.aws/stack" = "payflow" })
    error_message = "The load balancer is the one the controller of this cluster made for the Ingress group."
  }
}

run "private_grafana_has_no_record" {
  command = plan

  variables {
    environment  = "production"
    dns_zone_id  = "Z0123456789ABCDEFGHIJ"
    api_hostname = "api.example.com"
  }

  assert {
    condition     = keys(aws_route53_record.name) == ["api.example.com"]
    error_message = "Only the API is named while Grafana stays private."
  }
}

run "before_the_load_balancer_exists" {
  command = plan

  variables {
    environment  = "staging"
    dns_zone_id  = "Z0123456789ABCDEFGHIJ"
    api_hostname = "api.staging.example.com"
  }

  override_data {
    target = data.aws_lbs.load_balancers
    values = {
      arns = []
    }
  }

  assert {
    condition     = length(aws_route53_record.name) == 0 && length(data.aws_lb.load_balancer) == 0
    error_message = "Before the app layer made the load balancer, there is nothing to name yet."
  }
}

run "a_name_needs_the_zone" {
  command = plan
  variables {
    environment  = "staging"
    api_hostname = "api.staging.example.com"
  }
  expect_failures = [var.api_hostname]
}

run "a_public_grafana_needs_the_zone" {
  command = plan
  variables {
    environment      = "development"
    grafana_hostname = "grafana.dev.example.com"
  }
  expect_failures = [var.grafana_hostname]
}
