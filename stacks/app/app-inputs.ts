import { DNS_NAME_PATTERN, Input, Rule } from '../lib/inputs';
import { loadBalancerGroupInput, MONITORING_NAMESPACE } from '../lib/kubernetes-names';
import { AWS_REGION_PATTERN, type ModuleStack } from '../lib/module-stack';

const HOSTNAME = `^${DNS_NAME_PATTERN}$`;
const SECRET_ARN =
  '^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:[A-Za-z0-9/_+=.@!-]+$';
const CPU = '^([0-9]+m|[0-9]+(\\.[0-9]+)?)$';
const MEMORY = '^[0-9]+(Ki|Mi|Gi)$';

/** Every input of the app module (variables.tf), in the order of its README. */
export function appInputs(stack: ModuleStack) {
  const str = (name: string, description: string, regex?: [string, string], def?: string) =>
    Input.string(stack, name, {
      description,
      ...(def === undefined ? {} : { default: def }),
      ...(regex ? { validation: [Rule.matches(regex[0], regex[1])] } : {}),
    });
  const num = (name: string, description: string, def: number, min: number, max: number) =>
    Input.number(stack, name, { description, default: def, validation: [Rule.between(min, max)] });
  return {
    imageRepository: str(
      'image_repository',
      'Container image repository of the API (shared module output `ecr_repository_url`).',
      [
        '^[a-z0-9.-]+(:[0-9]+)?(/[a-z0-9._-]+)+$',
        'an image repository such as 123456789012.dkr.ecr.eu-west-3.amazonaws.com/payflow-api',
      ],
    ),
    imageTag: str('image_tag', 'Image tag to deploy (the git SHA the pipeline built).', [
      '^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$',
      'a container image tag',
    ]),
    logLevel: Input.string(stack, 'log_level', {
      description: 'LOG_LEVEL of the API.',
      default: 'info',
      validation: [Rule.oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace'])],
    }),
    traceSampleRatio: num(
      'trace_sample_ratio',
      "TRACE_SAMPLE_RATIO of the API: share (0 to 1) of new traces recorded (parent-based: a caller's sampled traceparent is always traced). 1 traces every request; 0.1, production's value, keeps one in ten and cuts what tracing costs every request. Log lines carry a trace id either way.",
      1,
      0,
      1,
    ),
    // At least 2: the chart's PodDisruptionBudget keeps one pod available, so a single pod
    // could never be evicted and would block node drains, upgrades and autoscaler scale-down.
    minReplicas: num(
      'min_replicas',
      'Fewest API pods (HPA minimum). At least 2: the PodDisruptionBudget keeps 1 available, so a single pod would block node drains.',
      2,
      2,
      20,
    ),
    maxReplicas: Input.number(stack, 'max_replicas', {
      description: 'Most API pods (HPA maximum, scaling at 70 % CPU).',
      default: 10,
      validation: [
        Rule.between(2, 50),
        Rule.custom((v) => `${v} >= var.min_replicas`, 'Must be at least min_replicas.'),
      ],
    }),
    cpuRequest: str(
      'cpu_request',
      'CPU request of an API pod.',
      [CPU, 'a CPU quantity such as 100m'],
      '100m',
    ),
    memoryRequest: str(
      'memory_request',
      'Memory request of an API pod.',
      [MEMORY, 'a memory quantity such as 128Mi'],
      '128Mi',
    ),
    cpuLimit: str(
      'cpu_limit',
      'CPU limit of an API pod.',
      [CPU, 'a CPU quantity such as 500m'],
      '500m',
    ),
    memoryLimit: str(
      'memory_limit',
      'Memory limit of an API pod.',
      [MEMORY, 'a memory quantity such as 256Mi'],
      '256Mi',
    ),
    zoneSpread: Input.string(stack, 'zone_spread_policy', {
      description:
        'DoNotSchedule refuses to stack API pods in one availability zone (production); ScheduleAnyway only prefers spreading.',
      default: 'ScheduleAnyway',
      validation: [Rule.oneOf(['DoNotSchedule', 'ScheduleAnyway'])],
    }),
    // The load balancer's settings: edge outputs (stacks/edge), the same on Grafana's Ingress.
    apiHostname: Input.string(stack, 'api_hostname', {
      description:
        'Public hostname of the API (edge output `api_hostname`), e.g. api.staging.example.com; "" ' +
        "without a DNS zone: the Ingress answers any name, i.e. the load balancer's own.",
    }),
    certificateArn: Input.string(stack, 'certificate_arn', {
      description:
        'ACM certificate of api_hostname (edge output `certificate_arn`): HTTPS listener, HTTP ' +
        'redirected to it. "": plain HTTP only (development without a DNS zone).',
      validation: [
        Rule.outsideDevelopment(
          (v) => `${v} != ""`,
          'Staging and production serve the API over HTTPS only: certificate_arn is required.',
        ),
        Rule.custom(
          (v) => `${v} == "" || var.api_hostname != ""`,
          'A certificate needs api_hostname, the name it covers.',
        ),
      ],
    }),
    tlsPolicy: str(
      'tls_policy',
      'Security policy of the HTTPS listener (edge output `tls_policy`).',
      undefined,
      'ELBSecurityPolicy-TLS13-1-2-2021-06',
    ),
    loadBalancerAttributes: str(
      'load_balancer_attributes',
      'The load balancer attributes annotation (edge output `load_balancer_attributes`): deletion protection, access logs.',
    ),
    webAclArn: str(
      'web_acl_arn',
      'AWS WAF web ACL of the load balancer (edge output `web_acl_arn`); "": none.',
      undefined,
      '',
    ),
    albGroupName: loadBalancerGroupInput(
      stack,
      'ALB group: Ingresses with the same group share one load balancer.',
    ),
    dbAddress: str('db_address', 'PostgreSQL hostname (data module output `db_address`).', [
      HOSTNAME,
      'a DNS name',
    ]),
    dbPort: num('db_port', 'PostgreSQL port (data module output `db_port`).', 5432, 1, 65535),
    dbName: str('db_name', 'Database name (data module output `db_name`).', [
      '^[A-Za-z_][A-Za-z0-9_]{0,62}$',
      'a PostgreSQL identifier',
    ]),
    dbUsername: str(
      'db_username',
      'Master user, for the migrations Job only (data module output `db_username`).',
      ['^[A-Za-z_][A-Za-z0-9_]{0,62}$', 'a PostgreSQL identifier'],
    ),
    dbApiUsername: Input.string(stack, 'db_api_username', {
      description:
        "The API's own database role (data module output `db_api_username`): the migrations Job creates it, the API logs in as it with IAM tokens.",
      validation: [
        Rule.matches('^[a-z_][a-z0-9_]{0,62}$', 'a lowercase PostgreSQL identifier'),
        Rule.custom(
          (v) => `${v} != var.db_username`,
          'Must differ from db_username: the API never uses the master user.',
        ),
      ],
    }),
    dbSecret: str(
      'db_master_secret_arn',
      'Secrets Manager ARN of the RDS master user secret (data module output `db_master_secret_arn`); only the ARN, never the password.',
      [SECRET_ARN, 'a Secrets Manager secret ARN'],
    ),
    redisHost: str(
      'redis_primary_endpoint',
      'Redis primary endpoint (data module output `redis_primary_endpoint`).',
      [HOSTNAME, 'a DNS name'],
    ),
    redisPort: num('redis_port', 'Redis port (data module output `redis_port`).', 6379, 1, 65535),
    redisUsername: str(
      'redis_api_username',
      "The API's ElastiCache user, IAM authentication (data module output `redis_api_username`).",
      ['^[a-z][a-z0-9-]{0,39}$', 'an ElastiCache user id'],
    ),
    redisReplicationGroupId: str(
      'redis_replication_group_id',
      'Replication group the API signs its Redis IAM tokens for (data module output `redis_replication_group_id`).',
      ['^[a-z][a-z0-9-]{0,39}$', 'an ElastiCache replication group id'],
    ),
    awsRegion: str(
      'aws_region',
      'Region of the database layer (env.hcl `region`): the IAM tokens of the API are signed for it.',
      [AWS_REGION_PATTERN, 'an AWS region such as eu-west-3'],
    ),
    seedDemoUsers: Input.bool(stack, 'seed_demo_users', {
      description:
        'Insert the six demo users of the SRE brief (GET /users) with the migrations: development only, refused in production.',
      default: false,
      validation: [
        Rule.custom(
          (v) => `var.environment != "production" || !${v}`,
          'Demo users never go to production.',
        ),
      ],
    }),
    secretStore: str(
      'cluster_secret_store_name',
      'ClusterSecretStore reading Secrets Manager (platform module output `cluster_secret_store_name`).',
      ['^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$', 'a Kubernetes object name'],
    ),
    monitoringNamespace: str(
      'monitoring_namespace',
      'Namespace of Prometheus and Tempo (platform module output `monitoring_namespace`).',
      ['^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$', 'a namespace name'],
      MONITORING_NAMESPACE,
    ),
    publicSubnetCidrs: Input.stringList(stack, 'public_subnet_cidr_blocks', {
      description:
        'CIDRs of the public subnets (network module output `public_subnet_cidr_blocks`): the ALB (target type ip) reaches the pods from its addresses there; the only sources admitted on the container port besides Prometheus.',
      validation: [Rule.lengthBetween(1, 6), Rule.eachCidr()],
    }),
    dataSubnetCidrs: Input.stringList(stack, 'data_subnet_cidr_blocks', {
      description:
        'CIDRs of the data subnets (RDS, ElastiCache): the only egress targets on 5432/6379.',
      validation: [Rule.lengthBetween(1, 6), Rule.eachCidr()],
    }),
    serviceAccountAnnotations: Input.stringMap(stack, 'service_account_annotations', {
      description:
        'Annotations of the API service account. None needed: its AWS access (IAM tokens for PostgreSQL and Redis) comes through EKS Pod Identity (data module output `api_role_arn`).',
      default: {},
    }),
  };
}
