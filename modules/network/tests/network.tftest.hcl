# Offline tests of the network module: the AWS provider is mocked, `apply` runs the whole
# graph with generated values. One run per environment with its real inputs (see live/),
# then runs proving the input validation rejects bad values.

mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = {
      account_id = "123456789012"
    }
  }
  mock_data "aws_partition" {
    defaults = {
      partition  = "aws"
      dns_suffix = "amazonaws.com"
    }
  }
  mock_resource "aws_kms_key" {
    defaults = {
      arn = "arn:aws:kms:eu-west-3:123456789012:key/00000000-0000-0000-0000-000000000000"
    }
  }
  mock_resource "aws_cloudwatch_log_group" {
    defaults = {
      arn = "arn:aws:logs:eu-west-3:123456789012:log-group:/aws/vpc/payflow/flow-logs"
    }
  }
  mock_resource "aws_iam_role" {
    defaults = {
      arn = "arn:aws:iam::123456789012:role/payflow-vpc-flow-logs"
    }
  }
}

variables {
  permissions_boundary_arn = "arn:aws:iam::111122223333:policy/payflow-permissions-boundary"
  project                  = "payflow"
  region                   = "eu-west-3"
  allowed_account_ids      = ["123456789012"]
  tags                     = { CostCenter = "payments" }
}

run "development" {
  command = apply

  variables {
    environment                = "development"
    vpc_cidr                   = "10.10.0.0/16"
    azs                        = ["eu-west-3a", "eu-west-3b"]
    single_nat_gateway         = true
    flow_log_retention_days    = 7
    enable_interface_endpoints = false
  }

  assert {
    condition     = aws_iam_role.flow_logs_role.permissions_boundary == "arn:aws:iam::111122223333:policy/payflow-permissions-boundary"
    error_message = "The flow logs role carries the project permissions boundary."
  }
  assert {
    condition     = length(aws_subnet.public) == 2 && length(aws_subnet.private) == 2 && length(aws_subnet.data) == 2
    error_message = "Two zones must give two subnets per tier."
  }
  assert {
    condition     = length(aws_nat_gateway.nat_gateway) == 1 && length(aws_eip.nat) == 1
    error_message = "development shares a single NAT gateway."
  }
  assert {
    condition     = alltrue([for r in aws_route.private_internet : r.nat_gateway_id == aws_nat_gateway.nat_gateway[0].id])
    error_message = "With a single NAT, every private route table must use it."
  }
  assert {
    condition     = length(aws_vpc_endpoint.sts) == 0 && length(aws_vpc_endpoint.ecr_api) == 0 && length(aws_security_group.interface_endpoints) == 0
    error_message = "Interface endpoints are off when enable_interface_endpoints is false."
  }
  assert {
    condition     = output.interface_endpoints_security_group_id == ""
    error_message = "Without interface endpoints the cluster gets no endpoint security group (its tunnel goes through the NAT)."
  }
  assert {
    condition     = aws_vpc_endpoint.s3.vpc_endpoint_type == "Gateway" && length(aws_vpc_endpoint.s3.route_table_ids) == 3
    error_message = "The S3 gateway endpoint must serve the two private route tables and the data route table."
  }
  assert {
    condition     = aws_cloudwatch_log_group.flow_logs_group.retention_in_days == 7
    error_message = "Flow log retention must follow flow_log_retention_days."
  }
  assert {
    condition     = aws_subnet.private[0].cidr_block == "10.10.0.0/18" && aws_subnet.public[0].cidr_block == "10.10.192.0/22" && aws_subnet.data[1].cidr_block == "10.10.212.0/22"
    error_message = "Subnet address plan changed: private /18 from the start, public and data /22 in the last quarter."
  }
  assert {
    condition     = tolist(output.data_subnet_cidr_blocks) == tolist(["10.10.208.0/22", "10.10.212.0/22"])
    error_message = "data_subnet_cidr_blocks lists the data subnets' ranges, in zone order (the app's network policy egress)."
  }
  assert {
    condition     = tolist(output.public_subnet_cidr_blocks) == tolist(["10.10.192.0/22", "10.10.196.0/22"])
    error_message = "public_subnet_cidr_blocks lists the public subnets' ranges, in zone order (the only ALB sources the app's network policy admits)."
  }
  assert {
    condition     = aws_vpc.this.tags["Name"] == "payflow-development"
    error_message = "Names are built as <project>-<environment>."
  }
}

run "staging" {
  command = apply

  variables {
    environment                = "staging"
    vpc_cidr                   = "10.20.0.0/16"
    azs                        = ["eu-west-3a", "eu-west-3b", "eu-west-3c"]
    single_nat_gateway         = false
    flow_log_retention_days    = 30
    enable_interface_endpoints = true
  }

  assert {
    condition     = length(aws_nat_gateway.nat_gateway) == 3
    error_message = "staging has one NAT gateway per zone."
  }
  assert {
    condition     = alltrue([for i in range(3) : aws_route.private_internet[i].nat_gateway_id == aws_nat_gateway.nat_gateway[i].id])
    error_message = "Each zone's private route table must use that zone's NAT gateway."
  }
  assert {
    condition     = alltrue([for s in [aws_vpc_endpoint.ecr_api, aws_vpc_endpoint.ecr_dkr, aws_vpc_endpoint.sts, aws_vpc_endpoint.secretsmanager] : length(s) == 1 && s[0].private_dns_enabled])
    error_message = "ECR api/dkr, STS and Secrets Manager interface endpoints must exist with private DNS."
  }
  assert {
    condition     = alltrue([for s in [aws_vpc_endpoint.ssm, aws_vpc_endpoint.ssmmessages, aws_vpc_endpoint.ec2messages] : length(s) == 1 && s[0].private_dns_enabled]) && output.interface_endpoints_security_group_id == aws_security_group.interface_endpoints[0].id
    error_message = "The Systems Manager endpoints of the cluster tunnel exist with private DNS, and their security group is an output."
  }
  assert {
    condition     = aws_vpc_endpoint.sts[0].service_name == "com.amazonaws.eu-west-3.sts"
    error_message = "Endpoint service names are built from the region input."
  }
  assert {
    condition     = length(aws_security_group.interface_endpoints[0].egress) == 0 && alltrue([for rule in aws_security_group.interface_endpoints[0].ingress : rule.from_port == 443 && rule.to_port == 443 && rule.cidr_blocks == tolist(["10.20.0.0/16"])])
    error_message = "The endpoint security group admits only HTTPS from the VPC range."
  }
  assert {
    condition     = aws_cloudwatch_log_group.flow_logs_group.retention_in_days == 30
    error_message = "Flow log retention must follow flow_log_retention_days."
  }
}

