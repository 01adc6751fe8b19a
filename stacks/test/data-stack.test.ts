// Construct tests of the data layer: what DataStack synthesizes, checked with CDKTF's
// Testing helpers on the Terraform JSON (values that depend on inputs are checked by
// modules/data/tests/*.tftest.hcl with `terraform test`).
import { DbInstance } from '@cdktf/provider-aws/lib/db-instance';
import { DbParameterGroup } from '@cdktf/provider-aws/lib/db-parameter-group';
import { EksPodIdentityAssociation } from '@cdktf/provider-aws/lib/eks-pod-identity-association';
import { ElasticacheReplicationGroup } from '@cdktf/provider-aws/lib/elasticache-replication-group';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import { S3BucketPublicAccessBlock } from '@cdktf/provider-aws/lib/s3-bucket-public-access-block';
import { API_REDIS_ACCESS_STRING } from '../data/redis-cache';
import { App, TerraformStack, Testing } from 'cdktf';
import { expect } from 'chai';
import { ALERTING_SECRET_KEYS, DataStack } from '../data/data-stack';
import { ALERTMANAGER_WEBHOOKS } from '../platform/alertmanager-config';
import { PrivateBucket } from '../lib/private-bucket';
import { synthesizeStack } from '../lib/module-synthesis';
import { PodIdentityRole } from '../lib/pod-identity-role';

type Block = Record<string, unknown>;
interface PolicyStatement {
  sid?: string;
  effect?: string;
  actions?: string[];
  resources?: string[];
  principals?: { type: string; identifiers: string[] }[];
  condition?: { test: string; variable: string; values: string[] }[];
}

/** The value, or a test failure naming what was missing. */
function defined<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`missing: ${what}`);
  return value;
}

const CONTRACT_OUTPUTS = [
  'db_address',
  'db_port',
  'db_name',
  'db_username',
  'db_api_username',
  'api_role_arn',
  'db_master_secret_arn',
  'redis_primary_endpoint',
  'redis_port',
  'redis_replication_group_id',
  'redis_api_username',
  'loki_bucket_name',
  'tempo_bucket_name',
  'external_secrets_role_arn',
  'loki_role_arn',
  'tempo_role_arn',
  'alerting_secret_name',
  'alarm_topic_arn',
];

/** The one SNS topic every data-layer alarm notifies, its own or alarm_sns_topic_arn. */
const ALARM_TOPIC = '${coalesce(var.alarm_sns_topic_arn, one(aws_sns_topic.alarms_topic[*].arn))}';

