import type { Environment } from '../lib/module-stack';

/**
 * Example inputs of the platform module for each environment, with placeholder ids and ARNs.
 * The tests evaluate the module's Helm values with them (real Terraform), and CI renders every
 * chart with the values they produce (.github/scripts/platform-charts.ts). The environment
 * differences shown here are the ones live/<env>/platform/terragrunt.hcl is expected to set.
 */
export function examplePlatformInputs(environment: Environment): Record<string, unknown> {
  return {
    environment,
    region: 'eu-west-3',
    cluster_name: `payflow-${environment}`,
    cluster_endpoint: 'https://0123456789ABCDEF0123456789ABCDEF.gr7.eu-west-3.eks.amazonaws.com',
    cluster_certificate_authority_data: 'Y2hhbmdlLW1l',
    cluster_version: '1.36',
    vpc_id: 'vpc-0123456789abcdef0',
    loki_bucket_name: `payflow-${environment}-loki`,
    tempo_bucket_name: `payflow-${environment}-tempo`,
    api_hostname: `api.${environment}.payflow.example.com`,
    grafana_hostname: `grafana.${environment}.payflow.example.com`,
    certificate_arn:
      'arn:aws:acm:eu-west-3:123456789012:certificate/00000000-0000-0000-0000-000000000000',
    prometheus_retention_days: environment === 'production' ? 15 : 3,
    loki_retention_days: environment === 'production' ? 31 : 7,
    tempo_retention_days: environment === 'production' ? 14 : 3,
    prometheus_replicas: environment === 'production' ? 2 : 1,
    alerting_secret_name: `payflow/${environment}/alerting`,
  };
}