run "production" {
  command = apply

  variables {
    environment                = "production"
    vpc_cidr                   = "10.30.0.0/16"
    azs                        = ["eu-west-3a", "eu-west-3b", "eu-west-3c"]
    single_nat_gateway         = false
    flow_log_retention_days    = 365
    enable_interface_endpoints = true
  }

  assert {
    condition     = length(aws_subnet.private) == 3 && length(aws_nat_gateway.nat_gateway) == 3
    error_message = "production spans three zones with one NAT gateway each."
  }
  assert {
    condition     = length(aws_default_security_group.default.ingress) == 0 && length(aws_default_security_group.default.egress) == 0
    error_message = "The default security group must have no rules."
  }
  assert {
    condition     = alltrue([for s in aws_subnet.public : s.tags["kubernetes.io/role/elb"] == "1" && s.tags["kubernetes.io/cluster/payflow-production"] == "shared" && !s.map_public_ip_on_launch])
    error_message = "Public subnets carry the ELB and cluster tags and give no public IP to instances."
  }
  assert {
    condition     = alltrue([for s in aws_subnet.private : s.tags["kubernetes.io/role/internal-elb"] == "1" && s.tags["kubernetes.io/cluster/payflow-production"] == "shared"])
    error_message = "Private subnets carry the internal ELB and cluster tags."
  }
  assert {
    condition     = alltrue([for s in aws_subnet.data : !contains(keys(s.tags), "kubernetes.io/role/elb") && !contains(keys(s.tags), "kubernetes.io/role/internal-elb")])
    error_message = "Data subnets must never receive load balancers."
  }
  assert {
    condition     = aws_kms_key.flow_logs.enable_key_rotation && aws_cloudwatch_log_group.flow_logs_group.kms_key_id == aws_kms_key.flow_logs.arn
    error_message = "Flow logs are encrypted with a rotated customer key."
  }
  assert {
    condition     = aws_cloudwatch_log_group.flow_logs_group.retention_in_days == 365
    error_message = "production keeps flow logs a year."
  }
  assert {
    condition     = aws_flow_log.flow_log.traffic_type == "ALL" && aws_flow_log.flow_log.log_destination == aws_cloudwatch_log_group.flow_logs_group.arn
    error_message = "All traffic is logged to the flow log group."
  }
  assert {
    condition     = alltrue([for s in jsondecode(aws_iam_role_policy.flow_logs_write.policy).Statement : alltrue([for r in s.Resource : startswith(r, aws_cloudwatch_log_group.flow_logs_group.arn)])])
    error_message = "The flow log role may only write to its own log group."
  }
  assert {
    condition     = length(output.private_subnet_ids) == 3 && length(output.data_subnet_ids) == 3 && length(output.data_subnet_cidr_blocks) == 3 && length(output.public_subnet_cidr_blocks) == 3 && output.azs == tolist(["eu-west-3a", "eu-west-3b", "eu-west-3c"])
    error_message = "Outputs expose one subnet per zone and tier."
  }
}

run "rejects_an_invalid_vpc_cidr" {
  command = plan

  variables {
    environment = "development"
    vpc_cidr    = "10.0.0.0/33"
    azs         = ["eu-west-3a", "eu-west-3b"]
  }

  expect_failures = [var.vpc_cidr]
}

run "rejects_a_permissions_boundary_that_is_not_a_policy" {
  command = plan

  variables {
    environment              = "development"
    vpc_cidr                 = "10.0.0.0/16"
    azs                      = ["eu-west-3a", "eu-west-3b"]
    permissions_boundary_arn = "arn:aws:iam::111122223333:role/payflow-admin"
  }

  expect_failures = [var.permissions_boundary_arn]
}

run "rejects_a_vpc_smaller_than_a_20" {
  command = plan

  variables {
    environment = "development"
    vpc_cidr    = "10.0.0.0/24"
    azs         = ["eu-west-3a", "eu-west-3b"]
  }

  expect_failures = [var.vpc_cidr]
}

run "rejects_four_zones" {
  command = plan

  variables {
    environment = "production"
    vpc_cidr    = "10.30.0.0/16"
    azs         = ["eu-west-3a", "eu-west-3b", "eu-west-3c", "eu-west-3d"]
  }

  expect_failures = [var.azs]
}

run "rejects_an_unknown_environment_and_retention" {
  command = plan

  variables {
    environment             = "prod"
    vpc_cidr                = "10.30.0.0/16"
    azs                     = ["eu-west-3a", "eu-west-3b"]
    flow_log_retention_days = 42
  }

  expect_failures = [var.environment, var.flow_log_retention_days]
}
