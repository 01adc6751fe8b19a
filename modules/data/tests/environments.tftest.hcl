# Applies the data module with a mocked AWS provider once per environment, with the
# inputs live/<env>/data gives it, and checks what each environment must get.
# Run: `npx mocha stacks/test/terraform-modules.test.ts` (all modules), or by hand: see stacks/data/README.md.

mock_provider "aws" {
  source = "./tests/mocks"
}

# The provider of the disaster-recovery region (db_backup_replication_region).
mock_provider "aws" {
  alias  = "backup_replica"
  source = "./tests/mocks"
}

variables {
  permissions_boundary_arn = "arn:aws:iam::111122223333:policy/payflow-permissions-boundary"
  region                   = "eu-west-3"
  allowed_account_ids      = ["123456789012"]
  vpc_id                   = "vpc-0123456789abcdef0"
  data_subnet_ids          = ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0bbbbbbbbbbbbbbb2", "subnet-0ccccccccccccccc3"]
  node_security_group_id   = "sg-0123456789abcdef0"
  cluster_name             = "payflow-test"
}

# A distinct ARN (the mock gives every secret the same one), so that the external-secrets
# assertion tells the three secrets apart. File level: every run's state gets it.
override_resource {
  target = aws_secretsmanager_secret.alerting_secret
  values = {
    arn = "arn:aws:secretsmanager:eu-west-3:111122223333:secret:payflow/alerting-AbCdEf"
  }
}

