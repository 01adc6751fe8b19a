import { Release } from '@cdktf/provider-helm/lib/release';
import { NamespaceV1 } from '@cdktf/provider-kubernetes/lib/namespace-v1';
import { Fn, type TerraformVariable } from 'cdktf';
import type { Construct } from 'constructs';
import { ChartValuesSchema } from '../lib/chart-values-schema';
import { DNS_NAME_PATTERN, Input, Rule } from '../lib/inputs';
import { ModuleStack } from '../lib/module-stack';
import { PlanReaderSecretsAccess } from '../lib/plan-readers';
import { connectToCluster } from '../lib/cluster-connection';
import { type ApiSettings, apiChartValues } from './api-chart-values';

/** Names other layers and the runbooks rely on (team contract). */
export const APP_NAMESPACE = 'payflow';
export const API_RELEASE = 'payflow';
export const MIGRATIONS_RELEASE = 'payflow-migrations';
/**
 * The API pods' service account: the chart names it after the release (payflow.fullname). The
 * data module associates the API's Pod Identity role with it.
 */
export const API_SERVICE_ACCOUNT = API_RELEASE;
/** Terragrunt copies the whole repository, so the chart is found next to the module. */
export const API_CHART_PATH = '${path.module}/../../app/chart';
export const API_CHART_SCHEMA = 'app/chart/values.schema.json';

/**
 * The chart values each input becomes (api-chart-values.ts). Each input is also held to those
 * values' rules in the chart's schema, so that what Helm would refuse at apply fails at plan.
 */
export const CHART_VALUES_OF_INPUTS: Readonly<Record<string, readonly string[]>> = {
  environment: ['environment'],
  image_repository: ['image.repository'],
  image_tag: ['image.tag'],
  log_level: ['logLevel'],
  trace_sample_ratio: ['traceSampleRatio'],
  min_replicas: ['autoscaling.minReplicas', 'replicaCount'],
  max_replicas: ['autoscaling.maxReplicas'],
  cpu_request: ['resources.requests.cpu'],
  memory_request: ['resources.requests.memory'],
  cpu_limit: ['resources.limits.cpu', 'migrations.resources.limits.cpu'],
  memory_limit: ['resources.limits.memory', 'migrations.resources.limits.memory'],
  zone_spread_policy: ['topologySpread.zoneWhenUnsatisfiable'],
  api_hostname: ['ingress.host'],
  certificate_arn: ['ingress.certificateArn'],
  tls_policy: ['ingress.sslPolicy'],
  load_balancer_attributes: ['ingress.loadBalancerAttributes'],
  web_acl_arn: ['ingress.webAclArn'],
  alb_group_name: ['ingress.groupName'],
  db_address: ['postgres.host'],
  db_port: ['postgres.port'],
  db_name: ['postgres.database'],
  // postgres.user is db_username in the migrations release and db_api_username in the API's:
  // each input's own validation is stricter than the schema's pattern for it.
  db_username: [],
  db_api_username: ['postgres.apiRole'],
  db_master_secret_arn: ['externalSecret.postgresSecret.key'],
  redis_primary_endpoint: ['redis.host'],
  redis_port: ['redis.port'],
  redis_api_username: ['redis.username'],
  redis_replication_group_id: ['redis.iamCacheName'],
  aws_region: ['awsRegion'],
  seed_demo_users: ['seedDemoUsers'],
  cluster_secret_store_name: ['externalSecret.secretStore.name'],
  monitoring_namespace: ['networkPolicy.monitoringNamespace'],
  public_subnet_cidr_blocks: ['networkPolicy.ingressCidrs'],
  data_subnet_cidr_blocks: ['networkPolicy.dataSubnetCidrs'],
  service_account_annotations: ['serviceAccount.annotations'],
};

const HOSTNAME = `^${DNS_NAME_PATTERN}$`;
const SECRET_ARN =
  '^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:[A-Za-z0-9/_+=.@!-]+$';
const CPU = '^([0-9]+m|[0-9]+(\\.[0-9]+)?)$';
const MEMORY = '^[0-9]+(Ki|Mi|Gi)$';

/**
 * The PayFlow API on the cluster: its namespace (Pod Security Standard "restricted"
 * enforced), the `payflow-migrations` release (a Job Terraform waits for) and then the
 * `payflow` release, both from app/chart with values built from this module's inputs.
 */
