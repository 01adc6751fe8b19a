import type { Environment } from '../lib/module-stack';

/**
 * Example inputs of the app module for each environment, with placeholder account ids and
 * ARNs. The tests evaluate the module's Helm values with them (real Terraform), validate the
 * result against app/chart/values.schema.json and compare it with app/chart/values-<env>.yaml,
 * which CI renders with `helm template`. The environment differences shown here are the ones
 * live/<env>/app/terragrunt.hcl is expected to set.
 */
export function exampleAppInputs(environment: Environment): Record<string, unknown> {
  const account = '123456789012';
  const region = 'eu-west-3';
  const prefix = `payflow-${environment}`;
  const domain =
    environment === 'production' ? 'payflow.example.com' : `${environment}.payflow.example.com`;
  const sizing = {
    development: {
      min: 2,
      max: 4,
      zone: 'ScheduleAnyway',
      cpu: '100m',
      memory: '128Mi',
      log: 'debug',
    },
    staging: { min: 2, max: 6, zone: 'ScheduleAnyway', cpu: '100m', memory: '128Mi', log: 'info' },
    production: {
      min: 3,
      max: 10,
      zone: 'DoNotSchedule',
      cpu: '250m',
      memory: '256Mi',
      log: 'info',
    },
  }[environment];
  return {
    environment,
    region,
    cluster_name: prefix,
    cluster_endpoint: 'https://0123456789ABCDEF0123456789ABCDEF.gr7.eu-west-3.eks.amazonaws.com',
    cluster_certificate_authority_data: 'Y2hhbmdlLW1l',
    image_repository: `${account}.dkr.ecr.${region}.amazonaws.com/payflow-api`,
    image_tag: '3f2c1a9',
    log_level: sizing.log,
    min_replicas: sizing.min,
    max_replicas: sizing.max,
    cpu_request: sizing.cpu,
    memory_request: sizing.memory,
    cpu_limit: '1',
    memory_limit: '512Mi',
    zone_spread_policy: sizing.zone,
    api_hostname: `api.${domain}`,
    certificate_arn: `arn:aws:acm:${region}:${account}:certificate/00000000-0000-0000-0000-000000000000`,
    db_address: `${prefix}.abcdefghijkl.${region}.rds.amazonaws.com`,
    db_port: 5432,
    db_name: 'payflow',
    db_username: 'payflow_admin',
    db_master_secret_arn: `arn:aws:secretsmanager:${region}:${account}:secret:rds!db-00000000-0000-0000-0000-000000000000-AbCdEf`,
    redis_primary_endpoint: `master.${prefix}.abcdef.euw3.cache.amazonaws.com`,
    redis_port: 6379,
    redis_auth_secret_arn: `arn:aws:secretsmanager:${region}:${account}:secret:${prefix}/redis-auth-AbCdEf`,
    cluster_secret_store_name: 'aws-secrets-manager',
    monitoring_namespace: 'monitoring',
    vpc_cidr_block: '10.20.0.0/16',
    data_subnet_cidr_blocks: ['10.20.200.0/24', '10.20.201.0/24', '10.20.202.0/24'],
  };
}
