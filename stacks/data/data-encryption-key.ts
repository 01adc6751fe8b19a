import { DataAwsCallerIdentity } from '@cdktf/provider-aws/lib/data-aws-caller-identity';
import {
  DataAwsIamPolicyDocument,
  type DataAwsIamPolicyDocumentStatement,
} from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';
import { DataAwsPartition } from '@cdktf/provider-aws/lib/data-aws-partition';
import { KmsAlias } from '@cdktf/provider-aws/lib/kms-alias';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import { Construct } from 'constructs';

export interface DataEncryptionKeyProps {
  /** `${project}-${environment}`. */
  readonly namePrefix: string;
  readonly region: string;
  readonly deletionWindowDays: number;
}

/**
 * KMS's default key policy statement: the account administers the key and IAM policies
 * decide who uses it. Every key of the data layer starts from it.
 */
export function accountAdministration(
  partition: string,
  accountId: string,
): DataAwsIamPolicyDocumentStatement {
  return {
    sid: 'AccountAdministration',
    actions: ['kms:*'],
    resources: ['*'],
    principals: [{ type: 'AWS', identifiers: [`arn:${partition}:iam::${accountId}:root`] }],
  };
}

/**
 * The customer managed KMS key of the data layer (RDS storage, Performance Insights,
 * the RDS and Redis secrets, Redis at rest, the Loki/Tempo buckets and the RDS log
 * groups). One key per environment keeps the blast radius at one environment while
 * costing one key; it rotates yearly.
 */
export class DataEncryptionKey extends Construct {
  readonly key: KmsKey;
  readonly accountId: string;
  readonly partition: string;

  constructor(scope: Construct, id: string, props: DataEncryptionKeyProps) {
    super(scope, id);
    const caller = new DataAwsCallerIdentity(this, 'caller');
    const partition = new DataAwsPartition(this, 'partition');
    this.accountId = caller.accountId;
    this.partition = partition.partition;

    // The account root statement is KMS's default policy (IAM policies decide);
    // CloudWatch Logs is a service principal, so it must be named in the key policy
    // to encrypt the RDS log groups, and only for log groups of this environment.
    const policy = new DataAwsIamPolicyDocument(this, 'policy', {
      statement: [
        accountAdministration(this.partition, this.accountId),
        {
          sid: 'CloudWatchLogsOfThisEnvironment',
          actions: [
            'kms:Encrypt*',
            'kms:Decrypt*',
            'kms:ReEncrypt*',
            'kms:GenerateDataKey*',
            'kms:Describe*',
          ],
          resources: ['*'],
          principals: [{ type: 'Service', identifiers: [`logs.${props.region}.amazonaws.com`] }],
          condition: [
            {
              test: 'ArnLike',
              variable: 'kms:EncryptionContext:aws:logs:arn',
              values: [
                `arn:${this.partition}:logs:${props.region}:${this.accountId}:log-group:/aws/rds/instance/${props.namePrefix}-*`,
              ],
            },
          ],
        },
      ],
    });

    this.key = new KmsKey(this, 'key', {
      description: `${props.namePrefix} data layer: RDS, ElastiCache, Secrets Manager, S3, logs`,
      enableKeyRotation: true,
      deletionWindowInDays: props.deletionWindowDays,
      policy: policy.json,
    });
    new KmsAlias(this, 'alias', {
      name: `alias/${props.namePrefix}-data`,
      targetKeyId: this.key.keyId,
    });
  }
}
