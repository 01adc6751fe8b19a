import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { KmsAlias } from '@cdktf/provider-aws/lib/kms-alias';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import type { Construct } from 'constructs';

export interface EncryptedLogGroupProps {
  /** Terraform ids of the three resources, kept as they are in the states already applied. */
  readonly ids: { readonly key: string; readonly alias: string; readonly logGroup: string };
  readonly keyDescription: string;
  /** e.g. `alias/payflow-staging-eks`. */
  readonly aliasName: string;
  readonly logGroupName: string;
  readonly retentionInDays: number;
  readonly partition: string;
  readonly region: string;
  readonly accountId: string;
}

export interface EncryptedLogGroup {
  readonly key: KmsKey;
  readonly logGroup: CloudwatchLogGroup;
}

/**
 * A CloudWatch log group encrypted with its own rotated KMS key. The key policy delegates
 * administration to the account's IAM and lets CloudWatch Logs use the key for this one log
 * group only (encryption context). Created in `scope` itself, under the given ids, so the
 * resources keep their Terraform addresses (`aws_kms_key.cluster`, not `…_key`).
 */
export function encryptedLogGroup(
  scope: Construct,
  props: EncryptedLogGroupProps,
): EncryptedLogGroup {
  const logGroupArn = `arn:${props.partition}:logs:${props.region}:${props.accountId}:log-group:${props.logGroupName}`;
  const key = new KmsKey(scope, props.ids.key, {
    description: props.keyDescription,
    enableKeyRotation: true,
    deletionWindowInDays: 30,
    policy: JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        {
          // Delegates to IAM: who may use the key beyond this log group is said by IAM policies.
          Sid: 'AccountAdministersTheKey',
          Effect: 'Allow',
          Principal: { AWS: `arn:${props.partition}:iam::${props.accountId}:root` },
          Action: 'kms:*',
          Resource: '*',
        },
        {
          Sid: 'CloudWatchLogsUsesTheKeyForThisLogGroupOnly',
          Effect: 'Allow',
          Principal: { Service: `logs.${props.region}.amazonaws.com` },
          Action: [
            'kms:Encrypt*',
            'kms:Decrypt*',
            'kms:ReEncrypt*',
            'kms:GenerateDataKey*',
            'kms:Describe*',
          ],
          Resource: '*',
          Condition: { ArnEquals: { 'kms:EncryptionContext:aws:logs:arn': logGroupArn } },
        },
      ],
    }),
  });
  new KmsAlias(scope, props.ids.alias, { name: props.aliasName, targetKeyId: key.keyId });
  const logGroup = new CloudwatchLogGroup(scope, props.ids.logGroup, {
    name: props.logGroupName,
    retentionInDays: props.retentionInDays,
    kmsKeyId: key.arn,
  });
  return { key, logGroup };
}
