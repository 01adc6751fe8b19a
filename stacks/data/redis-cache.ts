import { CloudwatchMetricAlarm } from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm';
import { ElasticacheReplicationGroup } from '@cdktf/provider-aws/lib/elasticache-replication-group';
import { ElasticacheSubnetGroup } from '@cdktf/provider-aws/lib/elasticache-subnet-group';
import { ElasticacheUser } from '@cdktf/provider-aws/lib/elasticache-user';
import { ElasticacheUserGroup } from '@cdktf/provider-aws/lib/elasticache-user-group';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import { VpcSecurityGroupIngressRule } from '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule';
import { Fn, type IResolvable, Op, TerraformIterator, Token } from 'cdktf';
import { Construct } from 'constructs';

export const REDIS_PORT = 6379;

/**
 * What the API's ElastiCache user may do: GET and SET (the idempotency replay cache), the
 * connection commands (AUTH, HELLO, PING, CLIENT SETINFO…) minus the dangerous ones, on its
 * key prefix only (REDIS_KEY_PREFIX, default `payflow:`). app/test/redis-iam.test.ts runs the
 * client against a redis-server with this same access string.
 */
export const API_REDIS_ACCESS_STRING = 'on ~payflow:* -@all +get +set +@connection -@dangerous';

export interface RedisCacheProps {
  /** `${project}-${environment}`. */
  readonly namePrefix: string;
  readonly vpcId: string;
  readonly subnetIds: string[];
  /** The only security group admitted on 6379 (the EKS nodes). */
  readonly clientSecurityGroupId: string;
  readonly kmsKeyArn: string;
  readonly engineVersion: string;
  readonly nodeType: string;
  /** Read replicas besides the primary (0 = a single node). */
  readonly replicaCount: number;
  readonly automaticFailover: boolean | IResolvable;
  readonly multiAz: boolean | IResolvable;
  readonly snapshotRetentionDays: number;
  readonly alarmActions: string[];
  readonly cpuAlarmPercent: number;
  readonly memoryAlarmPercent: number;
}

/**
 * ElastiCache for Redis (cluster mode disabled): TLS required in transit, encrypted at
 * rest with the data key, access through a user group whose only enabled user (the API's)
 * authenticates with IAM (no password or token anywhere), failover and Multi-AZ by input,
 * daily snapshots, alarms on engine CPU and memory of every node.
 */
export class RedisCache extends Construct {
  readonly replicationGroup: ElasticacheReplicationGroup;
  readonly securityGroup: SecurityGroup;
  /** The API's user: IAM authentication, its id is also its name (required for IAM). */
  readonly apiUser: ElasticacheUser;

  constructor(scope: Construct, id: string, props: RedisCacheProps) {
    super(scope, id);
    const identifier = `${props.namePrefix}-redis`;

    this.securityGroup = new SecurityGroup(this, 'security_group', {
      name: identifier,
      description: 'Redis: reachable only from the EKS nodes',
      vpcId: props.vpcId,
      tags: { Name: identifier },
    });
    new VpcSecurityGroupIngressRule(this, 'ingress_from_nodes', {
      securityGroupId: this.securityGroup.id,
      description: 'Redis (TLS) from the EKS nodes',
      ipProtocol: 'tcp',
      fromPort: REDIS_PORT,
      toPort: REDIS_PORT,
      referencedSecurityGroupId: props.clientSecurityGroupId,
    });

    const subnetGroup = new ElasticacheSubnetGroup(this, 'subnet_group', {
      name: identifier,
      description: 'Redis in the isolated data subnets',
      subnetIds: props.subnetIds,
    });

    // Every user group must hold a user named "default", the identity of a connection that has
    // not authenticated: this one is switched off and may run nothing.
    const defaultUser = new ElasticacheUser(this, 'default_user', {
      userId: `${identifier}-default`,
      userName: 'default',
      engine: 'redis',
      accessString: 'off -@all',
      authenticationMode: { type: 'no-password-required' },
    });
    // IAM users need user id = user name. The token the API signs (SigV4, 15 minutes, pod
    // credentials) is checked by ElastiCache against the role's elasticache:Connect.
    this.apiUser = new ElasticacheUser(this, 'api_user', {
      userId: `${identifier}-api`,
      userName: `${identifier}-api`,
      engine: 'redis',
      accessString: API_REDIS_ACCESS_STRING,
      authenticationMode: { type: 'iam' },
    });
    const userGroup = new ElasticacheUserGroup(this, 'user_group', {
      userGroupId: identifier,
      engine: 'redis',
      userIds: [defaultUser.userId, this.apiUser.userId],
    });

    this.replicationGroup = new ElasticacheReplicationGroup(this, 'replication_group', {
      replicationGroupId: identifier,
      description: 'PayFlow Redis (idempotency keys, cache)',
      engine: 'redis',
      engineVersion: props.engineVersion,
      nodeType: props.nodeType,
      port: REDIS_PORT,
      numCacheClusters: Token.asNumber(Op.add(props.replicaCount, 1)),
      automaticFailoverEnabled: props.automaticFailover,
      multiAzEnabled: props.multiAz,
      subnetGroupName: subnetGroup.name,
      securityGroupIds: [this.securityGroup.id],
      atRestEncryptionEnabled: 'true',
      kmsKeyId: props.kmsKeyArn,
      transitEncryptionEnabled: true,
      transitEncryptionMode: 'required',
      // Role-based access control instead of an AUTH token: no secret in Terraform state.
      userGroupIds: [userGroup.userGroupId],
      autoMinorVersionUpgrade: 'true',
      snapshotRetentionLimit: props.snapshotRetentionDays,
      snapshotWindow: '01:00-02:00',
      maintenanceWindow: 'sun:04:30-sun:05:30',
      applyImmediately: false,
    });

    // Member clusters are named <replication group id>-001, -002, …; deriving the suffixes
    // from the input keeps the for_each keys known at plan time.
    const nodes = TerraformIterator.fromList(
      Fn.formatlist('%03d', [Fn.range(1, Op.add(props.replicaCount, 2))]),
    );
    const nodeId = `${identifier}-${nodes.value}`;
    new CloudwatchMetricAlarm(this, 'cpu_alarm', {
      forEach: nodes,
      alarmName: `${nodeId}-engine-cpu-high`,
      alarmDescription:
        'Redis engine CPU has stayed high for 15 minutes (Redis is single-threaded)',
      namespace: 'AWS/ElastiCache',
      metricName: 'EngineCPUUtilization',
      dimensions: { CacheClusterId: nodeId },
      statistic: 'Average',
      period: 300,
      evaluationPeriods: 3,
      comparisonOperator: 'GreaterThanThreshold',
      threshold: props.cpuAlarmPercent,
      alarmActions: props.alarmActions,
      okActions: props.alarmActions,
      dependsOn: [this.replicationGroup],
    });
    new CloudwatchMetricAlarm(this, 'memory_alarm', {
      forEach: nodes,
      alarmName: `${nodeId}-memory-high`,
      alarmDescription: 'Redis memory use is high: keys will be evicted or writes refused',
      namespace: 'AWS/ElastiCache',
      metricName: 'DatabaseMemoryUsagePercentage',
      dimensions: { CacheClusterId: nodeId },
      statistic: 'Average',
      period: 300,
      evaluationPeriods: 2,
      comparisonOperator: 'GreaterThanThreshold',
      threshold: props.memoryAlarmPercent,
      alarmActions: props.alarmActions,
      okActions: props.alarmActions,
      dependsOn: [this.replicationGroup],
    });
  }
}
