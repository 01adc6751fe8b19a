import { SecretsmanagerSecret } from '@cdktf/provider-aws/lib/secretsmanager-secret';
import { Fn, Op, Token } from 'cdktf';
import type { Construct } from 'constructs';
import { API_SERVICE_ACCOUNT, APP_NAMESPACE } from '../app/app-stack';
import { CLOUDWATCH_RETENTION_DAYS, Input, Rule } from '../lib/inputs';
import { AWS_REGION_PATTERN, ModuleStack } from '../lib/module-stack';
import { type PolicyDocument, PodIdentityRole } from '../lib/pod-identity-role';
import { AlarmTopic } from './alarm-topic';
import { DataEncryptionKey } from './data-encryption-key';
import { PostgresBackupReplication } from './postgres-backup-replication';
import { PostgresDatabase } from './postgres-database';
import { RedisCache } from './redis-cache';
import { dataSecretNames } from './secret-names';
import { PrivateBucket } from '../lib/private-bucket';

/**
 * Keys of the alerting secret's JSON value, read by the platform module (Alertmanager's Slack
 * receivers, stacks/platform/values/kube-prometheus-stack.yaml). The operator sets the value.
 */
export const ALERTING_SECRET_KEYS = ['critical_webhook_url', 'warning_webhook_url'] as const;

/** `condition` that holds unless the environment is production and `requirement` fails. */
const inProduction = (requirement: string): string =>
  `var.environment != "production" || (${requirement})`;

/**
 * The stateful layer of one environment: PostgreSQL (RDS), Redis (ElastiCache), the
 * Loki and Tempo buckets, and the Pod Identity roles of the controllers that read them.
 * Inputs come from the network and cluster layers; defaults are the production-safe
 * choice and development opts out explicitly.
 */
