import type { IResolvable } from 'cdktf';

/**
 * Values of the PayFlow chart (app/chart) for one environment. The app stack calls this with
 * Terraform variable references; the tests call it with real example inputs and validate the
 * result against app/chart/values.schema.json, so the stack can only produce values the chart
 * accepts.
 */

export type ChartMode = 'api' | 'migrations';
export type SpreadPolicy = 'DoNotSchedule' | 'ScheduleAnyway';

/** Everything environment-specific about the API, as the app stack's inputs provide it. */
export interface ApiSettings {
  readonly environment: string;
  readonly imageRepository: string;
  readonly imageTag: string;
  readonly logLevel: string;
  /** TRACE_SAMPLE_RATIO of the API (0…1). */
  readonly traceSampleRatio: number;
  readonly minReplicas: number;
  readonly maxReplicas: number;
  readonly cpuRequest: string;
  readonly memoryRequest: string;
  readonly cpuLimit: string;
  readonly memoryLimit: string;
  readonly zoneSpread: SpreadPolicy | string;
  /** "" without a DNS zone (development): the Ingress answers any name, over plain HTTP. */
  readonly apiHostname: string;
  /** "" without a DNS zone: no HTTPS listener. */
  readonly certificateArn: string;
  readonly tlsPolicy: string;
  /** The load balancer's attributes annotation, as the edge module builds it. */
  readonly loadBalancerAttributes: string;
  /** "" when the environment has no WAF. */
  readonly webAclArn: string;
  readonly albGroupName: string;
  readonly dbAddress: string;
  readonly dbPort: number;
  readonly dbName: string;
  /** The RDS master user: the migrations Job only (its password from dbMasterSecretArn). */
  readonly dbUsername: string;
  /** The API's own database role: IAM authentication, no password. */
  readonly dbApiUsername: string;
  readonly dbMasterSecretArn: string;
  readonly redisHost: string;
  readonly redisPort: number;
  /** The API's ElastiCache user (IAM authentication) and the replication group it signs for. */
  readonly redisUsername: string;
  readonly redisReplicationGroupId: string;
  /** Region of the databases: what the IAM tokens are signed for. */
  readonly awsRegion: string;
  /** SEED_DEMO_USERS of the migrations Job (the module refuses it in production). */
  readonly seedDemoUsers: boolean | IResolvable;
  readonly clusterSecretStoreName: string;
  readonly monitoringNamespace: string;
  /** Public subnets: the ALB's addresses (target type ip), the load-balancer path to the pods. */
  readonly publicSubnetCidrs: string[];
  readonly dataSubnetCidrs: string[];
  readonly serviceAccountAnnotations: Record<string, string>;
}

interface Resources {
  requests: { cpu: string; memory: string };
  limits: { cpu: string; memory: string };
}

/** Shape of app/chart/values.yaml (values.schema.json is the authority). */
export interface ChartValues {
  mode: ChartMode;
  image: { repository: string; tag: string; pullPolicy: 'IfNotPresent' };
  environment: string;
  logLevel: string;
  containerPort: number;
  postgres: {
    host: string;
    port: number;
    user: string;
    database: string;
    sslMode: string;
    sslRootCert: string;
    auth: 'password' | 'iam';
    apiRole: string;
  };
  redis: {
    enabled: boolean;
    host: string;
    port: number;
    tls: boolean;
    auth: 'password' | 'iam';
    username: string;
    iamCacheName: string;
  };
  awsRegion: string;
  seedDemoUsers: boolean | IResolvable;
  otlpEndpoint: string;
  traceSampleRatio: number;
  readinessRequiresRedis: boolean;
  externalSecret: {
    enabled: boolean;
    refreshInterval: string;
    secretStore: { kind: 'ClusterSecretStore'; name: string };
    postgresSecret: { key: string; passwordProperty: string };
  };
  serviceAccount: { create: boolean; name: string; annotations: Record<string, string> };
  replicaCount: number;
  autoscaling: {
    enabled: boolean;
    minReplicas: number;
    maxReplicas: number;
    targetCPUUtilizationPercentage: number;
  };
  resources: Resources;
  probes: Record<
    'startup' | 'liveness' | 'readiness',
    { path: string; periodSeconds: number; timeoutSeconds: number; failureThreshold: number }
  >;
  lifecycle: { preStopSleepSeconds: number; terminationGracePeriodSeconds: number };
  topologySpread: { zoneWhenUnsatisfiable: string; hostnameWhenUnsatisfiable: SpreadPolicy };
  podDisruptionBudget: { enabled: boolean; minAvailable: number };
  service: { port: number };
  ingress: {
    enabled: boolean;
    className: 'alb';
    host: string;
    certificateArn: string;
    groupName: string;
    scheme: 'internet-facing';
    sslPolicy: string;
    loadBalancerAttributes: string;
    webAclArn: string;
    healthcheckPath: string;
  };
  networkPolicy: {
    enabled: boolean;
    ingressCidrs: string[];
    monitoringNamespace: string;
    dataSubnetCidrs: string[];
    otlpPort: number;
  };
  serviceMonitor: {
    enabled: boolean;
    interval: string;
    scrapeTimeout: string;
    labels: Record<string, string>;
  };
  migrations: {
    backoffLimit: number;
    ttlSecondsAfterFinished: number;
    activeDeadlineSeconds: number;
    resources: Resources;
  };
}