export class AppStack extends ModuleStack {
  constructor(scope: Construct, id: string) {
    super(scope, id, {
      purpose:
        'The PayFlow API on EKS: namespace `payflow` (Pod Security Standard restricted), the ' +
        '`payflow-migrations` Helm release (database migrations Job, awaited) and then the ' +
        '`payflow` release (Deployment, ALB Ingress, HPA, PDB, NetworkPolicies, ServiceMonitor, ' +
        'ExternalSecret) from app/chart.',
      aws: false,
    });
    connectToCluster(this);

    const str = (name: string, description: string, regex?: [string, string], def?: string) =>
      Input.string(this, name, {
        description,
        ...(def === undefined ? {} : { default: def }),
        ...(regex ? { validation: [Rule.matches(regex[0], regex[1])] } : {}),
      });
    const num = (name: string, description: string, def: number, min: number, max: number) =>
      Input.number(this, name, { description, default: def, validation: [Rule.between(min, max)] });

    const imageRepository = str(
      'image_repository',
      'Container image repository of the API (shared module output `ecr_repository_url`).',
      [
        '^[a-z0-9.-]+(:[0-9]+)?(/[a-z0-9._-]+)+$',
        'an image repository such as 123456789012.dkr.ecr.eu-west-3.amazonaws.com/payflow-api',
      ],
    );
    const imageTag = str('image_tag', 'Image tag to deploy (the git SHA the pipeline built).', [
      '^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$',
      'a container image tag',
    ]);
    const logLevel = Input.string(this, 'log_level', {
      description: 'LOG_LEVEL of the API.',
      default: 'info',
      validation: [Rule.oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace'])],
    });
    const traceSampleRatio = num(
      'trace_sample_ratio',
      'TRACE_SAMPLE_RATIO of the API: share (0 to 1) of new traces recorded. 1 traces every request; production can lower it (0.1 keeps one in ten) to cut the tracing cost.',
      1,
      0,
      1,
    );
    // At least 2: the chart's PodDisruptionBudget keeps one pod available, so a single pod
    // could never be evicted and would block node drains, upgrades and autoscaler scale-down.
    const minReplicas = num(
      'min_replicas',
      'Fewest API pods (HPA minimum). At least 2: the PodDisruptionBudget keeps 1 available, so a single pod would block node drains.',
      2,
      2,
      20,
    );
    const maxReplicas = Input.number(this, 'max_replicas', {
      description: 'Most API pods (HPA maximum, scaling at 70 % CPU).',
      default: 10,
      validation: [
        Rule.between(2, 50),
        Rule.custom((v) => `${v} >= var.min_replicas`, 'Must be at least min_replicas.'),
      ],
    });
    const cpuRequest = str(
      'cpu_request',
      'CPU request of an API pod.',
      [CPU, 'a CPU quantity such as 100m'],
      '100m',
    );
    const memoryRequest = str(
      'memory_request',
      'Memory request of an API pod.',
      [MEMORY, 'a memory quantity such as 128Mi'],
      '128Mi',
    );
    const cpuLimit = str(
      'cpu_limit',
      'CPU limit of an API pod.',
      [CPU, 'a CPU quantity such as 500m'],
      '500m',
    );
    const memoryLimit = str(
      'memory_limit',
      'Memory limit of an API pod.',
      [MEMORY, 'a memory quantity such as 256Mi'],
      '256Mi',
    );
    const zoneSpread = Input.string(this, 'zone_spread_policy', {
      description:
        'DoNotSchedule refuses to stack API pods in one availability zone (production); ScheduleAnyway only prefers spreading.',
      default: 'ScheduleAnyway',
      validation: [Rule.oneOf(['DoNotSchedule', 'ScheduleAnyway'])],
    });
    // The load balancer's settings: edge outputs (stacks/edge), the same on Grafana's Ingress.
    const apiHostname = Input.string(this, 'api_hostname', {
      description:
        'Public hostname of the API (edge output `api_hostname`), e.g. api.staging.example.com; "" ' +
        "without a DNS zone: the Ingress answers any name, i.e. the load balancer's own.",
    });
    const certificateArn = Input.string(this, 'certificate_arn', {
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
    });
    const tlsPolicy = str(
      'tls_policy',
      'Security policy of the HTTPS listener (edge output `tls_policy`).',
      undefined,
      'ELBSecurityPolicy-TLS13-1-2-2021-06',
    );
    const loadBalancerAttributes = str(
      'load_balancer_attributes',
      'The load balancer attributes annotation (edge output `load_balancer_attributes`): deletion protection, access logs.',
    );
    const webAclArn = str(
      'web_acl_arn',
      'AWS WAF web ACL of the load balancer (edge output `web_acl_arn`); "": none.',
      undefined,
      '',
    );
    const albGroupName = str(
      'alb_group_name',
      'ALB group: Ingresses with the same group share one load balancer.',
      ['^[a-z0-9]([a-z0-9.-]{0,61}[a-z0-9])?$', 'a lowercase name'],
      'payflow',
    );
    const dbAddress = str('db_address', 'PostgreSQL hostname (data module output `db_address`).', [
      HOSTNAME,
      'a DNS name',
    ]);
    const dbPort = num(
      'db_port',
      'PostgreSQL port (data module output `db_port`).',
      5432,
      1,
      65535,
    );
    const dbName = str('db_name', 'Database name (data module output `db_name`).', [
      '^[A-Za-z_][A-Za-z0-9_]{0,62}$',
      'a PostgreSQL identifier',
    ]);
    const dbUsername = str(
      'db_username',
      'Master user, for the migrations Job only (data module output `db_username`).',
      ['^[A-Za-z_][A-Za-z0-9_]{0,62}$', 'a PostgreSQL identifier'],
    );
    const dbApiUsername = Input.string(this, 'db_api_username', {
      description:
        "The API's own database role (data module output `db_api_username`): the migrations Job creates it, the API logs in as it with IAM tokens.",
      validation: [
        Rule.matches('^[a-z_][a-z0-9_]{0,62}$', 'a lowercase PostgreSQL identifier'),
        Rule.custom(
          (v) => `${v} != var.db_username`,
          'Must differ from db_username: the API never uses the master user.',
        ),
      ],
    });
    const dbSecret = str(
      'db_master_secret_arn',
      'Secrets Manager ARN of the RDS master user secret (data module output `db_master_secret_arn`); only the ARN, never the password.',
      [SECRET_ARN, 'a Secrets Manager secret ARN'],
    );
    const redisHost = str(
      'redis_primary_endpoint',
      'Redis primary endpoint (data module output `redis_primary_endpoint`).',
      [HOSTNAME, 'a DNS name'],
    );
    const redisPort = num(
      'redis_port',
      'Redis port (data module output `redis_port`).',
      6379,
      1,
      65535,
    );
    const redisUsername = str(
      'redis_api_username',
      "The API's ElastiCache user, IAM authentication (data module output `redis_api_username`).",
      ['^[a-z][a-z0-9-]{0,39}$', 'an ElastiCache user id'],
    );
    const redisReplicationGroupId = str(
      'redis_replication_group_id',
      'Replication group the API signs its Redis IAM tokens for (data module output `redis_replication_group_id`).',
      ['^[a-z][a-z0-9-]{0,39}$', 'an ElastiCache replication group id'],
    );
    const awsRegion = str(
      'aws_region',
      'Region of the database layer (env.hcl `region`): the IAM tokens of the API are signed for it.',
      ['^[a-z]{2}(-[a-z]+)+-[0-9]$', 'an AWS region such as eu-west-3'],
    );
    const seedDemoUsers = Input.bool(this, 'seed_demo_users', {
      description:
        'Insert the six demo users of the SRE brief (GET /users) with the migrations: development only, refused in production.',
      default: false,
      validation: [
        Rule.custom(
          (v) => `var.environment != "production" || !${v}`,
          'Demo users never go to production.',
        ),
      ],
    });
    const secretStore = str(
      'cluster_secret_store_name',
      'ClusterSecretStore reading Secrets Manager (platform module output `cluster_secret_store_name`).',
      ['^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$', 'a Kubernetes object name'],
    );
    const monitoringNamespace = str(
      'monitoring_namespace',
      'Namespace of Prometheus and Tempo (platform module output `monitoring_namespace`).',
      ['^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$', 'a namespace name'],
      'monitoring',
    );
    const publicSubnetCidrs = Input.stringList(this, 'public_subnet_cidr_blocks', {
      description:
        'CIDRs of the public subnets (network module output `public_subnet_cidr_blocks`): the ALB (target type ip) reaches the pods from its addresses there; the only sources admitted on the container port besides Prometheus.',
      validation: [Rule.lengthBetween(1, 6), Rule.eachCidr()],
    });
    const dataSubnetCidrs = Input.stringList(this, 'data_subnet_cidr_blocks', {
      description:
        'CIDRs of the data subnets (RDS, ElastiCache): the only egress targets on 5432/6379.',
      validation: [Rule.lengthBetween(1, 6), Rule.eachCidr()],
    });
    const serviceAccountAnnotations = Input.stringMap(this, 'service_account_annotations', {
      description:
        'Annotations of the API service account. None needed: its AWS access (IAM tokens for PostgreSQL and Redis) comes through EKS Pod Identity (data module output `api_role_arn`).',
      default: {},
    });

    const chartSchema = new ChartValuesSchema(API_CHART_SCHEMA);
    for (const [name, paths] of Object.entries(CHART_VALUES_OF_INPUTS)) {
      chartSchema.validate(this.node.findChild(name) as TerraformVariable, ...paths);
    }

    const settings: ApiSettings = {
      environment: this.environment.stringValue,
      imageRepository: imageRepository.stringValue,
      imageTag: imageTag.stringValue,
      logLevel: logLevel.stringValue,
      traceSampleRatio: traceSampleRatio.numberValue,
      minReplicas: minReplicas.numberValue,
      maxReplicas: maxReplicas.numberValue,
      cpuRequest: cpuRequest.stringValue,
      memoryRequest: memoryRequest.stringValue,
      cpuLimit: cpuLimit.stringValue,
      memoryLimit: memoryLimit.stringValue,
      zoneSpread: zoneSpread.stringValue,
      apiHostname: apiHostname.stringValue,
      certificateArn: certificateArn.stringValue,
      tlsPolicy: tlsPolicy.stringValue,
      loadBalancerAttributes: loadBalancerAttributes.stringValue,
      webAclArn: webAclArn.stringValue,
      albGroupName: albGroupName.stringValue,
      dbAddress: dbAddress.stringValue,
      dbPort: dbPort.numberValue,
      dbName: dbName.stringValue,
      dbUsername: dbUsername.stringValue,
      dbApiUsername: dbApiUsername.stringValue,
      dbMasterSecretArn: dbSecret.stringValue,
      redisHost: redisHost.stringValue,
      redisPort: redisPort.numberValue,
      redisUsername: redisUsername.stringValue,
      redisReplicationGroupId: redisReplicationGroupId.stringValue,
      awsRegion: awsRegion.stringValue,
      seedDemoUsers: seedDemoUsers.booleanValue,
      clusterSecretStoreName: secretStore.stringValue,
      monitoringNamespace: monitoringNamespace.stringValue,
      publicSubnetCidrs: publicSubnetCidrs.listValue,
      dataSubnetCidrs: dataSubnetCidrs.listValue,
      serviceAccountAnnotations: serviceAccountAnnotations.value as Record<string, string>,
    };

    const namespace = new NamespaceV1(this, 'app_namespace', {
      metadata: {
        name: APP_NAMESPACE,
        labels: {
          // Pods violating the restricted Pod Security Standard are refused at admission.
          'pod-security.kubernetes.io/enforce': 'restricted',
          'pod-security.kubernetes.io/enforce-version': 'latest',
          'pod-security.kubernetes.io/audit': 'restricted',
          'pod-security.kubernetes.io/warn': 'restricted',
          // The AWS Load Balancer Controller adds a readiness gate: a new pod counts as ready
          // only once the ALB sees it healthy, so rolling updates never empty the target group.
          'elbv2.k8s.aws/pod-readiness-gate-inject': 'enabled',
        },
      },
    });

    // The pull-request plan role reads the release records (lib/plan-readers.ts).
    new PlanReaderSecretsAccess(this, 'plan_readers', { namespace: namespace.metadata.name });

    const release = (name: string, values: object, extra: Partial<ReleaseSettings>) =>
      new Release(this, name.replace(/-/g, '_'), {
        name,
        chart: API_CHART_PATH,
        namespace: namespace.metadata.name,
        createNamespace: false,
        values: [Fn.yamlencode(values)],
        wait: true,
        timeout: 600,
        maxHistory: 10,
        cleanupOnFail: true,
        ...extra,
      });

    // The Job must complete before the API moves to the new schema's code.
    const migrations = release(MIGRATIONS_RELEASE, apiChartValues(settings, 'migrations'), {
      waitForJobs: true,
    });
    release(API_RELEASE, apiChartValues(settings, 'api'), {
      // A failed rollout is rolled back to the previous revision.
      atomic: true,
      dependsOn: [migrations],
    });

    this.output('namespace', {
      value: namespace.metadata.name,
      description: 'Namespace of the API and its migrations Job.',
    });
  }
}

type ReleaseSettings = ConstructorParameters<typeof Release>[2];