run "development" {
  command = apply

  variables {
    environment                   = "development"
    db_multi_az                   = false
    db_deletion_protection        = false
    db_skip_final_snapshot        = true
    db_backup_retention_days      = 1
    redis_replica_count           = 0
    redis_automatic_failover      = false
    redis_multi_az                = false
    redis_snapshot_retention_days = 0
    secret_recovery_window_days   = 0
    buckets_force_destroy         = true
    log_retention_days            = 7
    loki_retention_days           = 7
    tempo_retention_days          = 3
    # Example addresses (example.com): live/<env>/env.hcl `alarms.alarm_email_addresses`.
    alarm_email_addresses = ["oncall@example.com", "dba-team+payflow@example.com"]
  }

  assert {
    condition     = alltrue([for r in [aws_iam_role.external_secrets_role, aws_iam_role.loki_access_role, aws_iam_role.tempo_access_role] : r.permissions_boundary == "arn:aws:iam::111122223333:policy/payflow-permissions-boundary"])
    error_message = "Every role of the data layer carries the project permissions boundary."
  }
  assert {
    condition     = aws_db_instance.postgres_instance.multi_az == false && aws_db_instance.postgres_instance.deletion_protection == false
    error_message = "Development runs a single-AZ database without deletion protection."
  }
  assert {
    condition     = aws_elasticache_replication_group.redis_replication_group.num_cache_clusters == 1 && aws_elasticache_replication_group.redis_replication_group.automatic_failover_enabled == false
    error_message = "Development runs one Redis node without failover."
  }
  assert {
    condition     = length(aws_cloudwatch_metric_alarm.redis_cpu_alarm) == 1 && length(aws_cloudwatch_metric_alarm.redis_memory_alarm) == 1
    error_message = "Every Redis node (one in development) has CPU and memory alarms."
  }
  assert {
    condition     = length(aws_iam_role.postgres_monitoring_role) == 0 && aws_db_instance.postgres_instance.monitoring_interval == 0
    error_message = "Enhanced monitoring is off by default and creates no role."
  }
  assert {
    condition     = aws_s3_bucket.loki_bucket.bucket == "payflow-development-loki-111122223333"
    error_message = "Bucket names are <project>-<environment>-<tool>-<account id>."
  }
  assert {
    condition     = one([for r in aws_s3_bucket_lifecycle_configuration.tempo_lifecycle.rule : r.expiration[0].days]) == 3
    error_message = "The Tempo bucket expires objects after tempo_retention_days."
  }
  assert {
    condition     = aws_cloudwatch_log_group.postgres_log_group["postgresql"].retention_in_days == 7 && aws_cloudwatch_log_group.postgres_log_group["postgresql"].name == "/aws/rds/instance/payflow-development-postgres/postgresql"
    error_message = "RDS exports into pre-created log groups with a retention."
  }
  assert {
    condition     = can(regex("^payflow-development-postgres-final-[0-9]{8}-[0-9]{6}$", aws_db_instance.postgres_instance.final_snapshot_identifier))
    error_message = "The final snapshot is named after the instance's creation time (UTC), so the destroy of the next instance does not collide with it."
  }
  assert {
    condition     = aws_secretsmanager_secret.alerting_secret.recovery_window_in_days == 0
    error_message = "Development deletes its fixed-name secret at once, so a redeploy right after a destroy can recreate it."
  }
  assert {
    condition     = aws_s3_bucket.loki_bucket.force_destroy && aws_s3_bucket.tempo_bucket.force_destroy
    error_message = "Development's buckets are force-destroyable (buckets_force_destroy)."
  }
  assert {
    condition     = length(aws_db_instance_automated_backups_replication.backup_replica_postgres) == 0 && length(aws_kms_key.backup_replica_key) == 0 && length(aws_kms_alias.backup_replica_key_alias) == 0
    error_message = "Without db_backup_replication_region, no backup replication and no key in a second region."
  }
  # The alarms notify the module's own topic (alarm_sns_topic_arn left empty).
  assert {
    condition = alltrue([
      length(aws_sns_topic.alarms_topic) == 1,
      aws_sns_topic.alarms_topic[0].name == "payflow-development-data-alarms",
      aws_sns_topic.alarms_topic[0].kms_master_key_id == aws_kms_key.alarms_key[0].arn,
      aws_kms_key.alarms_key[0].enable_key_rotation,
      aws_kms_key.alarms_key[0].policy == data.aws_iam_policy_document.alarms_key_policy.json,
      aws_kms_alias.alarms_key_alias[0].name == "alias/payflow-development-data-alarms",
      output.alarm_topic_arn == aws_sns_topic.alarms_topic[0].arn,
    ])
    error_message = "The data layer creates its alarm topic payflow-<env>-data-alarms, encrypted with a rotated key of its own, and outputs its ARN."
  }
  assert {
    condition = alltrue(flatten([
      [for a in [aws_cloudwatch_metric_alarm.postgres_free_storage_alarm, aws_cloudwatch_metric_alarm.postgres_cpu_alarm] :
      a.alarm_actions == toset([aws_sns_topic.alarms_topic[0].arn]) && a.ok_actions == toset([aws_sns_topic.alarms_topic[0].arn])],
      [for a in values(aws_cloudwatch_metric_alarm.redis_cpu_alarm) :
      a.alarm_actions == toset([aws_sns_topic.alarms_topic[0].arn]) && a.ok_actions == toset([aws_sns_topic.alarms_topic[0].arn])],
      [for a in values(aws_cloudwatch_metric_alarm.redis_memory_alarm) :
      a.alarm_actions == toset([aws_sns_topic.alarms_topic[0].arn]) && a.ok_actions == toset([aws_sns_topic.alarms_topic[0].arn])],
    ]))
    error_message = "Every alarm notifies the module's topic when it fires and when it recovers."
  }
  assert {
    condition = alltrue([
      aws_sns_topic_policy.alarms_topic_policy[0].arn == aws_sns_topic.alarms_topic[0].arn,
      aws_sns_topic_policy.alarms_topic_policy[0].policy == data.aws_iam_policy_document.alarms_topic_policy_document.json,
      one(data.aws_iam_policy_document.alarms_topic_policy_document.statement).resources == toset(["arn:aws:sns:eu-west-3:111122223333:payflow-development-data-alarms"]),
      toset([for c in one(data.aws_iam_policy_document.alarms_topic_policy_document.statement).condition : "${c.test} ${c.variable}=${one(c.values)}"]) == toset([
        "StringEquals aws:SourceAccount=111122223333",
        "ArnLike aws:SourceArn=arn:aws:cloudwatch:eu-west-3:111122223333:alarm:payflow-development-*",
      ]),
    ])
    error_message = "Only CloudWatch alarms of this account named payflow-<env>-* may publish to the topic."
  }
  assert {
    condition = alltrue([
      length(aws_sns_topic_subscription.alarms_email) == 2,
      toset([for s in aws_sns_topic_subscription.alarms_email : s.endpoint]) == toset(["oncall@example.com", "dba-team+payflow@example.com"]),
      alltrue([for s in aws_sns_topic_subscription.alarms_email : s.protocol == "email" && s.topic_arn == aws_sns_topic.alarms_topic[0].arn]),
    ])
    error_message = "Each address of alarm_email_addresses gets one e-mail subscription to the topic."
  }
}

