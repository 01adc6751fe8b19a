import { Release } from '@cdktf/provider-helm/lib/release';
import { NamespaceV1 } from '@cdktf/provider-kubernetes/lib/namespace-v1';
import { Fn, type TerraformVariable } from 'cdktf';
import type { Construct } from 'constructs';
import { ChartValuesSchema } from '../lib/chart-values-schema';
import { ModuleStack } from '../lib/module-stack';
import { APP_NAMESPACE } from '../lib/kubernetes-names';
import { PlanReaderSecretsAccess } from '../lib/plan-readers';
import { connectToCluster } from '../lib/cluster-connection';
import { type ApiSettings, apiChartValues } from './api-chart-values';
import { appInputs } from './app-inputs';

/** Names other layers and the runbooks rely on (team contract). */
export const API_RELEASE = 'payflow';
export const MIGRATIONS_RELEASE = 'payflow-migrations';
/**
 * The API pods' service account: the chart names it after the release (payflow.fullname). The
 * data module associates the API's Pod Identity role with it.
 */
export const API_SERVICE_ACCOUNT = API_RELEASE;
/** The API's chart, copied into the module by synthesis. */
const API_CHART = 'app/chart';
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

    const inputs = appInputs(this);

    const chartSchema = new ChartValuesSchema(API_CHART_SCHEMA);
    for (const [name, paths] of Object.entries(CHART_VALUES_OF_INPUTS)) {
      chartSchema.validate(this.node.findChild(name) as TerraformVariable, ...paths);
    }

    const settings: ApiSettings = {
      environment: this.environment.stringValue,
      imageRepository: inputs.imageRepository.stringValue,
      imageTag: inputs.imageTag.stringValue,
      logLevel: inputs.logLevel.stringValue,
      traceSampleRatio: inputs.traceSampleRatio.numberValue,
      minReplicas: inputs.minReplicas.numberValue,
      maxReplicas: inputs.maxReplicas.numberValue,
      cpuRequest: inputs.cpuRequest.stringValue,
      memoryRequest: inputs.memoryRequest.stringValue,
      cpuLimit: inputs.cpuLimit.stringValue,
      memoryLimit: inputs.memoryLimit.stringValue,
      zoneSpread: inputs.zoneSpread.stringValue,
      apiHostname: inputs.apiHostname.stringValue,
      certificateArn: inputs.certificateArn.stringValue,
      tlsPolicy: inputs.tlsPolicy.stringValue,
      loadBalancerAttributes: inputs.loadBalancerAttributes.stringValue,
      webAclArn: inputs.webAclArn.stringValue,
      albGroupName: inputs.albGroupName.stringValue,
      dbAddress: inputs.dbAddress.stringValue,
      dbPort: inputs.dbPort.numberValue,
      dbName: inputs.dbName.stringValue,
      dbUsername: inputs.dbUsername.stringValue,
      dbApiUsername: inputs.dbApiUsername.stringValue,
      dbMasterSecretArn: inputs.dbSecret.stringValue,
      redisHost: inputs.redisHost.stringValue,
      redisPort: inputs.redisPort.numberValue,
      redisUsername: inputs.redisUsername.stringValue,
      redisReplicationGroupId: inputs.redisReplicationGroupId.stringValue,
      awsRegion: inputs.awsRegion.stringValue,
      seedDemoUsers: inputs.seedDemoUsers.booleanValue,
      clusterSecretStoreName: inputs.secretStore.stringValue,
      monitoringNamespace: inputs.monitoringNamespace.stringValue,
      publicSubnetCidrs: inputs.publicSubnetCidrs.listValue,
      dataSubnetCidrs: inputs.dataSubnetCidrs.listValue,
      serviceAccountAnnotations: inputs.serviceAccountAnnotations.value as Record<string, string>,
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
        chart: `\${path.module}/${this.copyIntoModule(API_CHART)}`,
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