describe('DataStack', function () {
  const app = new App({ skipValidation: true });
  const stack = new DataStack(app, 'data');
  const synthesized = Testing.synth(stack);
  const tf = synthesizeStack(stack) as unknown as {
    resource: Record<string, Record<string, Block>>;
    data: Record<string, Record<string, Block>>;
    variable: Record<string, Block & { validation?: { condition: string }[] }>;
    output: Record<string, Block>;
    terraform: Block;
  };
  const resource = (type: string, name: string): Block => {
    return defined(tf.resource[type]?.[name], `${type}.${name}`);
  };
  const statements = (name: string): PolicyStatement[] =>
    (tf.data['aws_iam_policy_document']?.[name]?.['statement'] ?? []) as PolicyStatement[];
  /** Statements of an inline role policy (literal JSON). */
  const rolePolicy = (name: string): Record<string, unknown>[] =>
    (JSON.parse(String(resource('aws_iam_role_policy', name)['policy'])) as { Statement: Block[] })
      .Statement;

  it('declares exactly the contract outputs, each documented', function () {
    expect(Object.keys(tf.output).sort()).to.deep.equal([...CONTRACT_OUTPUTS].sort());
    for (const [name, output] of Object.entries(tf.output)) {
      expect(output['description'], name).to.be.a('string').with.lengthOf.above(0);
    }
  });

  it('takes its wiring from the network and cluster layers as inputs', function () {
    for (const name of ['vpc_id', 'data_subnet_ids', 'node_security_group_id', 'cluster_name']) {
      expect(defined(tf.variable[name], name)['default'], name).to.equal(undefined);
    }
  });

  it('runs PostgreSQL 16, encrypted with the data key, private, password managed by RDS', function () {
    expect(
      Testing.toHaveResourceWithProperties(synthesized, DbInstance.tfResourceType, {
        engine: 'postgres',
        storage_encrypted: true,
        kms_key_id: '${aws_kms_key.data_key.arn}',
        publicly_accessible: false,
        manage_master_user_password: true,
        master_user_secret_kms_key_id: '${aws_kms_key.data_key.arn}',
        performance_insights_enabled: true,
        performance_insights_kms_key_id: '${aws_kms_key.data_key.arn}',
        auto_minor_version_upgrade: true,
        copy_tags_to_snapshot: true,
        multi_az: '${var.db_multi_az}',
        deletion_protection: '${(var.db_deletion_protection && !var.decommission)}',
        backup_retention_period: '${var.db_backup_retention_days}',
        db_subnet_group_name: '${aws_db_subnet_group.postgres_subnet_group.name}',
      }),
    ).to.equal(true);
    expect(resource('aws_db_instance', 'postgres_instance')).to.not.have.property('password');
  });

  it('forces TLS to PostgreSQL in the parameter group of the engine major version', function () {
    expect(
      Testing.toHaveResourceWithProperties(synthesized, DbParameterGroup.tfResourceType, {
        family: 'postgres${element(split(".", var.db_engine_version), 0)}',
        parameter: [
          { name: 'rds.force_ssl', value: '1', apply_method: 'pending-reboot' },
          { name: 'log_min_duration_statement', value: '1000' },
        ],
      }),
    ).to.equal(true);
  });

  it('encrypts Redis in transit and at rest, sizes it from the replica count', function () {
    expect(
      Testing.toHaveResourceWithProperties(
        synthesized,
        ElasticacheReplicationGroup.tfResourceType,
        {
          engine: 'redis',
          transit_encryption_enabled: true,
          transit_encryption_mode: 'required',
          at_rest_encryption_enabled: 'true',
          kms_key_id: '${aws_kms_key.data_key.arn}',
          num_cache_clusters: '${(var.redis_replica_count + 1)}',
          automatic_failover_enabled: '${var.redis_automatic_failover}',
          multi_az_enabled: '${var.redis_multi_az}',
          user_group_ids: ['${aws_elasticache_user_group.redis_user_group.user_group_id}'],
        },
      ),
    ).to.equal(true);
    expect(
      resource('aws_elasticache_replication_group', 'redis_replication_group'),
    ).to.not.have.any.keys('auth_token', 'auth_token_update_strategy');
  });

  it('lets only the API into Redis, with IAM tokens: no password or AUTH token anywhere', function () {
    expect(resource('aws_elasticache_user_group', 'redis_user_group')).to.deep.include({
      user_group_id: '${var.project}-${var.environment}-redis',
      user_ids: [
        '${aws_elasticache_user.redis_default_user.user_id}',
        '${aws_elasticache_user.redis_api_user.user_id}',
      ],
    });
    // The connection that has not authenticated is "default": switched off.
    expect(resource('aws_elasticache_user', 'redis_default_user')).to.deep.include({
      user_name: 'default',
      access_string: 'off -@all',
      authentication_mode: { type: 'no-password-required' },
    });
    expect(resource('aws_elasticache_user', 'redis_api_user')).to.deep.include({
      user_id: '${var.project}-${var.environment}-redis-api',
      user_name: '${var.project}-${var.environment}-redis-api',
      access_string: API_REDIS_ACCESS_STRING,
      authentication_mode: { type: 'iam' },
    });
    expect(Object.keys(tf.resource)).to.not.include.members(['aws_secretsmanager_secret_version']);
    expect(Object.keys(tf.data)).to.not.include('aws_secretsmanager_random_password');
    const providers = Object.keys((tf.terraform['required_providers'] ?? {}) as Block);
    expect(providers).to.deep.equal(['aws']);
  });

  it('gives the API pods (payflow/payflow) exactly rds-db:connect as their role and elasticache:Connect', function () {
    const [postgres, redis] = rolePolicy('api_policy');
    expect(postgres).to.deep.equal({
      Sid: 'ConnectToPostgresAsTheApiRole',
      Effect: 'Allow',
      Action: ['rds-db:connect'],
      Resource:
        'arn:${data.aws_partition.data_partition.partition}:rds-db:${var.region}:${data.aws_caller_identity.data_caller.account_id}:dbuser:${aws_db_instance.postgres_instance.resource_id}/${var.db_api_username}',
    });
    expect(redis).to.deep.equal({
      Sid: 'ConnectToRedisAsTheApiUser',
      Effect: 'Allow',
      Action: ['elasticache:Connect'],
      Resource: [
        '${aws_elasticache_replication_group.redis_replication_group.arn}',
        '${aws_elasticache_user.redis_api_user.arn}',
      ],
    });
    expect(resource('aws_eks_pod_identity_association', 'api_association')).to.include({
      namespace: 'payflow',
      service_account: 'payflow',
    });
    expect(resource('aws_db_instance', 'postgres_instance')).to.include({
      iam_database_authentication_enabled: true,
    });
  });

  it('admits only the node security group, on the engine port, into the data tier', function () {
    for (const [engine, port] of [
      ['postgres', 5432],
      ['redis', 6379],
    ] as const) {
      const rule = resource('aws_vpc_security_group_ingress_rule', `${engine}_ingress_from_nodes`);
      expect(rule).to.include({
        from_port: port,
        to_port: port,
        ip_protocol: 'tcp',
        referenced_security_group_id: '${var.node_security_group_id}',
      });
      expect(rule).to.not.have.property('cidr_ipv4');
      const group = resource('aws_security_group', `${engine}_security_group`);
      expect(group).to.not.have.property('ingress');
      expect(group).to.not.have.property('egress');
    }
  });

  it('rotates the customer managed key', function () {
    expect(
      Testing.toHaveResourceWithProperties(synthesized, KmsKey.tfResourceType, {
        enable_key_rotation: true,
      }),
    ).to.equal(true);
  });

  it('replicates the PostgreSQL backups to a second region, only when asked', function () {
    const enabled = '${(length(var.db_backup_replication_region) >= 1) ? 1 : 0}';
    expect(
      resource('aws_db_instance_automated_backups_replication', 'backup_replica_postgres'),
    ).to.deep.equal({
      provider: 'aws.backup_replica',
      count: enabled,
      source_db_instance_arn: '${aws_db_instance.postgres_instance.arn}',
      kms_key_id: '${aws_kms_key.backup_replica_key[count.index].arn}',
      retention_period: '${var.db_backup_replication_retention_days}',
    });
    expect(resource('aws_kms_key', 'backup_replica_key')).to.include({
      provider: 'aws.backup_replica',
      count: enabled,
      enable_key_rotation: true,
      policy: '${data.aws_iam_policy_document.backup_replica_key_policy.json}',
    });
    expect(resource('aws_kms_alias', 'backup_replica_key_alias')).to.include({
      provider: 'aws.backup_replica',
      count: enabled,
      name: 'alias/${var.project}-${var.environment}-data-backup-replica',
    });
    // Same key policy approach as the data key: the account administers, IAM decides.
    const [dataKeyAdministration] = statements('data_policy');
    expect(statements('backup_replica_key_policy')).to.deep.equal([dataKeyAdministration]);
    expect(dataKeyAdministration?.sid).to.equal('AccountAdministration');
  });

  it('configures the second region as an alias of the same hashicorp/aws provider, never with region ""', function () {
    const providers = (tf as unknown as { provider: { aws: Block[] } }).provider.aws;
    expect(providers.map((p) => p['alias'] ?? 'default')).to.deep.equal([
      'default',
      'backup_replica',
    ]);
    const [primary, replica] = providers;
    expect(replica?.['region']).to.equal(
      '${(length(var.db_backup_replication_region) >= 1) ? var.db_backup_replication_region : var.region}',
    );
    expect(replica?.['default_tags']).to.deep.equal(primary?.['default_tags']);
    expect(tf.terraform['required_providers']).to.deep.equal({
      aws: { source: 'hashicorp/aws', version: '5.100.0' },
    });
  });

  it('accepts as replication region only "" or another AWS region, and requires one in production', function () {
    const conditions = (
      defined(tf.variable['db_backup_replication_region'], 'input').validation ?? []
    ).map((v) => v.condition);
    expect(conditions).to.have.lengthOf(3);
    expect(conditions[0]).to.contain('var.db_backup_replication_region == ""');
    expect(conditions[1]).to.equal('${var.db_backup_replication_region != var.region}');
    expect(conditions[2]).to.equal(
      '${var.environment != "production" || (var.db_backup_replication_region != "")}',
    );
    expect(tf.variable['db_backup_replication_region']?.['default']).to.equal('');
  });

  it('alarms on RDS free storage and CPU and on Redis CPU and memory per node', function () {
    const alarms = tf.resource['aws_cloudwatch_metric_alarm'] ?? {};
    expect(Object.keys(alarms).sort()).to.deep.equal([
      'postgres_cpu_alarm',
      'postgres_free_storage_alarm',
      'redis_cpu_alarm',
      'redis_memory_alarm',
    ]);
    expect(alarms['postgres_free_storage_alarm']).to.include({
      metric_name: 'FreeStorageSpace',
      comparison_operator: 'LessThanThreshold',
    });
    expect(defined(alarms['redis_memory_alarm'], 'memory alarm')['for_each']).to.contain(
      'var.redis_replica_count',
    );
  });

  it('notifies the alarm topic from every alarm, when it fires and when it recovers', function () {
    const alarms = Object.entries(tf.resource['aws_cloudwatch_metric_alarm'] ?? {});
    expect(alarms).to.have.lengthOf(4);
    for (const [name, alarm] of alarms) {
      expect(alarm['alarm_actions'], name).to.deep.equal([ALARM_TOPIC]);
      expect(alarm['ok_actions'], name).to.deep.equal([ALARM_TOPIC]);
    }
    expect(tf.output['alarm_topic_arn']?.['value']).to.equal(ALARM_TOPIC);
  });

  it('creates its alarm topic, KMS-encrypted, unless alarm_sns_topic_arn names another', function () {
    const created = '${(length(var.alarm_sns_topic_arn) < 1) ? 1 : 0}';
    expect(resource('aws_sns_topic', 'alarms_topic')).to.include({
      name: '${var.project}-${var.environment}-data-alarms',
      kms_master_key_id: '${aws_kms_key.alarms_key[count.index].arn}',
      count: created,
    });
    expect(resource('aws_kms_key', 'alarms_key')).to.include({
      enable_key_rotation: true,
      policy: '${data.aws_iam_policy_document.alarms_key_policy.json}',
      count: created,
    });
    expect(resource('aws_sns_topic_policy', 'alarms_topic_policy')).to.include({
      arn: '${aws_sns_topic.alarms_topic[count.index].arn}',
      policy: '${data.aws_iam_policy_document.alarms_topic_policy_document.json}',
      count: created,
    });
  });

  it('lets CloudWatch use the topic key, which encrypts nothing else', function () {
    const [admin, cloudwatch, ...others] = statements('alarms_key_policy');
    expect(others).to.deep.equal([]);
    expect(admin?.sid).to.equal('AccountAdministration');
    expect(cloudwatch).to.deep.include({
      actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      principals: [{ type: 'Service', identifiers: ['cloudwatch.amazonaws.com'] }],
    });
    const keyUsers = Object.values(tf.resource)
      .flatMap((byName) => Object.values(byName))
      .filter((r) => JSON.stringify(r).includes('aws_kms_key.alarms_key'));
    expect(keyUsers).to.deep.equal([
      resource('aws_kms_alias', 'alarms_key_alias'),
      resource('aws_sns_topic', 'alarms_topic'),
    ]);
  });

  it('lets only CloudWatch alarms of this account, named after the environment, publish', function () {
    const topicStatements = statements('alarms_topic_policy_document');
    expect(topicStatements).to.have.lengthOf(1);
    const [publish] = topicStatements;
    expect(publish).to.deep.include({
      actions: ['sns:Publish'],
      principals: [{ type: 'Service', identifiers: ['cloudwatch.amazonaws.com'] }],
      resources: [
        'arn:${data.aws_partition.data_partition.partition}:sns:${var.region}:${data.aws_caller_identity.data_caller.account_id}:${var.project}-${var.environment}-data-alarms',
      ],
    });
    expect(publish?.effect ?? 'Allow').to.equal('Allow');
    expect(publish?.condition).to.deep.equal([
      {
        test: 'StringEquals',
        variable: 'aws:SourceAccount',
        values: ['${data.aws_caller_identity.data_caller.account_id}'],
      },
      {
        test: 'ArnLike',
        variable: 'aws:SourceArn',
        values: [
          'arn:${data.aws_partition.data_partition.partition}:cloudwatch:${var.region}:${data.aws_caller_identity.data_caller.account_id}:alarm:${var.project}-${var.environment}-*',
        ],
      },
    ]);
    // The alarm names start with the prefix the policy admits.
    for (const alarm of Object.values(tf.resource['aws_cloudwatch_metric_alarm'] ?? {})) {
      expect(String(alarm['alarm_name'])).to.match(/^\$\{var\.project\}-\$\{var\.environment\}-/);
    }
  });

  it('subscribes each alarm_email_addresses entry by e-mail; the input accepts e-mail addresses only', function () {
    expect(resource('aws_sns_topic_subscription', 'alarms_email')).to.deep.equal({
      for_each: '${toset(var.alarm_email_addresses)}',
      topic_arn: '${aws_sns_topic.alarms_topic[0].arn}',
      protocol: 'email',
      endpoint: '${each.value}',
    });
    const input = defined(tf.variable['alarm_email_addresses'], 'alarm_email_addresses');
    expect(input).to.include({ type: 'list(string)', nullable: false });
    expect(input['default']).to.deep.equal([]);
    const [format] = input.validation ?? [];
    const pattern = /regex\("((?:[^"\\]|\\.)*)"/.exec(format?.condition ?? '')?.[1];
    const regex = new RegExp(JSON.parse(`"${defined(pattern, 'e-mail pattern')}"`) as string);
    for (const good of ['oncall@example.com', 'dba-team+payflow@mail.example.co.uk']) {
      expect(regex.test(good), good).to.equal(true);
    }
    for (const bad of ['oncall', 'oncall@example', 'on call@example.com', '@example.com', '']) {
      expect(regex.test(bad), bad).to.equal(false);
    }
  });

  it('gives external-secrets exactly the master secret (migrations Job), the alerting secret and the key', function () {
    const [secrets, key] = rolePolicy('external_secrets_policy');
    expect(secrets?.Action).to.deep.equal([
      'secretsmanager:GetSecretValue',
      'secretsmanager:DescribeSecret',
    ]);
    expect(secrets?.Resource).to.deep.equal([
      '${aws_db_instance.postgres_instance.master_user_secret[0].secret_arn}',
      '${aws_secretsmanager_secret.alerting_secret.arn}',
    ]);
    expect(key).to.deep.include({
      Action: ['kms:Decrypt'],
      Resource: '${aws_kms_key.data_key.arn}',
    });
  });

  it('creates the alerting secret, KMS-encrypted, without any value in Terraform', function () {
    expect(resource('aws_secretsmanager_secret', 'alerting_secret')).to.include({
      name: '${var.project}/${var.environment}/alerting',
      kms_key_id: '${aws_kms_key.data_key.arn}',
      recovery_window_in_days: '${var.secret_recovery_window_days}',
    });
    expect(tf.resource['aws_secretsmanager_secret_version']).to.equal(undefined);
    expect(tf.output['alerting_secret_name']?.['value']).to.equal(
      '${aws_secretsmanager_secret.alerting_secret.name}',
    );
    for (const key of ALERTING_SECRET_KEYS) {
      expect(String(tf.output['alerting_secret_name']?.['description'])).to.contain(key);
    }
  });

  it('documents the alerting secret keys the platform module reads', function () {
    // The cluster's Alertmanager receivers post with these keys of the synced Secret.
    const read = new Set(Object.values(ALERTMANAGER_WEBHOOKS.keyOfReceiver));
    expect([...read].sort()).to.deep.equal([...ALERTING_SECRET_KEYS].sort());
  });

  it('gives Loki and Tempo their own bucket only', function () {
    for (const tool of ['loki', 'tempo']) {
      const resources = rolePolicy(`${tool}_access_policy`).map((s) => s.Resource);
      expect(resources).to.deep.equal([
        `\${aws_s3_bucket.${tool}_bucket.arn}`,
        `\${aws_s3_bucket.${tool}_bucket.arn}/*`,
        '${aws_kms_key.data_key.arn}',
      ]);
    }
    expect(
      Testing.toHaveResourceWithProperties(synthesized, EksPodIdentityAssociation.tfResourceType, {
        namespace: 'monitoring',
        service_account: 'loki',
        role_arn: '${aws_iam_role.loki_access_role.arn}',
        cluster_name: '${var.cluster_name}',
      }),
    ).to.equal(true);
  });

  it('decommission (off by default) turns deletion protection off and the buckets force-destroyable', function () {
    expect(tf.variable['decommission']).to.deep.include({ type: 'bool', default: false });
    expect(String(tf.variable['decommission']?.['description'])).to.match(/production/);
    expect(resource('aws_db_instance', 'postgres_instance')['deletion_protection']).to.equal(
      '${(var.db_deletion_protection && !var.decommission)}',
    );
    for (const tool of ['loki', 'tempo']) {
      expect(resource('aws_s3_bucket', `${tool}_bucket`)['force_destroy'], tool).to.equal(
        '${(var.buckets_force_destroy || var.decommission)}',
      );
    }
    // The production rules give way to the switch, and to nothing else.
    for (const name of ['db_deletion_protection', 'buckets_force_destroy']) {
      const conditions = (tf.variable[name]?.validation ?? []).map((v) => v.condition);
      expect(conditions.join('\n'), name).to.match(
        /var\.environment != "production" \|\| \(.+ \|\| var\.decommission\)/,
      );
    }
  });

  it('names the final snapshot after the instance creation time, so a second destroy does not collide', function () {
    const instance = resource('aws_db_instance', 'postgres_instance');
    expect(instance['final_snapshot_identifier']).to.equal(
      '${var.project}-${var.environment}-postgres-final-${formatdate("YYYYMMDD-hhmmss", timestamp())}',
    );
    expect(instance['lifecycle'], 'timestamp() is read once, at creation').to.deep.equal({
      ignore_changes: ['final_snapshot_identifier'],
    });
  });

  it('guards the production rules with input validations', function () {
    const guarded = Object.entries(tf.variable)
      .filter(([, v]) =>
        (v.validation ?? []).some((r) => r.condition.includes('var.environment != "production"')),
      )
      .map(([name]) => name)
      .sort();
    expect(guarded).to.deep.equal([
      'buckets_force_destroy',
      'db_backup_replication_region',
      'db_backup_retention_days',
      'db_deletion_protection',
      'db_multi_az',
      'db_skip_final_snapshot',
      'redis_automatic_failover',
      'redis_multi_az',
    ]);
  });
});

