import { CLOUDWATCH_RETENTION_DAYS, Input, Rule, inProduction } from '../lib/inputs';
import type { ModuleStack } from '../lib/module-stack';
import { postgresInputs } from './postgres-inputs';

/** Every input of the data module (variables.tf), in the order of its README. */
export function dataInputs(stack: ModuleStack) {
  return {
    // ---------------------------------------------------------------- wiring from other layers
    vpcId: Input.string(stack, 'vpc_id', {
      description: 'VPC of the environment (network output `vpc_id`).',
      validation: [Rule.matches('^vpc-[0-9a-f]+$', 'a VPC id such as vpc-0123abcd')],
    }),
    dataSubnetIds: Input.stringList(stack, 'data_subnet_ids', {
      description: 'Isolated data subnets, one per AZ (network output `data_subnet_ids`).',
      validation: [
        Rule.custom(
          (v) => `length(${v}) >= 2`,
          'At least two subnets in different AZs are required.',
        ),
        Rule.eachMatches('^subnet-[0-9a-f]+$', 'a subnet id such as subnet-0123abcd'),
      ],
    }),
    nodeSecurityGroupId: Input.string(stack, 'node_security_group_id', {
      description:
        'Security group of the EKS nodes (cluster output `node_security_group_id`): the only source admitted on 5432 and 6379.',
      validation: [Rule.matches('^sg-[0-9a-f]+$', 'a security group id such as sg-0123abcd')],
    }),
    clusterName: Input.string(stack, 'cluster_name', {
      description:
        'EKS cluster receiving the Pod Identity associations (cluster output `cluster_name`).',
    }),

    ...postgresInputs(stack),

    // ---------------------------------------------------------------- Redis inputs
    redisEngineVersion: Input.string(stack, 'redis_engine_version', {
      description: 'Redis OSS engine version (7.x: IAM authentication needs Redis 7 or later).',
      default: '7.1',
      validation: [Rule.matches('^7\\.[0-9]+$', 'a Redis 7.x version such as 7.1')],
    }),
    redisNodeType: Input.string(stack, 'redis_node_type', {
      description: 'ElastiCache node type, e.g. cache.t4g.micro.',
      default: 'cache.t4g.micro',
      validation: [Rule.matches('^cache\\.[a-z0-9]+\\.[a-z0-9]+$', 'an ElastiCache node type')],
    }),
    redisReplicaCount: Input.number(stack, 'redis_replica_count', {
      description:
        'Read replicas besides the primary: 0 in development, 1 in staging, 2 in production.',
      default: 1,
      validation: [Rule.between(0, 5)],
    }),
    redisAutomaticFailover: Input.bool(stack, 'redis_automatic_failover', {
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
    }),
    redisMultiAz: Input.bool(stack, 'redis_multi_az', {
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
    }),
    redisSnapshotRetention: Input.number(stack, 'redis_snapshot_retention_days', {
      description: 'Days of daily Redis snapshots (0 disables them).',
      default: 3,
      validation: [Rule.between(0, 35)],
    }),

    // ---------------------------------------------------------------- shared settings
    secretRecoveryWindow: Input.number(stack, 'secret_recovery_window_days', {
      description: 'Days a deleted secret can be restored (0 deletes at once: development only).',
      default: 7,
      validation: [
        Rule.custom(
          (v) => `${v} == 0 || (${v} >= 7 && ${v} <= 30)`,
          'Must be 0 or between 7 and 30.',
        ),
      ],
    }),
    kmsDeletionWindow: Input.number(stack, 'kms_deletion_window_days', {
      description: 'Days a scheduled KMS key deletion can be cancelled.',
      default: 30,
      validation: [Rule.between(7, 30)],
    }),
    logRetention: Input.number(stack, 'log_retention_days', {
      description: 'Retention of the RDS CloudWatch log groups.',
      default: 30,
      validation: [Rule.oneOf(CLOUDWATCH_RETENTION_DAYS)],
    }),
    alarmTopicOverride: Input.string(stack, 'alarm_sns_topic_arn', {
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
    }),
    alarmEmailAddresses: Input.stringList(stack, 'alarm_email_addresses', {
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
    }),
    dbFreeStorageAlarm: Input.number(stack, 'db_free_storage_alarm_bytes', {
      description: 'Alarm when RDS free storage falls below this many bytes.',
      default: 2147483648,
      validation: [Rule.custom((v) => `${v} > 0`, 'Must be positive.')],
    }),
    dbCpuAlarm: Input.number(stack, 'db_cpu_alarm_percent', {
      description: 'Alarm when RDS CPU stays above this percentage for 15 minutes.',
      default: 80,
      validation: [Rule.between(1, 100)],
    }),
    redisCpuAlarm: Input.number(stack, 'redis_cpu_alarm_percent', {
      description: 'Alarm when the Redis engine CPU of a node stays above this percentage.',
      default: 75,
      validation: [Rule.between(1, 100)],
    }),
    redisMemoryAlarm: Input.number(stack, 'redis_memory_alarm_percent', {
      description: 'Alarm when Redis memory use of a node is above this percentage.',
      default: 80,
      validation: [Rule.between(1, 100)],
    }),
    lokiRetention: Input.number(stack, 'loki_retention_days', {
      description: 'Days Loki log chunks are kept in S3.',
      default: 30,
      validation: [Rule.between(1, 3650)],
    }),
    tempoRetention: Input.number(stack, 'tempo_retention_days', {
      description: 'Days Tempo traces are kept in S3.',
      default: 14,
      validation: [Rule.between(1, 3650)],
    }),
    bucketsForceDestroy: Input.bool(stack, 'buckets_force_destroy', {
      description:
        'Let `terraform destroy` empty the Loki/Tempo buckets (never in production unless decommission).',
      default: false,
      validation: [
        Rule.custom(
          (v) => inProduction(`!${v} || var.decommission`),
          'Production buckets are never force-destroyed (unless decommission = true).',
        ),
      ],
    }),
  };
}
