import type { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { FlowLog } from '@cdktf/provider-aws/lib/flow-log';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import type { Construct } from 'constructs';
import { encryptedLogGroup } from '../lib/encrypted-log-group';

interface VpcFlowLogsSettings {
  readonly vpcId: string;
  /** `<project>-<env>`: names the log group, its key alias and the role. */
  readonly namePrefix: string;
  readonly retentionInDays: number;
  readonly partition: string;
  readonly region: string;
  readonly accountId: string;
}

/**
 * Every packet decision of the VPC (ALL traffic, 60 s aggregation) in a KMS-encrypted
 * CloudWatch log group, written by a role that may only write to that group.
 */
export function vpcFlowLogs(
  scope: Construct,
  { vpcId, namePrefix, retentionInDays, partition, region, accountId }: VpcFlowLogsSettings,
): CloudwatchLogGroup {
  const logGroupName = `/aws/vpc/${namePrefix}/flow-logs`;
  const { logGroup } = encryptedLogGroup(scope, {
    ids: { key: 'flow_logs', alias: 'flow_logs_alias', logGroup: 'flow_logs_group' },
    keyDescription: `Encrypts the VPC flow logs of ${namePrefix}`,
    aliasName: `alias/${namePrefix}-flow-logs`,
    logGroupName,
    retentionInDays,
    partition,
    region,
    accountId,
  });
  const flowLogsRole = new IamRole(scope, 'flow_logs_role', {
    name: `${namePrefix}-vpc-flow-logs`,
    description: 'Lets VPC Flow Logs write to the flow log group of this VPC, nothing else',
    assumeRolePolicy: JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { Service: 'vpc-flow-logs.amazonaws.com' },
          Action: 'sts:AssumeRole',
          // Confused-deputy guard: only flow logs of this account may use the role.
          Condition: { StringEquals: { 'aws:SourceAccount': accountId } },
        },
      ],
    }),
  });
  new IamRolePolicy(scope, 'flow_logs_write', {
    name: 'write-flow-logs',
    role: flowLogsRole.id,
    policy: JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: [
            'logs:CreateLogStream',
            'logs:PutLogEvents',
            'logs:DescribeLogGroups',
            'logs:DescribeLogStreams',
          ],
          Resource: [logGroup.arn, `${logGroup.arn}:*`],
        },
      ],
    }),
  });
  new FlowLog(scope, 'flow_log', {
    vpcId,
    trafficType: 'ALL',
    logDestinationType: 'cloud-watch-logs',
    logDestination: logGroup.arn,
    iamRoleArn: flowLogsRole.arn,
    maxAggregationInterval: 60,
    tags: { Name: namePrefix },
  });

  return logGroup;
}