export class DataStack extends ModuleStack {
  constructor(scope: Construct, id: string) {
    super(scope, id, {
      createsRoles: true,
      purpose:
        'PostgreSQL 16 (RDS) and Redis (ElastiCache) for the PayFlow API, encrypted with a customer KMS key, ' +
        'private to the EKS nodes, with their secrets in Secrets Manager; the S3 buckets of Loki and Tempo; ' +
        'the Secrets Manager secret of the Alertmanager webhooks (value set by the operator); ' +
        'the KMS-encrypted SNS topic its CloudWatch alarms notify, with e-mail subscriptions; ' +
        'and the EKS Pod Identity roles of the API (IAM authentication to both databases, no password), ' +
        'external-secrets, Loki and Tempo.',
    });
    if (!this.region) throw new Error('DataStack is an AWS module: it needs the region input');
    const region = this.region.stringValue;

    // ---------------------------------------------------------------- wiring from other layers
    const vpcId = Input.string(this, 'vpc_id', {
      description: 'VPC of the environment (network output `vpc_id`).',
      validation: [Rule.matches('^vpc-[0-9a-f]+$', 'a VPC id such as vpc-0123abcd')],
    });
    const dataSubnetIds = Input.stringList(this, 'data_subnet_ids', {
      description: 'Isolated data subnets, one per AZ (network output `data_subnet_ids`).',
      validation: [
        Rule.custom(
          (v) => `length(${v}) >= 2`,
          'At least two subnets in different AZs are required.',
        ),
        Rule.eachMatches('^subnet-[0-9a-f]+$', 'a subnet id such as subnet-0123abcd'),
      ],
    });
    const nodeSecurityGroupId = Input.string(this, 'node_security_group_id', {
      description:
        'Security group of the EKS nodes (cluster output `node_security_group_id`): the only source admitted on 5432 and 6379.',
      validation: [Rule.matches('^sg-[0-9a-f]+$', 'a security group id such as sg-0123abcd')],
    });
    const clusterName = Input.string(this, 'cluster_name', {
      description:
        'EKS cluster receiving the Pod Identity associations (cluster output `cluster_name`).',
    });

    // ---------------------------------------------------------------- PostgreSQL inputs
    const dbEngineVersion = Input.string(this, 'db_engine_version', {
      description:
        'PostgreSQL version: a major version ("16", minor upgrades then applied automatically) or an exact one ("16.4").',
      default: '16',
      validation: [Rule.matches('^16(\\.[0-9]+)?$', 'PostgreSQL 16, e.g. "16" or "16.4"')],
    });
    const dbInstanceClass = Input.string(this, 'db_instance_class', {
      description:
        'RDS instance class, e.g. db.t4g.micro (development) or db.m7g.large (production).',
      default: 'db.t4g.micro',
      validation: [Rule.matches('^db\\.[a-z0-9]+\\.[a-z0-9]+$', 'an RDS instance class')],
    });
    const dbAllocatedStorage = Input.number(this, 'db_allocated_storage_gb', {
      description: 'Initial gp3 storage in GiB.',
      default: 20,
      validation: [Rule.between(20, 65536)],
    });
    const dbMaxAllocatedStorage = Input.number(this, 'db_max_allocated_storage_gb', {
      description: 'Ceiling of storage autoscaling in GiB (must be above the initial storage).',
      default: 100,
      validation: [
        Rule.custom(
          (v) => `${v} > var.db_allocated_storage_gb && ${v} <= 65536`,
          'Must be greater than db_allocated_storage_gb and at most 65536.',
        ),
      ],
    });
    const dbName = Input.string(this, 'db_database_name', {
      description: 'Name of the application database created with the instance.',
      default: 'payflow',
      validation: [Rule.matches('^[a-z][a-z0-9_]{0,62}$', 'a lowercase PostgreSQL identifier')],
    });
    const dbUsername = Input.string(this, 'db_master_username', {
      description: 'Master user name (its password is generated by RDS into Secrets Manager).',
      default: 'payflow_admin',
      validation: [
        Rule.matches('^[a-z][a-z0-9_]{0,62}$', 'a lowercase PostgreSQL identifier'),
        Rule.custom(
          (v) => `!contains(["admin", "postgres", "rdsadmin"], ${v})`,
          'Must not be a reserved name.',
        ),
      ],
    });
    const dbApiUsername = Input.string(this, 'db_api_username', {
      description:
        "The API's own database role (created by the migrations Job, which alone uses the master user); " +
        'it logs in with IAM database authentication only: rds-db:connect is granted to the API role for this name.',
      default: 'payflow_api',
      validation: [
        Rule.matches('^[a-z][a-z0-9_]{0,62}$', 'a lowercase PostgreSQL identifier'),
        Rule.custom(
          (v) => `${v} != var.db_master_username`,
          'Must differ from db_master_username: the API never uses the master user.',
        ),
      ],
    });
    const dbBackupRetention = Input.number(this, 'db_backup_retention_days', {
      description:
        'Days of automated backups and point-in-time recovery (1-35; at least 14 in production).',
      default: 14,
      validation: [
        Rule.between(1, 35),
        Rule.custom(
          () => inProduction('var.db_backup_retention_days >= 14'),
          'Production keeps backups for at least 14 days.',
        ),
      ],
    });
    const dbBackupReplicationRegion = Input.string(this, 'db_backup_replication_region', {
      description:
        'Second AWS region that receives a copy of every RDS automated backup (snapshots and transaction logs), ' +
        'for a point-in-time restore there when `region` is lost; "" turns the replication off (required in production).',
      default: '',
      validation: [
        Rule.custom(
          (v) => `${v} == "" || can(regex(${JSON.stringify(AWS_REGION_PATTERN)}, ${v}))`,
          'Must be "" (no replication) or an AWS region name such as eu-west-1.',
        ),
        Rule.custom(
          (v) => `${v} != var.region`,
          'Must differ from region: a copy in the same region is lost with it.',
        ),
        Rule.custom(
          (v) => inProduction(`${v} != ""`),
          'Production replicates its database backups to a second region.',
        ),
      ],
    });
    const dbBackupReplicationRetention = Input.number(
      this,
      'db_backup_replication_retention_days',
      {
        description:
          'Days the replicated backups are kept in db_backup_replication_region: how far back a restore there can go.',
        default: 7,
        validation: [Rule.between(1, 35)],
      },
    );
    const dbMultiAz = Input.bool(this, 'db_multi_az', {
      description:
        'Standby replica in another AZ with automatic failover (required in production).',
      default: true,
      validation: [Rule.custom((v) => inProduction(v), 'Production requires a Multi-AZ database.')],
    });
    // Declared first: the production rules below give way to it, and only to it.
    const decommission = Input.bool(this, 'decommission', {
      description:
        'Teardown switch, in every environment (production included): true turns RDS deletion protection off and lets ' +
        '`terraform destroy` empty the Loki/Tempo buckets (force_destroy), whatever db_deletion_protection and ' +
        'buckets_force_destroy say, and lifts their production rules. Apply with it, then destroy. ' +
        'The final snapshot is still taken unless db_skip_final_snapshot. False keeps every production rule.',
      default: false,
    });
    const dbDeletionProtection = Input.bool(this, 'db_deletion_protection', {
      description:
        'Refuse to delete the instance until this is turned off (required in production unless decommission).',
      default: true,
      validation: [
        Rule.custom(
          (v) => inProduction(`${v} || var.decommission`),
          'Production requires deletion protection (unless decommission = true).',
        ),
      ],
    });
    const dbSkipFinalSnapshot = Input.bool(this, 'db_skip_final_snapshot', {
      description: 'Delete without a final snapshot (development only; never in production).',
      default: false,
      validation: [
        Rule.custom((v) => inProduction(`!${v}`), 'Production always takes a final snapshot.'),
      ],
    });
    const dbPerformanceInsightsRetention = Input.number(
      this,
      'db_performance_insights_retention_days',
      {
        description: 'Performance Insights retention: 7 (free) or a multiple of 31 up to 731.',
        default: 7,
        validation: [
          Rule.custom(
            (v) => `${v} == 7 || (${v} % 31 == 0 && ${v} <= 731)`,
            'Must be 7 or a multiple of 31 up to 731.',
          ),
        ],
      },
    );
    const dbMonitoringInterval = Input.number(this, 'db_monitoring_interval_seconds', {
      description: 'Enhanced monitoring interval (0 turns it off and creates no IAM role).',
      default: 0,
      validation: [Rule.oneOf([0, 1, 5, 10, 15, 30, 60])],
    });
    const dbLogExports = Input.stringList(this, 'db_log_exports', {
      description: 'PostgreSQL logs exported to CloudWatch Logs.',
      default: ['postgresql', 'upgrade'],
      validation: [Rule.eachOneOf(['postgresql', 'upgrade', 'iam-db-auth-error'])],
    });

    // ---------------------------------------------------------------- Redis inputs
    const redisEngineVersion = Input.string(this, 'redis_engine_version', {
      description: 'Redis OSS engine version (7.x: IAM authentication needs Redis 7 or later).',
      default: '7.1',
      validation: [Rule.matches('^7\\.[0-9]+$', 'a Redis 7.x version such as 7.1')],
    });
    const redisNodeType = Input.string(this, 'redis_node_type', {
      description: 'ElastiCache node type, e.g. cache.t4g.micro.',
      default: 'cache.t4g.micro',
      validation: [Rule.matches('^cache\\.[a-z0-9]+\\.[a-z0-9]+$', 'an ElastiCache node type')],
    });
    const redisReplicaCount = Input.number(this, 'redis_replica_count', {
      description:
        'Read replicas besides the primary: 0 in development, 1 in staging, 2 in production.',
      default: 1,
      validation: [Rule.between(0, 5)],
    });
    const redisAutomaticFailover = Input.bool(this, 'redis_automatic_failover', {
      description:
        'Promote a replica when the primary fails (needs at least one replica; required in production).',
      default: true,
      validation: [
        Rule.custom(
          (v) => `!${v} || var.redis_replica_count >= 1`,
          'Automatic failover needs redis_replica_count >= 1.',
        ),
        Rule.custom((v) => inProduction(v), 'Production requires automatic failover.'),
      ],
    });
    const redisMultiAz = Input.bool(this, 'redis_multi_az', {
      description:
        'Place replicas in other AZs than the primary (needs automatic failover; required in production).',
      default: true,
      validation: [
        Rule.custom(
          (v) => `!${v} || var.redis_automatic_failover`,
          'Multi-AZ needs redis_automatic_failover = true.',
        ),
        Rule.custom((v) => inProduction(v), 'Production requires Multi-AZ Redis.'),
      ],
    });
    const redisSnapshotRetention = Input.number(this, 'redis_snapshot_retention_days', {
      description: 'Days of daily Redis snapshots (0 disables them).',
      default: 3,
      validation: [Rule.between(0, 35)],
    });

    // ---------------------------------------------------------------- shared settings
    const secretRecoveryWindow = Input.number(this, 'secret_recovery_window_days', {
      description: 'Days a deleted secret can be restored (0 deletes at once: development only).',
      default: 7,
      validation: [
        Rule.custom(
          (v) => `${v} == 0 || (${v} >= 7 && ${v} <= 30)`,
          'Must be 0 or between 7 and 30.',
        ),
      ],
    });
    const kmsDeletionWindow = Input.number(this, 'kms_deletion_window_days', {
      description: 'Days a scheduled KMS key deletion can be cancelled.',
      default: 30,
      validation: [Rule.between(7, 30)],
    });
    const logRetention = Input.number(this, 'log_retention_days', {
      description: 'Retention of the RDS CloudWatch log groups.',
      default: 30,
      validation: [Rule.oneOf(CLOUDWATCH_RETENTION_DAYS)],
    });
    const alarmTopicOverride = Input.string(this, 'alarm_sns_topic_arn', {
      description:
        'Existing SNS topic the CloudWatch alarms notify instead of the module\'s own: "" (the default) creates ' +
        '`<project>-<environment>-data-alarms` (KMS-encrypted, subscribed by alarm_email_addresses); an ARN creates ' +
        'no topic, and whoever manages that topic lets CloudWatch publish to it and subscribes people.',
      default: '',
      validation: [
        Rule.custom(
          (v) =>
            `${v} == "" || can(regex("^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]+$", ${v}))`,
          'Must be "" or an SNS topic ARN.',
        ),
      ],
    });
    const alarmEmailAddresses = Input.stringList(this, 'alarm_email_addresses', {
      description:
        'E-mail addresses notified by the CloudWatch alarms (one SNS e-mail subscription each). AWS sends each ' +
        'address a confirmation e-mail ("AWS Notification - Subscription Confirmation"): nothing is delivered until ' +
        'its "Confirm subscription" link is clicked, and an unconfirmed subscription expires after 48 hours.',
      default: [],
      validation: [
        Rule.eachMatches(
          '^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\\.[A-Za-z]{2,}$',
          'an e-mail address such as oncall@example.com',
        ),
        Rule.distinct(),
        Rule.custom(
          (v) => `length(${v}) == 0 || var.alarm_sns_topic_arn == ""`,
          "Subscribes the module's own topic only: leave it empty with alarm_sns_topic_arn and subscribe people to that topic.",
        ),
      ],
    });
    const dbFreeStorageAlarm = Input.number(this, 'db_free_storage_alarm_bytes', {
      description: 'Alarm when RDS free storage falls below this many bytes.',
      default: 2147483648,
      validation: [Rule.custom((v) => `${v} > 0`, 'Must be positive.')],
    });
    const dbCpuAlarm = Input.number(this, 'db_cpu_alarm_percent', {
      description: 'Alarm when RDS CPU stays above this percentage for 15 minutes.',
      default: 80,
      validation: [Rule.between(1, 100)],
    });
    const redisCpuAlarm = Input.number(this, 'redis_cpu_alarm_percent', {
      description: 'Alarm when the Redis engine CPU of a node stays above this percentage.',
      default: 75,
      validation: [Rule.between(1, 100)],
    });
    const redisMemoryAlarm = Input.number(this, 'redis_memory_alarm_percent', {
      description: 'Alarm when Redis memory use of a node is above this percentage.',
      default: 80,
      validation: [Rule.between(1, 100)],
    });
    const lokiRetention = Input.number(this, 'loki_retention_days', {
      description: 'Days Loki log chunks are kept in S3.',
      default: 30,
      validation: [Rule.between(1, 3650)],
    });
    const tempoRetention = Input.number(this, 'tempo_retention_days', {
      description: 'Days Tempo traces are kept in S3.',
      default: 14,
      validation: [Rule.between(1, 3650)],
    });
    const bucketsForceDestroy = Input.bool(this, 'buckets_force_destroy', {
      description:
        'Let `terraform destroy` empty the Loki/Tempo buckets (never in production unless decommission).',
      default: false,
      validation: [
        Rule.custom(
          (v) => inProduction(`!${v} || var.decommission`),
          'Production buckets are never force-destroyed (unless decommission = true).',
        ),
      ],
    });

    // ---------------------------------------------------------------- resources
    const secretNames = dataSecretNames(this.project.stringValue, this.environment.stringValue);
    const encryption = new DataEncryptionKey(this, 'data', {
      namePrefix: this.namePrefix,
      region,
      deletionWindowDays: kmsDeletionWindow.numberValue,
    });
    const alarmTopic = new AlarmTopic(this, 'alarms', {
      namePrefix: this.namePrefix,
      partition: encryption.partition,
      accountId: encryption.accountId,
      region,
      enabled: Op.lt(Fn.lengthOf(alarmTopicOverride.stringValue), 1),
      emailAddresses: alarmEmailAddresses.listValue,
      keyDeletionWindowDays: kmsDeletionWindow.numberValue,
    });
    // one() is null when the override is set; coalesce() then keeps the override.
    const alarmTopicArn = Token.asString(
      `\${coalesce(${alarmTopicOverride.fqn}, one(${alarmTopic.topic.fqn}[*].arn))}`,
    );
    const alarmActions = [alarmTopicArn];
    const kmsKeyArn = encryption.key.arn;

    const postgres = new PostgresDatabase(this, 'postgres', {
      namePrefix: this.namePrefix,
      partition: encryption.partition,
      vpcId: vpcId.stringValue,
      subnetIds: dataSubnetIds.listValue,
      clientSecurityGroupId: nodeSecurityGroupId.stringValue,
      kmsKeyArn,
      engineVersion: dbEngineVersion.stringValue,
      instanceClass: dbInstanceClass.stringValue,
      allocatedStorageGb: dbAllocatedStorage.numberValue,
      maxAllocatedStorageGb: dbMaxAllocatedStorage.numberValue,
      databaseName: dbName.stringValue,
      username: dbUsername.stringValue,
      backupRetentionDays: dbBackupRetention.numberValue,
      multiAz: dbMultiAz.booleanValue,
      deletionProtection: Op.and(
        dbDeletionProtection.booleanValue,
        Op.not(decommission.booleanValue),
      ),
      skipFinalSnapshot: dbSkipFinalSnapshot.booleanValue,
      performanceInsightsRetentionDays: dbPerformanceInsightsRetention.numberValue,
      monitoringIntervalSeconds: dbMonitoringInterval.numberValue,
      logExports: dbLogExports.listValue,
      logRetentionDays: logRetention.numberValue,
      alarmActions,
      freeStorageAlarmBytes: dbFreeStorageAlarm.numberValue,
      cpuAlarmPercent: dbCpuAlarm.numberValue,
    });

    // The provider of the disaster-recovery region. Terraform configures it even when nothing
    // is created there, so with replication off it points at the primary region, never at "".
    const replicationEnabled = Op.gte(Fn.lengthOf(dbBackupReplicationRegion.stringValue), 1);
    const backupReplicaProvider = this.awsProviderIn(
      'backup_replica',
      Fn.conditional(replicationEnabled, dbBackupReplicationRegion.stringValue, region),
    );
    new PostgresBackupReplication(this, 'backup_replica', {
      namePrefix: this.namePrefix,
      partition: encryption.partition,
      accountId: encryption.accountId,
      provider: backupReplicaProvider,
      enabled: replicationEnabled,
      sourceDbInstanceArn: postgres.instance.arn,
      retentionDays: dbBackupReplicationRetention.numberValue,
      keyDeletionWindowDays: kmsDeletionWindow.numberValue,
    });

    const redis = new RedisCache(this, 'redis', {
      namePrefix: this.namePrefix,
      vpcId: vpcId.stringValue,
      subnetIds: dataSubnetIds.listValue,
      clientSecurityGroupId: nodeSecurityGroupId.stringValue,
      kmsKeyArn,
      engineVersion: redisEngineVersion.stringValue,
      nodeType: redisNodeType.stringValue,
      replicaCount: redisReplicaCount.numberValue,
      automaticFailover: redisAutomaticFailover.booleanValue,
      multiAz: redisMultiAz.booleanValue,
      snapshotRetentionDays: redisSnapshotRetention.numberValue,
      alarmActions,
      cpuAlarmPercent: redisCpuAlarm.numberValue,
      memoryAlarmPercent: redisMemoryAlarm.numberValue,
    });

    const destroyableBuckets = Op.or(bucketsForceDestroy.booleanValue, decommission.booleanValue);
    // Bucket names are global: the account id keeps them unique across accounts.
    const loki = new PrivateBucket(this, 'loki', {
      bucketName: `${this.namePrefix}-loki-${encryption.accountId}`,
      kmsKeyArn,
      retentionDays: lokiRetention.numberValue,
      forceDestroy: destroyableBuckets,
    });
    const tempo = new PrivateBucket(this, 'tempo', {
      bucketName: `${this.namePrefix}-tempo-${encryption.accountId}`,
      kmsKeyArn,
      retentionDays: tempoRetention.numberValue,
      forceDestroy: destroyableBuckets,
    });

    // Alertmanager's Slack webhooks: the secret exists, its value never goes through Terraform
    // (no secret version here): the operator puts it with `aws secretsmanager put-secret-value`
    // (live/README.md), External Secrets syncs it into the monitoring namespace.
    const alertingSecret = new SecretsmanagerSecret(this, 'alerting_secret', {
      name: secretNames.alerting,
      description: `Alertmanager Slack webhooks (JSON keys: ${ALERTING_SECRET_KEYS.join(', ')}); value set by the operator, never by Terraform`,
      kmsKeyId: kmsKeyArn,
      recoveryWindowInDays: secretRecoveryWindow.numberValue,
    });

    // ---------------------------------------------------------------- Pod Identity roles
    const clusterArn = `arn:${encryption.partition}:eks:${region}:${encryption.accountId}:cluster/${clusterName.stringValue}`;
    const podIdentity = { clusterName: clusterName.stringValue, clusterArn };
    const useDataKey = {
      Sid: 'UseTheDataKey',
      Effect: 'Allow',
      Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
      Resource: kmsKeyArn,
    };
    // The API: no password for either database. It signs IAM tokens with these credentials:
    // RDS as its own role (db_api_username), ElastiCache as its own user.
    const api = new PodIdentityRole(this, 'api', {
      ...podIdentity,
      roleName: `${this.namePrefix}-api`,
      description: 'The PayFlow API logs in to PostgreSQL and Redis with IAM tokens',
      namespace: APP_NAMESPACE,
      serviceAccount: API_SERVICE_ACCOUNT,
      policy: {
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'ConnectToPostgresAsTheApiRole',
            Effect: 'Allow',
            Action: ['rds-db:connect'],
            Resource: `arn:${encryption.partition}:rds-db:${region}:${encryption.accountId}:dbuser:${postgres.instance.resourceId}/${dbApiUsername.stringValue}`,
          },
          {
            Sid: 'ConnectToRedisAsTheApiUser',
            Effect: 'Allow',
            Action: ['elasticache:Connect'],
            Resource: [redis.replicationGroup.arn, redis.apiUser.arn],
          },
        ],
      },
    });
    const externalSecrets = new PodIdentityRole(this, 'external_secrets', {
      ...podIdentity,
      roleName: `${this.namePrefix}-external-secrets`,
      description:
        'external-secrets reads the RDS master secret (migrations Job) and the alerting webhooks',
      namespace: 'external-secrets',
      serviceAccount: 'external-secrets',
      policy: {
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'ReadTheDataSecrets',
            Effect: 'Allow',
            Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
            Resource: [postgres.masterSecretArn, alertingSecret.arn],
          },
          {
            Sid: 'DecryptTheDataSecrets',
            Effect: 'Allow',
            Action: ['kms:Decrypt'],
            Resource: kmsKeyArn,
          },
        ],
      },
    });
    const bucketAccess = (bucket: PrivateBucket): PolicyDocument => ({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'ListTheBucket',
          Effect: 'Allow',
          Action: ['s3:ListBucket'],
          Resource: bucket.bucket.arn,
        },
        {
          Sid: 'ReadWriteObjects',
          Effect: 'Allow',
          Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
          Resource: `${bucket.bucket.arn}/*`,
        },
        useDataKey,
      ],
    });
    const lokiRole = new PodIdentityRole(this, 'loki_access', {
      ...podIdentity,
      roleName: `${this.namePrefix}-loki`,
      description: 'Loki stores log chunks and indexes in its bucket',
      namespace: 'monitoring',
      serviceAccount: 'loki',
      policy: bucketAccess(loki),
    });
    const tempoRole = new PodIdentityRole(this, 'tempo_access', {
      ...podIdentity,
      roleName: `${this.namePrefix}-tempo`,
      description: 'Tempo stores trace blocks in its bucket',
      namespace: 'monitoring',
      serviceAccount: 'tempo',
      policy: bucketAccess(tempo),
    });

    // ---------------------------------------------------------------- outputs (contract)
    this.output('db_address', {
      value: postgres.instance.address,
      description: 'Host name of the PostgreSQL instance (private DNS, TLS required).',
    });
    this.output('db_port', {
      value: postgres.instance.port,
      description: 'PostgreSQL port (5432).',
    });
    this.output('db_name', {
      value: postgres.instance.dbName,
      description: 'Application database name.',
    });
    this.output('db_username', {
      value: postgres.instance.username,
      description: 'Master user name; its password is in the secret `db_master_secret_arn`.',
    });
    this.output('db_api_username', {
      value: dbApiUsername.stringValue,
      description:
        "The API's database role: IAM authentication only (app input `db_api_username`), created by the migrations Job.",
    });
    this.output('api_role_arn', {
      value: api.role.arn,
      description:
        'Role of payflow/payflow (Pod Identity): rds-db:connect as db_api_username and elasticache:Connect as redis_api_username, nothing else.',
    });
    this.output('db_master_secret_arn', {
      value: postgres.masterSecretArn,
      description:
        'Secrets Manager secret (JSON with `username` and `password`) that RDS manages and rotates for the master user.',
    });
    this.output('redis_primary_endpoint', {
      value: redis.replicationGroup.primaryEndpointAddress,
      description:
        'Host name of the Redis primary; connect with TLS (`rediss://`) as redis_api_username with an IAM token.',
    });
    this.output('redis_replication_group_id', {
      value: redis.replicationGroup.replicationGroupId,
      description:
        'Replication group id: what the API signs its IAM tokens for (REDIS_IAM_CACHE_NAME).',
    });
    this.output('redis_api_username', {
      value: redis.apiUser.userName,
      description: "The API's ElastiCache user (IAM authentication, no password).",
    });
    this.output('redis_port', {
      value: redis.replicationGroup.port,
      description: 'Redis port (6379).',
    });
    this.output('loki_bucket_name', {
      value: loki.bucket.bucket,
      description: 'S3 bucket of Loki chunks.',
    });
    this.output('tempo_bucket_name', {
      value: tempo.bucket.bucket,
      description: 'S3 bucket of Tempo traces.',
    });
    this.output('external_secrets_role_arn', {
      value: externalSecrets.role.arn,
      description:
        'Role of external-secrets/external-secrets (Pod Identity): reads the RDS master secret (for the migrations Job) and the alerting secret.',
    });
    this.output('alerting_secret_name', {
      value: alertingSecret.name,
      description: `Secrets Manager secret of the Alertmanager Slack webhooks (platform input \`alerting_secret_name\`); JSON keys ${ALERTING_SECRET_KEYS.map((k) => `\`${k}\``).join(', ')}, value set with \`aws secretsmanager put-secret-value\` (live/README.md).`,
    });
    this.output('alarm_topic_arn', {
      value: alarmTopicArn,
      description:
        "SNS topic the CloudWatch alarms of this layer notify (alarm and OK): the module's `<project>-<environment>-data-alarms`, or alarm_sns_topic_arn when set.",
    });
    this.output('loki_role_arn', {
      value: lokiRole.role.arn,
      description: 'Role of monitoring/loki (Pod Identity): reads and writes the Loki bucket only.',
    });
    this.output('tempo_role_arn', {
      value: tempoRole.role.arn,
      description:
        'Role of monitoring/tempo (Pod Identity): reads and writes the Tempo bucket only.',
    });
  }
}