run "staging" {
  command = apply

  variables {
    environment              = "staging"
    db_instance_class        = "db.t4g.small"
    db_multi_az              = true
    db_deletion_protection   = false
    db_backup_retention_days = 7
    redis_replica_count      = 1
    redis_automatic_failover = true
    redis_multi_az           = true
  }

  assert {
    condition     = aws_db_instance.postgres_instance.multi_az == true && aws_db_instance.postgres_instance.backup_retention_period == 7
    error_message = "Staging runs a Multi-AZ database with a week of backups."
  }
  assert {
    condition     = aws_elasticache_replication_group.redis_replication_group.num_cache_clusters == 2 && aws_elasticache_replication_group.redis_replication_group.automatic_failover_enabled && aws_elasticache_replication_group.redis_replication_group.multi_az_enabled
    error_message = "Staging runs a primary and a replica with Multi-AZ failover."
  }
  # The runs share one state and the mock provider knows no replacement: the instance of the
  # development run is updated in place. Its final snapshot name keeps the creation time of the
  # first apply (ignore_changes): no plan ever shows it changing.
  assert {
    condition     = can(regex("^payflow-development-postgres-final-[0-9]{8}-[0-9]{6}$", aws_db_instance.postgres_instance.final_snapshot_identifier)) && !aws_db_instance.postgres_instance.skip_final_snapshot
    error_message = "The final snapshot name is set once, when the instance is created, and never changes afterwards."
  }
  assert {
    condition     = toset(keys(aws_cloudwatch_metric_alarm.redis_cpu_alarm)) == toset(["001", "002"]) && aws_cloudwatch_metric_alarm.redis_cpu_alarm["002"].dimensions.CacheClusterId == "payflow-staging-redis-002"
    error_message = "Each Redis member cluster has its own CPU alarm."
  }
  assert {
    condition     = length(aws_sns_topic.alarms_topic) == 1 && length(aws_sns_topic_subscription.alarms_email) == 0 && alltrue([for a in values(aws_cloudwatch_metric_alarm.redis_memory_alarm) : a.alarm_actions == toset([aws_sns_topic.alarms_topic[0].arn])])
    error_message = "Without addresses the topic still exists (subscribe later) and the alarms still notify it; no subscription is left over."
  }
}

