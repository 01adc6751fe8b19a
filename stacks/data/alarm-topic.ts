import { DataAwsIamPolicyDocument } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';
import { KmsAlias } from '@cdktf/provider-aws/lib/kms-alias';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import { SnsTopic } from '@cdktf/provider-aws/lib/sns-topic';
import { SnsTopicPolicy } from '@cdktf/provider-aws/lib/sns-topic-policy';
import { SnsTopicSubscription } from '@cdktf/provider-aws/lib/sns-topic-subscription';
import { Fn, type IResolvable, TerraformIterator, Token } from 'cdktf';
import { Construct } from 'constructs';
import { instance } from '../lib/references';
import { accountAdministration } from './data-encryption-key';

/** The service principal that publishes CloudWatch alarm notifications. */
export const CLOUDWATCH_ALARMS_PRINCIPAL = 'cloudwatch.amazonaws.com';

export interface AlarmTopicProps {
  /** `${project}-${environment}`: the topic is `<namePrefix>-data-alarms`. */
  readonly namePrefix: string;
  readonly partition: string;
  readonly accountId: string;
  readonly region: string;
  /** Condition that creates the topic, its key and subscriptions (false: another topic is used). */
  readonly enabled: IResolvable;
  /** E-mail addresses subscribed to the topic (each confirms by e-mail). */
  readonly emailAddresses: string[];
  readonly keyDeletionWindowDays: number;
}

/**
 * The SNS topic the data layer's CloudWatch alarms notify, encrypted with a key of its own, with
 * one e-mail subscription per address. Only CloudWatch alarms of this account whose name starts
 * with the environment's prefix may publish to it.
 */
export class AlarmTopic extends Construct {
  readonly key: KmsKey;
  readonly topic: SnsTopic;

  constructor(scope: Construct, id: string, props: AlarmTopicProps) {
    super(scope, id);
    const count = Token.asNumber(Fn.conditional(props.enabled, 1, 0));
    const topicName = `${props.namePrefix}-data-alarms`;
    // Built from its parts rather than read from the topic: the policy document stays
    // uncounted (the policy controls read it like every other policy) and known at plan time.
    const topicArn = `arn:${props.partition}:sns:${props.region}:${props.accountId}:${topicName}`;
    const alarmArns = `arn:${props.partition}:cloudwatch:${props.region}:${props.accountId}:alarm:${props.namePrefix}-*`;

    // A key of its own rather than the data key: CloudWatch needs kms:Decrypt on it, and the
    // data key protects the database. CloudWatch calls KMS itself when it publishes, and the
    // account statement does not cover service principals: without the second statement every
    // notification is dropped (only the alarm history says so). No aws:Source* condition here:
    // the key encrypts nothing but this topic, the topic policy below decides who publishes,
    // and a condition key absent from CloudWatch's KMS request would drop notifications silently.
    const keyPolicy = new DataAwsIamPolicyDocument(this, 'key_policy', {
      statement: [
        accountAdministration(props.partition, props.accountId),
        {
          sid: 'CloudWatchAlarmsEncryptNotifications',
          actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          resources: ['*'],
          principals: [{ type: 'Service', identifiers: [CLOUDWATCH_ALARMS_PRINCIPAL] }],
        },
      ],
    });
    this.key = new KmsKey(this, 'key', {
      count,
      description: `${props.namePrefix} data layer: SNS topic of the CloudWatch alarms`,
      enableKeyRotation: true,
      deletionWindowInDays: props.keyDeletionWindowDays,
      policy: keyPolicy.json,
    });
    new KmsAlias(this, 'key_alias', {
      count,
      name: `alias/${topicName}`,
      targetKeyId: instance(this.key, 'count.index', 'key_id'),
    });

    this.topic = new SnsTopic(this, 'topic', {
      count,
      name: topicName,
      displayName: `${props.namePrefix} data alarms`,
      kmsMasterKeyId: instance(this.key, 'count.index', 'arn'),
    });
    // Confused-deputy protection: CloudWatch publishes on behalf of any account, so the
    // account and the alarm names are pinned.
    const topicPolicy = new DataAwsIamPolicyDocument(this, 'topic_policy_document', {
      statement: [
        {
          sid: 'CloudWatchAlarmsOfThisAccount',
          actions: ['sns:Publish'],
          resources: [topicArn],
          principals: [{ type: 'Service', identifiers: [CLOUDWATCH_ALARMS_PRINCIPAL] }],
          condition: [
            { test: 'StringEquals', variable: 'aws:SourceAccount', values: [props.accountId] },
            { test: 'ArnLike', variable: 'aws:SourceArn', values: [alarmArns] },
          ],
        },
      ],
    });
    new SnsTopicPolicy(this, 'topic_policy', {
      count,
      arn: instance(this.topic, 'count.index', 'arn'),
      policy: topicPolicy.json,
    });

    // Keyed by address: removing one address removes only its subscription. SNS sends each
    // address a confirmation e-mail; nothing is delivered until its link is clicked.
    const addresses = TerraformIterator.fromList(props.emailAddresses);
    new SnsTopicSubscription(this, 'email', {
      forEach: addresses,
      topicArn: instance(this.topic, '0', 'arn'),
      protocol: 'email',
      endpoint: addresses.value,
    });
  }
}