/** Port of the trace collector's OTLP/HTTP receiver (service `tempo` in the monitoring namespace). */
export const OTLP_HTTP_PORT = 4318;

export function apiChartValues(settings: ApiSettings, mode: ChartMode): ChartValues {
  const resources: Resources = {
    requests: { cpu: settings.cpuRequest, memory: settings.memoryRequest },
    limits: { cpu: settings.cpuLimit, memory: settings.memoryLimit },
  };
  return {
    mode,
    image: {
      repository: settings.imageRepository,
      tag: settings.imageTag,
      pullPolicy: 'IfNotPresent',
    },
    environment: settings.environment,
    logLevel: settings.logLevel,
    containerPort: 8080,
    // Both verify the server against the RDS CA bundle shipped in the image. The API logs in as
    // its own role with IAM tokens (no password anywhere); the migrations Job, the only user of
    // the master user, creates that role and reads the master password from the Secret.
    postgres: {
      host: settings.dbAddress,
      port: settings.dbPort,
      user: mode === 'api' ? settings.dbApiUsername : settings.dbUsername,
      database: settings.dbName,
      sslMode: 'verify-full',
      sslRootCert: 'rds',
      auth: mode === 'api' ? 'iam' : 'password',
      apiRole: settings.dbApiUsername,
    },
    // The data module always creates Redis (the chart can also run without: redis.enabled),
    // reached with IAM authentication only.
    redis: {
      enabled: true,
      host: settings.redisHost,
      port: settings.redisPort,
      tls: true,
      auth: 'iam',
      username: settings.redisUsername,
      iamCacheName: settings.redisReplicationGroupId,
    },
    awsRegion: settings.awsRegion,
    seedDemoUsers: settings.seedDemoUsers,
    otlpEndpoint: `http://tempo.${settings.monitoringNamespace}.svc.cluster.local:${OTLP_HTTP_PORT}`,
    traceSampleRatio: settings.traceSampleRatio,
    // Redis only speeds idempotency up (PostgreSQL's primary key decides): a Redis outage must
    // not take every pod out of the load balancer. DependencyDown still alerts on it.
    readinessRequiresRedis: false,
    externalSecret: {
      enabled: true,
      // Rendered for the migrations Job only (the API has no password). It reads the master
      // password file for every new connection: a rotated RDS password reaches it within this
      // interval plus the kubelet's sync (about a minute).
      refreshInterval: '1m',
      secretStore: { kind: 'ClusterSecretStore', name: settings.clusterSecretStoreName },
      postgresSecret: { key: settings.dbMasterSecretArn, passwordProperty: 'password' },
    },
    serviceAccount: { create: true, name: '', annotations: settings.serviceAccountAnnotations },
    replicaCount: settings.minReplicas,
    autoscaling: {
      enabled: true,
      minReplicas: settings.minReplicas,
      maxReplicas: settings.maxReplicas,
      targetCPUUtilizationPercentage: 70,
    },
    resources,
    probes: {
      // Up to 2 minutes to start (5 s x 24) before liveness takes over.
      startup: { path: '/liveness', periodSeconds: 5, timeoutSeconds: 2, failureThreshold: 24 },
      liveness: { path: '/liveness', periodSeconds: 10, timeoutSeconds: 2, failureThreshold: 3 },
      readiness: { path: '/readiness', periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 2 },
    },
    lifecycle: { preStopSleepSeconds: 10, terminationGracePeriodSeconds: 40 },
    topologySpread: {
      zoneWhenUnsatisfiable: settings.zoneSpread,
      hostnameWhenUnsatisfiable: 'ScheduleAnyway',
    },
    podDisruptionBudget: { enabled: true, minAvailable: 1 },
    service: { port: 80 },
    ingress: {
      enabled: mode === 'api',
      className: 'alb',
      host: settings.apiHostname,
      certificateArn: settings.certificateArn,
      groupName: settings.albGroupName,
      scheme: 'internet-facing',
      sslPolicy: settings.tlsPolicy,
      loadBalancerAttributes: settings.loadBalancerAttributes,
      webAclArn: settings.webAclArn,
      healthcheckPath: '/health',
    },
    networkPolicy: {
      enabled: true,
      // Only the load balancer's subnets, not the VPC: the VPC range holds every pod and node.
      // Prometheus comes in through the chart's monitoring namespaceSelector rule.
      ingressCidrs: settings.publicSubnetCidrs,
      monitoringNamespace: settings.monitoringNamespace,
      dataSubnetCidrs: settings.dataSubnetCidrs,
      otlpPort: OTLP_HTTP_PORT,
    },
    serviceMonitor: { enabled: true, interval: '30s', scrapeTimeout: '10s', labels: {} },
    migrations: {
      backoffLimit: 3,
      ttlSecondsAfterFinished: 3600,
      activeDeadlineSeconds: 600,
      resources: {
        requests: { cpu: '50m', memory: '96Mi' },
        limits: { cpu: settings.cpuLimit, memory: settings.memoryLimit },
      },
    },
  };
}
