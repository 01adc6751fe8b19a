import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { CloudwatchMetricAlarm } from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm';
import { DataAwsIamPolicyDocument } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';
import { DbInstance } from '@cdktf/provider-aws/lib/db-instance';
import { DbParameterGroup } from '@cdktf/provider-aws/lib/db-parameter-group';
import { DbSubnetGroup } from '@cdktf/provider-aws/lib/db-subnet-group';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicyAttachment } from '@cdktf/provider-aws/lib/iam-role-policy-attachment';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import { VpcSecurityGroupIngressRule } from '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule';
import { Fn, type IResolvable, Op, TerraformIterator, Token } from 'cdktf';
import { Construct } from 'constructs';

export const POSTGRES_PORT = 5432;

export interface PostgresDatabaseProps {
  /** `${project}-${environment}`. */
  readonly namePrefix: string;
  readonly partition: string;
  readonly vpcId: string;
  readonly subnetIds: string[];
  /** The only security group admitted on 5432 (the EKS nodes). */
  readonly clientSecurityGroupId: string;
  readonly kmsKeyArn: string;
  /** Major (`16`) or full (`16.4`) PostgreSQL version. */
  readonly engineVersion: string;
  readonly instanceClass: string;
  readonly allocatedStorageGb: number;
  readonly maxAllocatedStorageGb: number;
  readonly databaseName: string;
  readonly username: string;
  readonly backupRetentionDays: number;
  readonly multiAz: boolean | IResolvable;
  readonly deletionProtection: boolean | IResolvable;
  readonly skipFinalSnapshot: boolean | IResolvable;
  readonly performanceInsightsRetentionDays: number;
  /** 0 disables enhanced monitoring (and its IAM role). */
  readonly monitoringIntervalSeconds: number;
  readonly logExports: string[];
  readonly logRetentionDays: number;
  readonly alarmActions: string[];
  readonly freeStorageAlarmBytes: number;
  readonly cpuAlarmPercent: number;
}

/**
 * RDS for PostgreSQL: encrypted with the data key, private, in the data subnets, its
 * master password generated and rotated by RDS in Secrets Manager (never in Terraform
 * state), TLS forced by the parameter group, and alarms on free storage and CPU.
 */
export class PostgresDatabase extends Construct {
  readonly instance: DbInstance;
  readonly securityGroup: SecurityGroup;
  readonly parameterGroup: DbParameterGroup;

