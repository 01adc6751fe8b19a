import { SecretsmanagerSecret } from '@cdktf/provider-aws/lib/secretsmanager-secret';
import { Fn, Op, Token } from 'cdktf';
import type { Construct } from 'constructs';
import { ModuleStack } from '../lib/module-stack';
import { AlarmTopic } from './alarm-topic';
import { DataEncryptionKey } from './data-encryption-key';
import { PostgresBackupReplication } from './postgres-backup-replication';
import { PostgresDatabase } from './postgres-database';
import { RedisCache } from './redis-cache';
import { dataInputs } from './data-inputs';
import { dataOutputs } from './data-outputs';
import { dataPodIdentityRoles } from './data-pod-identity-roles';
import { ALERTING_SECRET_KEYS, dataSecretNames } from './secret-names';
import { PrivateBucket } from '../lib/private-bucket';

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

    const inputs = dataInputs(this);

    const secretNames = dataSecretNames(this.project.stringValue, this.environment.stringValue);
    const encryption = new DataEncryptionKey(this, 'data', {
      namePrefix: this.namePrefix,
      region,
      deletionWindowDays: inputs.kmsDeletionWindow.numberValue,
    });
    const alarmTopic = new AlarmTopic(this, 'alarms', {
      namePrefix: this.namePrefix,
      partition: encryption.partition,
      accountId: encryption.accountId,
      region,
      enabled: Op.lt(Fn.lengthOf(inputs.alarmTopicOverride.stringValue), 1),
      emailAddresses: inputs.alarmEmailAddresses.listValue,
      keyDeletionWindowDays: inputs.kmsDeletionWindow.numberValue,
    });
    // one() is null when the override is set; coalesce() then keeps the override.
    const alarmTopicArn = Token.asString(
      `\${coalesce(${inputs.alarmTopicOverride.fqn}, one(${alarmTopic.topic.fqn}[*].arn))}`,
    );
    const alarmActions = [alarmTopicArn];
    const kmsKeyArn = encryption.key.arn;

    const postgres = new PostgresDatabase(this, 'postgres', {
      namePrefix: this.namePrefix,
      partition: encryption.partition,
      vpcId: inputs.vpcId.stringValue,
      subnetIds: inputs.dataSubnetIds.listValue,
      clientSecurityGroupId: inputs.nodeSecurityGroupId.stringValue,
      kmsKeyArn,
      engineVersion: inputs.dbEngineVersion.stringValue,
      instanceClass: inputs.dbInstanceClass.stringValue,
      allocatedStorageGb: inputs.dbAllocatedStorage.numberValue,
      maxAllocatedStorageGb: inputs.dbMaxAllocatedStorage.numberValue,
      databaseName: inputs.dbName.stringValue,
      username: inputs.dbUsername.stringValue,
      backupRetentionDays: inputs.dbBackupRetention.numberValue,
      multiAz: inputs.dbMultiAz.booleanValue,
      deletionProtection: Op.and(
        inputs.dbDeletionProtection.booleanValue,
        Op.not(inputs.decommission.booleanValue),
      ),
      skipFinalSnapshot: inputs.dbSkipFinalSnapshot.booleanValue,
      performanceInsightsRetentionDays: inputs.dbPerformanceInsightsRetention.numberValue,
      monitoringIntervalSeconds: inputs.dbMonitoringInterval.numberValue,
      logExports: inputs.dbLogExports.listValue,
      logRetentionDays: inputs.logRetention.numberValue,
      alarmActions,
      freeStorageAlarmBytes: inputs.dbFreeStorageAlarm.numberValue,
      cpuAlarmPercent: inputs.dbCpuAlarm.numberValue,
    });

    // The provider of the disaster-recovery region. Terraform configures it even when nothing
    // is created there, so with replication off it points at the primary region, never at "".
    const replicationEnabled = Op.gte(Fn.lengthOf(inputs.dbBackupReplicationRegion.stringValue), 1);
    const backupReplicaProvider = this.awsProviderIn(
      'backup_replica',
      Fn.conditional(replicationEnabled, inputs.dbBackupReplicationRegion.stringValue, region),
    );
    new PostgresBackupReplication(this, 'backup_replica', {
      namePrefix: this.namePrefix,
      partition: encryption.partition,
      accountId: encryption.accountId,
      provider: backupReplicaProvider,
      enabled: replicationEnabled,
      sourceDbInstanceArn: postgres.instance.arn,
      retentionDays: inputs.dbBackupReplicationRetention.numberValue,
      keyDeletionWindowDays: inputs.kmsDeletionWindow.numberValue,
    });

    const redis = new RedisCache(this, 'redis', {
      namePrefix: this.namePrefix,
      vpcId: inputs.vpcId.stringValue,
      subnetIds: inputs.dataSubnetIds.listValue,
      clientSecurityGroupId: inputs.nodeSecurityGroupId.stringValue,
      kmsKeyArn,
      engineVersion: inputs.redisEngineVersion.stringValue,
      nodeType: inputs.redisNodeType.stringValue,
      replicaCount: inputs.redisReplicaCount.numberValue,
      automaticFailover: inputs.redisAutomaticFailover.booleanValue,
      multiAz: inputs.redisMultiAz.booleanValue,
      snapshotRetentionDays: inputs.redisSnapshotRetention.numberValue,
      alarmActions,
      cpuAlarmPercent: inputs.redisCpuAlarm.numberValue,
      memoryAlarmPercent: inputs.redisMemoryAlarm.numberValue,
    });

    const destroyableBuckets = Op.or(
      inputs.bucketsForceDestroy.booleanValue,
      inputs.decommission.booleanValue,
    );
    // Bucket names are global: the account id keeps them unique across accounts.
    const loki = new PrivateBucket(this, 'loki', {
      bucketName: `${this.namePrefix}-loki-${encryption.accountId}`,
      kmsKeyArn,
      retentionDays: inputs.lokiRetention.numberValue,
      forceDestroy: destroyableBuckets,
    });
    const tempo = new PrivateBucket(this, 'tempo', {
      bucketName: `${this.namePrefix}-tempo-${encryption.accountId}`,
      kmsKeyArn,
      retentionDays: inputs.tempoRetention.numberValue,
      forceDestroy: destroyableBuckets,
    });

    // Alertmanager's Slack webhooks: the secret exists, its value never goes through Terraform
    // (no secret version here): the operator puts it with `aws secretsmanager put-secret-value`
    // (live/README.md), External Secrets syncs it into the monitoring namespace.
    const alertingSecret = new SecretsmanagerSecret(this, 'alerting_secret', {
      name: secretNames.alerting,
      description: `Alertmanager Slack webhooks (JSON keys: ${ALERTING_SECRET_KEYS.join(', ')}); value set by the operator, never by Terraform`,
      kmsKeyId: kmsKeyArn,
      recoveryWindowInDays: inputs.secretRecoveryWindow.numberValue,
    });

    const roles = dataPodIdentityRoles(this, {
      region,
      clusterName: inputs.clusterName,
      dbApiUsername: inputs.dbApiUsername,
      encryption,
      postgres,
      redis,
      alertingSecret,
      loki,
      tempo,
    });
    dataOutputs(this, {
      dbApiUsername: inputs.dbApiUsername,
      postgres,
      redis,
      loki,
      tempo,
      alertingSecret,
      alarmTopicArn,
      roles,
    });
  }
}