describe('PrivateBucket', function () {
  it('blocks public access, enforces TLS and expires objects after the retention', function () {
    const stack = new TerraformStack(Testing.app(), 'bucket_test');
    new PrivateBucket(stack, 'logs', {
      bucketName: 'example-logs',
      kmsKeyArn: 'arn:aws:kms:eu-west-3:111122223333:key/example',
      retentionDays: 9,
      forceDestroy: false,
    });
    const synthesized = Testing.synth(stack);
    expect(
      Testing.toHaveResourceWithProperties(synthesized, S3BucketPublicAccessBlock.tfResourceType, {
        block_public_acls: true,
        block_public_policy: true,
        ignore_public_acls: true,
        restrict_public_buckets: true,
      }),
    ).to.equal(true);
    const tf = JSON.parse(synthesized) as {
      resource: Record<string, Record<string, Block>>;
      data: Record<string, Record<string, { statement: PolicyStatement[] }>>;
    };
    const lifecycles = Object.values(tf.resource['aws_s3_bucket_lifecycle_configuration'] ?? {});
    expect(JSON.stringify(lifecycles[0]?.['rule'])).to.contain('"expiration":[{"days":9}]');
    const [deny] = Object.values(tf.data['aws_iam_policy_document'] ?? {})[0]?.statement ?? [];
    expect(deny).to.deep.include({ effect: 'Deny', actions: ['s3:*'] });
    expect(deny?.condition).to.deep.equal([
      { test: 'Bool', variable: 'aws:SecureTransport', values: ['false'] },
    ]);
  });
});

