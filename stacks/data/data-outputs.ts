import type { SecretsmanagerSecret } from '@cdktf/provider-aws/lib/secretsmanager-secret';
import type { TerraformVariable } from 'cdktf';
import type { ModuleStack } from '../lib/module-stack';
import type { PrivateBucket } from '../lib/private-bucket';
import { ALERTING_SECRET_KEYS } from './secret-names';
import type { dataPodIdentityRoles } from './data-pod-identity-roles';
import type { PostgresDatabase } from './postgres-database';
import type { RedisCache } from './redis-cache';

interface DataLayer {
  dbApiUsername: TerraformVariable;
  postgres: PostgresDatabase;
  redis: RedisCache;
  loki: PrivateBucket;
  tempo: PrivateBucket;
  alertingSecret: SecretsmanagerSecret;
  alarmTopicArn: string;
  roles: ReturnType<typeof dataPodIdentityRoles>;
}

/** The data module's outputs (outputs.tf): the contract the app, platform and live layers read. */
export function dataOutputs(
  stack: ModuleStack,
  { dbApiUsername, postgres, redis, loki, tempo, alertingSecret, alarmTopicArn, roles }: DataLayer,
): void {
  const { api, externalSecrets, lokiRole, tempoRole } = roles;
  stack.output('db_address', {
    value: postgres.instance.address,
    description: 'Host name of the PostgreSQL instance (private DNS, TLS required).',
  });
  stack.output('db_port', {
    value: postgres.instance.port,
    description: 'PostgreSQL port (5432).',
  });
  stack.output('db_name', {
    value: postgres.instance.dbName,
    description: 'Application database name.',
  });
  stack.output('db_username', {
    value: postgres.instance.username,
    description: 'Master user name; its password is in the secret `db_master_secret_arn`.',
  });
  stack.output('db_api_username', {
    value: dbApiUsername.stringValue,
    description:
      "The API's database role: IAM authentication only (app input `db_api_username`), created by the migrations Job.",
  });
  stack.output('api_role_arn', {
    value: api.role.arn,
    description:
      'Role of payflow/payflow (Pod Identity): rds-db:connect as db_api_username and elasticache:Connect as redis_api_username, nothing else.',
  });
  stack.output('db_master_secret_arn', {
    value: postgres.masterSecretArn,
    description:
      'Secrets Manager secret (JSON with `username` and `password`) that RDS manages and rotates for the master user.',
  });
  stack.output('redis_primary_endpoint', {
    value: redis.replicationGroup.primaryEndpointAddress,
    description:
      'Host name of the Redis primary; connect with TLS (`rediss://`) as redis_api_username with an IAM token.',
  });
  stack.output('redis_replication_group_id', {
    value: redis.replicationGroup.replicationGroupId,
    description:
      'Replication group id: what the API signs its IAM tokens for (REDIS_IAM_CACHE_NAME).',
  });
  stack.output('redis_api_username', {
    value: redis.apiUser.userName,
    description: "The API's ElastiCache user (IAM authentication, no password).",
  });
  stack.output('redis_port', {
    value: redis.replicationGroup.port,
    description: 'Redis port (6379).',
  });
  stack.output('loki_bucket_name', {
    value: loki.bucket.bucket,
    description: 'S3 bucket of Loki chunks.',
  });
  stack.output('tempo_bucket_name', {
    value: tempo.bucket.bucket,
    description: 'S3 bucket of Tempo traces.',
  });
  stack.output('external_secrets_role_arn', {
    value: externalSecrets.role.arn,
    description:
      'Role of external-secrets/external-secrets (Pod Identity): reads the RDS master secret (for the migrations Job) and the alerting secret.',
  });
  stack.output('alerting_secret_name', {
    value: alertingSecret.name,
    description: `Secrets Manager secret of the Alertmanager Slack webhooks (platform input \`alerting_secret_name\`); JSON keys ${ALERTING_SECRET_KEYS.map((k) => `\`${k}\``).join(', ')}, value set with \`aws secretsmanager put-secret-value\` (live/README.md).`,
  });
  stack.output('alarm_topic_arn', {
    value: alarmTopicArn,
    description:
      "SNS topic the CloudWatch alarms of this layer notify (alarm and OK): the module's `<project>-<environment>-data-alarms`, or alarm_sns_topic_arn when set.",
  });
  stack.output('loki_role_arn', {
    value: lokiRole.role.arn,
    description: 'Role of monitoring/loki (Pod Identity): reads and writes the Loki bucket only.',
  });
  stack.output('tempo_role_arn', {
    value: tempoRole.role.arn,
    description: 'Role of monitoring/tempo (Pod Identity): reads and writes the Tempo bucket only.',
  });
}