run "production" {
  command = apply

  variables {
    environment                    = "production"
    db_instance_class              = "db.m7g.large"
    db_multi_az                    = true
    db_deletion_protection         = true
    db_skip_final_snapshot         = false
    db_backup_retention_days       = 30
    db_monitoring_interval_seconds = 30
    redis_node_type                = "cache.m7g.large"
    redis_replica_count            = 2
    redis_automatic_failover       = true
    redis_multi_az                 = true
    redis_snapshot_retention_days  = 7
    alarm_sns_topic_arn            = "arn:aws:sns:eu-west-3:111122223333:payflow-alerts"
    log_retention_days             = 365

    db_backup_replication_region         = "eu-west-1"
    db_backup_replication_retention_days = 7
  }

  # The DR key gets an ARN of its own region (the mock gives every key the same one), so that
  # the replication assertion tells it apart from the data key.
  override_resource {
    target = aws_kms_key.backup_replica_key
    values = {
      arn    = "arn:aws:kms:eu-west-1:111122223333:key/11111111-1111-1111-1111-111111111111"
      key_id = "11111111-1111-1111-1111-111111111111"
    }
  }

  # What every environment gets (secure by construction, not by input).
  assert {
    condition = alltrue([
      aws_db_instance.postgres_instance.storage_encrypted,
      aws_db_instance.postgres_instance.publicly_accessible == false,
      aws_db_instance.postgres_instance.manage_master_user_password,
      aws_db_instance.postgres_instance.kms_key_id == aws_kms_key.data_key.arn,
      aws_db_instance.postgres_instance.performance_insights_enabled,
      aws_db_instance.postgres_instance.performance_insights_kms_key_id == aws_kms_key.data_key.arn,
      aws_db_instance.postgres_instance.auto_minor_version_upgrade,
      aws_db_instance.postgres_instance.copy_tags_to_snapshot,
      aws_db_instance.postgres_instance.engine == "postgres",
      startswith(aws_db_instance.postgres_instance.engine_version, "16"),
      aws_db_instance.postgres_instance.max_allocated_storage > aws_db_instance.postgres_instance.allocated_storage,
    ])
    error_message = "PostgreSQL is encrypted with the data key, private, with an RDS-managed password and Performance Insights."
  }
  assert {
    condition     = aws_db_parameter_group.postgres_parameter_group.family == "postgres16" && contains([for p in aws_db_parameter_group.postgres_parameter_group.parameter : "${p.name}=${p.value}"], "rds.force_ssl=1")
    error_message = "The parameter group forces TLS."
  }
  assert {
    condition     = aws_kms_key.data_key.enable_key_rotation
    error_message = "The data key rotates."
  }
  assert {
    condition = alltrue([
      aws_elasticache_replication_group.redis_replication_group.transit_encryption_enabled,
      aws_elasticache_replication_group.redis_replication_group.at_rest_encryption_enabled == "true",
      aws_elasticache_replication_group.redis_replication_group.kms_key_id == aws_kms_key.data_key.arn,
      aws_elasticache_replication_group.redis_replication_group.auth_token == null,
      aws_elasticache_replication_group.redis_replication_group.user_group_ids == toset(["payflow-production-redis"]),
      aws_elasticache_user.redis_api_user.authentication_mode[0].type == "iam",
      aws_elasticache_user.redis_default_user.access_string == "off -@all",
    ])
    error_message = "Redis is encrypted in transit and at rest, and only the API's IAM user gets in (no AUTH token)."
  }
  assert {
    condition     = aws_db_instance.postgres_instance.iam_database_authentication_enabled && output.db_api_username == "payflow_api"
    error_message = "The API logs in to PostgreSQL as its own role with IAM tokens."
  }
  assert {
    condition = alltrue([
      aws_vpc_security_group_ingress_rule.postgres_ingress_from_nodes.referenced_security_group_id == "sg-0123456789abcdef0",
      aws_vpc_security_group_ingress_rule.postgres_ingress_from_nodes.from_port == 5432,
      aws_vpc_security_group_ingress_rule.postgres_ingress_from_nodes.cidr_ipv4 == null,
      aws_vpc_security_group_ingress_rule.redis_ingress_from_nodes.referenced_security_group_id == "sg-0123456789abcdef0",
      aws_vpc_security_group_ingress_rule.redis_ingress_from_nodes.from_port == 6379,
      aws_vpc_security_group_ingress_rule.redis_ingress_from_nodes.cidr_ipv4 == null,
    ])
    error_message = "Only the node security group reaches PostgreSQL and Redis."
  }
  assert {
    condition = alltrue([for b in [aws_s3_bucket_public_access_block.loki_public_access_block, aws_s3_bucket_public_access_block.tempo_public_access_block] :
    b.block_public_acls && b.block_public_policy && b.ignore_public_acls && b.restrict_public_buckets])
    error_message = "The telemetry buckets block all public access."
  }
  assert {
    condition     = toset(jsondecode(aws_iam_role_policy.external_secrets_policy.policy).Statement[0].Resource) == toset(["arn:aws:secretsmanager:eu-west-3:111122223333:secret:rds!db-mock-AbCdEf", "arn:aws:secretsmanager:eu-west-3:111122223333:secret:payflow/alerting-AbCdEf"])
    error_message = "external-secrets reads exactly the RDS master secret (migrations Job) and the alerting secret."
  }
  assert {
    condition     = aws_secretsmanager_secret.alerting_secret.name == "payflow/production/alerting" && aws_secretsmanager_secret.alerting_secret.kms_key_id == aws_kms_key.data_key.arn && output.alerting_secret_name == "payflow/production/alerting"
    error_message = "The alerting secret is named <project>/<environment>/alerting, encrypted with the data key, and output for the platform layer."
  }
  assert {
    condition = alltrue([
      aws_eks_pod_identity_association.external_secrets_association.namespace == "external-secrets",
      aws_eks_pod_identity_association.external_secrets_association.service_account == "external-secrets",
      aws_eks_pod_identity_association.loki_access_association.namespace == "monitoring",
      aws_eks_pod_identity_association.loki_access_association.service_account == "loki",
      aws_eks_pod_identity_association.tempo_access_association.service_account == "tempo",
      aws_eks_pod_identity_association.tempo_access_association.cluster_name == "payflow-test",
    ])
    error_message = "Pod Identity associations match the contract's namespaces and service accounts."
  }

  # What production gets from its inputs.
  assert {
    condition     = aws_db_instance.postgres_instance.multi_az && aws_db_instance.postgres_instance.deletion_protection && !aws_db_instance.postgres_instance.skip_final_snapshot && aws_db_instance.postgres_instance.backup_retention_period == 30
    error_message = "Production runs a Multi-AZ database with deletion protection, a final snapshot and 30 days of backups."
  }
  assert {
    condition     = !aws_s3_bucket.loki_bucket.force_destroy && !aws_s3_bucket.tempo_bucket.force_destroy
    error_message = "Without decommission, production's buckets are never force-destroyed."
  }
  assert {
    condition     = aws_elasticache_replication_group.redis_replication_group.num_cache_clusters == 3 && aws_elasticache_replication_group.redis_replication_group.multi_az_enabled && aws_elasticache_replication_group.redis_replication_group.snapshot_retention_limit == 7
    error_message = "Production runs a primary and two replicas with Multi-AZ failover and a week of snapshots."
  }
  assert {
    condition     = length(aws_iam_role.postgres_monitoring_role) == 1 && aws_db_instance.postgres_instance.monitoring_role_arn == aws_iam_role.postgres_monitoring_role[0].arn
    error_message = "Enhanced monitoring, when on, uses its own role."
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.postgres_free_storage_alarm.alarm_actions == toset(["arn:aws:sns:eu-west-3:111122223333:payflow-alerts"]) && aws_cloudwatch_metric_alarm.postgres_free_storage_alarm.ok_actions == toset(["arn:aws:sns:eu-west-3:111122223333:payflow-alerts"]) && length(aws_cloudwatch_metric_alarm.redis_memory_alarm) == 3
    error_message = "Alarms notify the SNS topic of alarm_sns_topic_arn; each of the three Redis nodes has a memory alarm."
  }
  assert {
    condition     = length(aws_sns_topic.alarms_topic) == 0 && length(aws_kms_key.alarms_key) == 0 && length(aws_sns_topic_policy.alarms_topic_policy) == 0 && output.alarm_topic_arn == "arn:aws:sns:eu-west-3:111122223333:payflow-alerts"
    error_message = "With alarm_sns_topic_arn the module creates no topic and no key of its own, and outputs the given topic."
  }
  assert {
    condition     = output.db_port == 5432 && output.redis_port == 6379 && output.db_master_secret_arn == "arn:aws:secretsmanager:eu-west-3:111122223333:secret:rds!db-mock-AbCdEf"
    error_message = "The contract outputs carry the ports and the master secret ARN."
  }
  assert {
    condition = alltrue([
      length(aws_db_instance_automated_backups_replication.backup_replica_postgres) == 1,
      aws_db_instance_automated_backups_replication.backup_replica_postgres[0].source_db_instance_arn == aws_db_instance.postgres_instance.arn,
      aws_db_instance_automated_backups_replication.backup_replica_postgres[0].kms_key_id == "arn:aws:kms:eu-west-1:111122223333:key/11111111-1111-1111-1111-111111111111",
      aws_db_instance_automated_backups_replication.backup_replica_postgres[0].retention_period == 7,
    ])
    error_message = "Production replicates the RDS automated backups to the second region, encrypted with the key of that region, kept 7 days."
  }
  assert {
    condition = alltrue([
      length(aws_kms_key.backup_replica_key) == 1,
      aws_kms_key.backup_replica_key[0].enable_key_rotation,
      aws_kms_key.backup_replica_key[0].policy == data.aws_iam_policy_document.backup_replica_key_policy.json,
      aws_kms_alias.backup_replica_key_alias[0].name == "alias/payflow-production-data-backup-replica",
      aws_kms_alias.backup_replica_key_alias[0].target_key_id == "11111111-1111-1111-1111-111111111111",
    ])
    error_message = "The key of the second region rotates, has the account-administration key policy and its own alias."
  }
}