  constructor(scope: Construct, id: string, props: PostgresDatabaseProps) {
    super(scope, id);
    const identifier = `${props.namePrefix}-postgres`;

    this.securityGroup = new SecurityGroup(this, 'security_group', {
      name: `${identifier}`,
      description: 'PostgreSQL: reachable only from the EKS nodes',
      vpcId: props.vpcId,
      tags: { Name: identifier },
    });
    // No egress rule: RDS answers on established connections and starts none itself.
    new VpcSecurityGroupIngressRule(this, 'ingress_from_nodes', {
      securityGroupId: this.securityGroup.id,
      description: 'PostgreSQL from the EKS nodes',
      ipProtocol: 'tcp',
      fromPort: POSTGRES_PORT,
      toPort: POSTGRES_PORT,
      referencedSecurityGroupId: props.clientSecurityGroupId,
    });

    const subnetGroup = new DbSubnetGroup(this, 'subnet_group', {
      name: identifier,
      description: 'PostgreSQL in the isolated data subnets',
      subnetIds: props.subnetIds,
    });

    const majorVersion = Fn.element(Fn.split('.', props.engineVersion), 0);
    this.parameterGroup = new DbParameterGroup(this, 'parameter_group', {
      namePrefix: `${identifier}-`,
      family: `postgres${majorVersion}`,
      description: 'PayFlow PostgreSQL: TLS required, slow statements logged',
      parameter: [
        { name: 'rds.force_ssl', value: '1', applyMethod: 'pending-reboot' },
        { name: 'log_min_duration_statement', value: '1000' },
      ],
      lifecycle: { createBeforeDestroy: true },
    });

    // Created before the instance so that RDS exports into log groups that have a
    // retention and are encrypted, instead of creating never-expiring ones itself.
    const logGroups = TerraformIterator.fromList(props.logExports);
    const logGroup = new CloudwatchLogGroup(this, 'log_group', {
      forEach: logGroups,
      name: `/aws/rds/instance/${identifier}/${logGroups.value}`,
      retentionInDays: props.logRetentionDays,
      kmsKeyId: props.kmsKeyArn,
    });

    const monitoringTrust = new DataAwsIamPolicyDocument(this, 'monitoring_trust', {
      statement: [
        {
          actions: ['sts:AssumeRole'],
          principals: [{ type: 'Service', identifiers: ['monitoring.rds.amazonaws.com'] }],
        },
      ],
    });
    const monitoringEnabled = Op.gte(props.monitoringIntervalSeconds, 1);
    const monitoringRole = new IamRole(this, 'monitoring_role', {
      count: Token.asNumber(Fn.conditional(monitoringEnabled, 1, 0)),
      name: `${identifier}-monitoring`,
      description: 'RDS enhanced monitoring publishes OS metrics to CloudWatch',
      assumeRolePolicy: monitoringTrust.json,
    });
    new IamRolePolicyAttachment(this, 'monitoring_policy', {
      count: Token.asNumber(Fn.conditional(monitoringEnabled, 1, 0)),
      role: Token.asString(`\${${monitoringRole.fqn}[0].name}`),
      policyArn: `arn:${props.partition}:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole`,
    });

    this.instance = new DbInstance(this, 'instance', {
      identifier,
      engine: 'postgres',
      engineVersion: props.engineVersion,
      autoMinorVersionUpgrade: true,
      instanceClass: props.instanceClass,
      allocatedStorage: props.allocatedStorageGb,
      maxAllocatedStorage: props.maxAllocatedStorageGb,
      storageType: 'gp3',
      storageEncrypted: true,
      kmsKeyId: props.kmsKeyArn,
      dbName: props.databaseName,
      username: props.username,
      manageMasterUserPassword: true,
      masterUserSecretKmsKeyId: props.kmsKeyArn,
      port: POSTGRES_PORT,
      dbSubnetGroupName: subnetGroup.name,
      vpcSecurityGroupIds: [this.securityGroup.id],
      publiclyAccessible: false,
      parameterGroupName: this.parameterGroup.name,
      multiAz: props.multiAz,
      backupRetentionPeriod: props.backupRetentionDays,
      backupWindow: '02:00-03:00',
      maintenanceWindow: 'sun:03:30-sun:04:30',
      copyTagsToSnapshot: true,
      deletionProtection: props.deletionProtection,
      skipFinalSnapshot: props.skipFinalSnapshot,
      // A fixed name would fail the second destroy of an environment (the snapshot of the first
      // one still exists). The instance's creation time makes it unique without a random
      // provider; ignore_changes keeps it from changing on every plan.
      finalSnapshotIdentifier: `${identifier}-final-\${formatdate("YYYYMMDD-hhmmss", timestamp())}`,
      performanceInsightsEnabled: true,
      performanceInsightsKmsKeyId: props.kmsKeyArn,
      performanceInsightsRetentionPeriod: props.performanceInsightsRetentionDays,
      monitoringInterval: props.monitoringIntervalSeconds,
      // one() of the splat: the role's ARN when it exists (count = 1), else null.
      monitoringRoleArn: Token.asString(`\${one(${monitoringRole.fqn}[*].arn)}`),
      enabledCloudwatchLogsExports: props.logExports,
      iamDatabaseAuthenticationEnabled: true,
      applyImmediately: false,
      dependsOn: [logGroup],
      lifecycle: { ignoreChanges: ['final_snapshot_identifier'] },
    });

    new CloudwatchMetricAlarm(this, 'free_storage_alarm', {
      alarmName: `${identifier}-free-storage-low`,
      alarmDescription:
        'PostgreSQL free storage is low: autoscaling is at its maximum or disk fills fast',
      namespace: 'AWS/RDS',
      metricName: 'FreeStorageSpace',
      dimensions: { DBInstanceIdentifier: this.instance.identifier },
      statistic: 'Minimum',
      period: 300,
      evaluationPeriods: 2,
      comparisonOperator: 'LessThanThreshold',
      threshold: props.freeStorageAlarmBytes,
      treatMissingData: 'breaching',
      alarmActions: props.alarmActions,
      okActions: props.alarmActions,
    });
    new CloudwatchMetricAlarm(this, 'cpu_alarm', {
      alarmName: `${identifier}-cpu-high`,
      alarmDescription: 'PostgreSQL CPU has stayed high for 15 minutes',
      namespace: 'AWS/RDS',
      metricName: 'CPUUtilization',
      dimensions: { DBInstanceIdentifier: this.instance.identifier },
      statistic: 'Average',
      period: 300,
      evaluationPeriods: 3,
      comparisonOperator: 'GreaterThanThreshold',
      threshold: props.cpuAlarmPercent,
      treatMissingData: 'missing',
      alarmActions: props.alarmActions,
      okActions: props.alarmActions,
    });
  }

  /** ARN of the Secrets Manager secret RDS created for the master password. */
  get masterSecretArn(): string {
    return this.instance.masterUserSecret.get(0).secretArn;
  }
}
