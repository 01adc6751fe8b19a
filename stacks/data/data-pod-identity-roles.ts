import type { SecretsmanagerSecret } from '@cdktf/provider-aws/lib/secretsmanager-secret';
import type { TerraformVariable } from 'cdktf';
import { API_SERVICE_ACCOUNT } from '../app/app-stack';
import { APP_NAMESPACE, MONITORING_NAMESPACE } from '../lib/kubernetes-names';
import type { ModuleStack } from '../lib/module-stack';
import { type PolicyDocument, PodIdentityRole } from '../lib/pod-identity-role';
import type { PrivateBucket } from '../lib/private-bucket';
import type { DataEncryptionKey } from './data-encryption-key';
import type { PostgresDatabase } from './postgres-database';
import type { RedisCache } from './redis-cache';

interface DataLayer {
  region: string;
  clusterName: TerraformVariable;
  dbApiUsername: TerraformVariable;
  encryption: DataEncryptionKey;
  postgres: PostgresDatabase;
  redis: RedisCache;
  alertingSecret: SecretsmanagerSecret;
  loki: PrivateBucket;
  tempo: PrivateBucket;
}

/** The Pod Identity roles of what reads the data layer: the API, external-secrets, Loki, Tempo. */
export function dataPodIdentityRoles(
  stack: ModuleStack,
  {
    region,
    clusterName,
    dbApiUsername,
    encryption,
    postgres,
    redis,
    alertingSecret,
    loki,
    tempo,
  }: DataLayer,
) {
  const kmsKeyArn = encryption.key.arn;
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
  const api = new PodIdentityRole(stack, 'api', {
    ...podIdentity,
    roleName: `${stack.namePrefix}-api`,
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
  const externalSecrets = new PodIdentityRole(stack, 'external_secrets', {
    ...podIdentity,
    roleName: `${stack.namePrefix}-external-secrets`,
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
  const lokiRole = new PodIdentityRole(stack, 'loki_access', {
    ...podIdentity,
    roleName: `${stack.namePrefix}-loki`,
    description: 'Loki stores log chunks and indexes in its bucket',
    namespace: MONITORING_NAMESPACE,
    serviceAccount: 'loki',
    policy: bucketAccess(loki),
  });
  const tempoRole = new PodIdentityRole(stack, 'tempo_access', {
    ...podIdentity,
    roleName: `${stack.namePrefix}-tempo`,
    description: 'Tempo stores trace blocks in its bucket',
    namespace: MONITORING_NAMESPACE,
    serviceAccount: 'tempo',
    policy: bucketAccess(tempo),
  });

  return { api, externalSecrets, lokiRole, tempoRole };
}