# The teardown switch in the environments whose env.hcl protects the data (deletion protection in
# production, buckets kept in staging and production): decommission = true, as
# `DECOMMISSION=true` passes it through live/_units/data.hcl, makes the data layer destroyable
# without touching env.hcl.
run "staging_decommissioned" {
  command = apply

  variables {
    environment              = "staging"
    db_multi_az              = true
    db_deletion_protection   = false
    db_backup_retention_days = 7
    redis_replica_count      = 1
    buckets_force_destroy    = false
    decommission             = true
  }

  assert {
    condition     = aws_s3_bucket.loki_bucket.force_destroy && aws_s3_bucket.tempo_bucket.force_destroy
    error_message = "decommission makes staging's versioned buckets force-destroyable."
  }
}

run "production_decommissioned" {
  command = apply

  variables {
    environment                  = "production"
    db_multi_az                  = true
    db_deletion_protection       = true
    db_skip_final_snapshot       = false
    db_backup_retention_days     = 30
    redis_replica_count          = 2
    buckets_force_destroy        = false
    db_backup_replication_region = "eu-west-1"
    decommission                 = true
  }

  assert {
    condition     = aws_db_instance.postgres_instance.deletion_protection == false
    error_message = "decommission turns deletion protection off even though production's db_deletion_protection is true."
  }
  assert {
    condition     = aws_s3_bucket.loki_bucket.force_destroy && aws_s3_bucket.tempo_bucket.force_destroy
    error_message = "decommission makes production's buckets force-destroyable."
  }
  assert {
    condition     = !aws_db_instance.postgres_instance.skip_final_snapshot && can(regex("^payflow-[a-z]+-postgres-final-[0-9]{8}-[0-9]{6}$", aws_db_instance.postgres_instance.final_snapshot_identifier))
    error_message = "A decommissioned production database still leaves its final snapshot."
  }
}
