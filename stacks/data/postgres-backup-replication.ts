import { DataAwsIamPolicyDocument } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';
import { DbInstanceAutomatedBackupsReplication } from '@cdktf/provider-aws/lib/db-instance-automated-backups-replication';
import { KmsAlias } from '@cdktf/provider-aws/lib/kms-alias';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import type { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { Fn, type IResolvable, Token } from 'cdktf';
import { Construct } from 'constructs';
import { instance } from '../lib/references';
import { accountAdministration } from './data-encryption-key';

export interface PostgresBackupReplicationProps {
  /** `${project}-${environment}`. */
  readonly namePrefix: string;
  readonly partition: string;
  readonly accountId: string;
  /** The AWS provider of the disaster-recovery region: the key and the replication live there. */
  readonly provider: AwsProvider;
  /** Condition that turns the replication on, e.g. `length(var.x) >= 1`. */
  readonly enabled: IResolvable;
  /** ARN of the RDS instance whose automated backups are replicated. */
  readonly sourceDbInstanceArn: string;
  readonly retentionDays: number;
  readonly keyDeletionWindowDays: number;
}

/**
 * RDS automated backup replication: RDS copies every snapshot and every transaction log of the
 * instance to a second region as soon as they exist, so a point-in-time restore works there
 * when the primary region is lost. The copies are encrypted with their own customer managed key
 * in that region (a KMS key never leaves its region); everything is created only when `enabled`.
 */
export class PostgresBackupReplication extends Construct {
  readonly key: KmsKey;
  readonly replication: DbInstanceAutomatedBackupsReplication;

  constructor(scope: Construct, id: string, props: PostgresBackupReplicationProps) {
    super(scope, id);
    const count = Token.asNumber(Fn.conditional(props.enabled, 1, 0));

    // A policy document is not regional: it is read through the default provider, uncounted,
    // so that the policy controls read it like every other key policy.
    const policy = new DataAwsIamPolicyDocument(this, 'key_policy', {
      statement: [accountAdministration(props.partition, props.accountId)],
    });
    this.key = new KmsKey(this, 'key', {
      provider: props.provider,
      count,
      description: `${props.namePrefix} data layer: replicated RDS automated backups`,
      enableKeyRotation: true,
      deletionWindowInDays: props.keyDeletionWindowDays,
      policy: policy.json,
    });
    // Not `alias/<prefix>-data`: a rebuild of the environment in this region creates that one.
    new KmsAlias(this, 'key_alias', {
      provider: props.provider,
      count,
      name: `alias/${props.namePrefix}-data-backup-replica`,
      targetKeyId: instance(this.key, 'count.index', 'key_id'),
    });
    this.replication = new DbInstanceAutomatedBackupsReplication(this, 'postgres', {
      provider: props.provider,
      count,
      sourceDbInstanceArn: props.sourceDbInstanceArn,
      kmsKeyId: instance(this.key, 'count.index', 'arn'),
      retentionPeriod: props.retentionDays,
    });
  }
}