describe('PodIdentityRole', function () {
  it('is assumable only by the EKS Pod Identity agent, for one cluster, namespace and service account', function () {
    const stack = new TerraformStack(Testing.app(), 'role_test');
    new PodIdentityRole(stack, 'reader', {
      roleName: 'example-reader',
      clusterName: 'example',
      clusterArn: 'arn:aws:eks:eu-west-3:111122223333:cluster/example',
      namespace: 'apps',
      serviceAccount: 'reader',
      policy: {
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::example/*' },
        ],
      },
    });
    const tf = JSON.parse(Testing.synth(stack)) as {
      resource: Record<string, Record<string, Block>>;
    };
    const [[roleAddress, role] = []] = Object.entries(tf.resource['aws_iam_role'] ?? {});
    const trust = JSON.parse(String(role?.['assume_role_policy'])) as { Statement: Block[] };
    expect(trust.Statement).to.deep.equal([
      {
        Sid: 'EksPodIdentityForOneServiceAccount',
        Effect: 'Allow',
        Principal: { Service: 'pods.eks.amazonaws.com' },
        Action: ['sts:AssumeRole', 'sts:TagSession'],
        Condition: {
          StringEquals: {
            'aws:RequestTag/eks-cluster-arn': 'arn:aws:eks:eu-west-3:111122223333:cluster/example',
            'aws:RequestTag/kubernetes-namespace': 'apps',
            'aws:RequestTag/kubernetes-service-account': 'reader',
          },
        },
      },
    ]);
    expect(Object.values(tf.resource['aws_eks_pod_identity_association'] ?? {})).to.deep.equal([
      {
        cluster_name: 'example',
        namespace: 'apps',
        service_account: 'reader',
        role_arn: `\${aws_iam_role.${String(roleAddress)}.arn}`,
      },
    ]);
  });
});
