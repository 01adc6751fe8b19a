# Inputs the data module must refuse: each run gives one bad value and expects the
# matching variable validation to fail (plan only: nothing would be created).

mock_provider "aws" {
  source = "./tests/mocks"
}

mock_provider "aws" {
  alias  = "backup_replica"
  source = "./tests/mocks"
}

# db_backup_replication_region is set so that the production runs below fail only on the
# input they name (production also requires the replication).
variables {
  permissions_boundary_arn     = "arn:aws:iam::111122223333:policy/payflow-permissions-boundary"
  region                       = "eu-west-3"
  allowed_account_ids          = ["123456789012"]
  environment                  = "staging"
  vpc_id                       = "vpc-0123456789abcdef0"
  data_subnet_ids              = ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0bbbbbbbbbbbbbbb2"]
  node_security_group_id       = "sg-0123456789abcdef0"
  cluster_name                 = "payflow-test"
  db_backup_replication_region = "eu-west-1"
}

run "failover_needs_a_replica" {
  command = plan
  variables {
    redis_replica_count      = 0
    redis_automatic_failover = true
    redis_multi_az           = false
  }
  expect_failures = [var.redis_automatic_failover]
}

run "redis_multi_az_needs_failover" {
  command = plan
  variables {
    redis_replica_count      = 1
    redis_automatic_failover = false
    redis_multi_az           = true
  }
  expect_failures = [var.redis_multi_az]
}

run "production_requires_deletion_protection" {
  command = plan
  variables {
    environment            = "production"
    db_deletion_protection = false
    redis_replica_count    = 2
  }
  expect_failures = [var.db_deletion_protection]
}

run "production_requires_multi_az_database" {
  command = plan
  variables {
    environment         = "production"
    db_multi_az         = false
    redis_replica_count = 2
  }
  expect_failures = [var.db_multi_az]
}

run "production_requires_final_snapshot" {
  command = plan
  variables {
    environment            = "production"
    db_skip_final_snapshot = true
  }
  expect_failures = [var.db_skip_final_snapshot]
}

run "production_requires_two_weeks_of_backups" {
  command = plan
  variables {
    environment              = "production"
    db_backup_retention_days = 7
  }
  expect_failures = [var.db_backup_retention_days]
}

run "production_requires_redis_failover" {
  command = plan
  variables {
    environment              = "production"
    redis_automatic_failover = false
    redis_multi_az           = false
  }
  expect_failures = [var.redis_automatic_failover]
}

run "production_requires_multi_az_redis" {
  command = plan
  variables {
    environment    = "production"
    redis_multi_az = false
  }
  expect_failures = [var.redis_multi_az]
}

run "production_buckets_are_never_force_destroyed" {
  command = plan
  variables {
    environment           = "production"
    buckets_force_destroy = true
  }
  expect_failures = [var.buckets_force_destroy]
}

# decommission = false (the default) keeps every production rule: the two runs above, and this
# one with the switch written out.
run "production_rules_hold_unless_decommissioning" {
  command = plan
  variables {
    environment            = "production"
    decommission           = false
    db_deletion_protection = false
    redis_replica_count    = 2
  }
  expect_failures = [var.db_deletion_protection]
}

# The teardown switch: production may then turn deletion protection off and force-destroy its
# buckets (what `DECOMMISSION=true make destroy` applies before destroying).
run "production_decommission_allows_teardown" {
  command = plan
  variables {
    environment            = "production"
    decommission           = true
    db_deletion_protection = false
    buckets_force_destroy  = true
    redis_replica_count    = 2
  }
  assert {
    condition     = aws_db_instance.postgres_instance.deletion_protection == false && aws_s3_bucket.loki_bucket.force_destroy && aws_s3_bucket.tempo_bucket.force_destroy
    error_message = "With decommission = true, production accepts deletion_protection = false and force-destroyable buckets."
  }
  assert {
    condition     = aws_db_instance.postgres_instance.skip_final_snapshot == false
    error_message = "Decommissioning still takes the final snapshot."
  }
}

run "production_replicates_backups_to_a_second_region" {
  command = plan
  variables {
    environment                  = "production"
    db_backup_replication_region = ""
  }
  expect_failures = [var.db_backup_replication_region]
}

run "backup_replication_region_is_a_region_name" {
  command = plan
  variables {
    db_backup_replication_region = "Ireland"
  }
  expect_failures = [var.db_backup_replication_region]
}

run "backup_replication_region_differs_from_region" {
  command = plan
  variables {
    db_backup_replication_region = "eu-west-3"
  }
  expect_failures = [var.db_backup_replication_region]
}

run "backup_replication_retention_is_at_most_35_days" {
  command = plan
  variables {
    db_backup_replication_retention_days = 36
  }
  expect_failures = [var.db_backup_replication_retention_days]
}

run "postgres_must_be_version_16" {
  command = plan
  variables {
    db_engine_version = "15.7"
  }
  expect_failures = [var.db_engine_version]
}

run "storage_autoscaling_ceiling_above_initial_storage" {
  command = plan
  variables {
    db_allocated_storage_gb     = 100
    db_max_allocated_storage_gb = 50
  }
  expect_failures = [var.db_max_allocated_storage_gb]
}

run "two_data_subnets_at_least" {
  command = plan
  variables {
    data_subnet_ids = ["subnet-0aaaaaaaaaaaaaaa1"]
  }
  expect_failures = [var.data_subnet_ids]
}

run "node_security_group_is_an_id" {
  command = plan
  variables {
    node_security_group_id = "0.0.0.0/0"
  }
  expect_failures = [var.node_security_group_id]
}

run "performance_insights_retention_is_7_or_months" {
  command = plan
  variables {
    db_performance_insights_retention_days = 30
  }
  expect_failures = [var.db_performance_insights_retention_days]
}

run "environment_is_one_of_three" {
  command = plan
  variables {
    environment = "prod"
  }
  expect_failures = [var.environment]
}

run "alarm_email_addresses_are_email_addresses" {
  command = plan
  variables {
    alarm_email_addresses = ["oncall@example.com", "not an address"]
  }
  expect_failures = [var.alarm_email_addresses]
}

run "alarm_email_addresses_do_not_repeat" {
  command = plan
  variables {
    alarm_email_addresses = ["oncall@example.com", "oncall@example.com"]
  }
  expect_failures = [var.alarm_email_addresses]
}

# The addresses subscribe the module's own topic, which alarm_sns_topic_arn replaces.
run "alarm_email_addresses_need_the_module_topic" {
  command = plan
  variables {
    alarm_sns_topic_arn   = "arn:aws:sns:eu-west-3:111122223333:payflow-alerts"
    alarm_email_addresses = ["oncall@example.com"]
  }
  expect_failures = [var.alarm_email_addresses]
}

run "alarm_sns_topic_arn_is_an_sns_topic" {
  command = plan
  variables {
    alarm_sns_topic_arn = "arn:aws:sqs:eu-west-3:111122223333:payflow-alerts"
  }
  expect_failures = [var.alarm_sns_topic_arn]
}
