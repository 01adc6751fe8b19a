import { PUBLIC_HOST_PREFIXES } from '../edge/public-hostnames';
import type { Environment } from '../lib/module-stack';

/**
 * Example inputs of the platform module for each environment, with placeholder ids and ARNs.
 * The tests evaluate the module's Helm values with them (real Terraform), and CI renders every
 * chart with the values they produce (.github/scripts/platform-charts.ts). The environment
 * differences shown here are the ones live/<env>/platform/terragrunt.hcl is expected to set:
 * development without a DNS zone (no names, no certificate, no WAF), Grafana private everywhere.
 */
export function examplePlatformInputs(environment: Environment): Record<string, unknown> {
  const named = environment !== 'development';
  const domain =
    environment === 'production' ? 'payflow.example.com' : `${environment}.payflow.example.com`;
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
    api_hostname: named ? `${PUBLIC_HOST_PREFIXES.api}.${domain}` : '',
    grafana_hostname: named ? `${PUBLIC_HOST_PREFIXES.grafana}.${domain}` : '',
    certificate_arn: named
      ? 'arn:aws:acm:eu-west-3:123456789012:certificate/00000000-0000-0000-0000-000000000000'
      : '',
    tls_policy: 'ELBSecurityPolicy-TLS13-1-2-2021-06',
    load_balancer_attributes: `deletion_protection.enabled=${named},access_logs.s3.enabled=${named},access_logs.s3.bucket=payflow-${environment}-alb-logs-123456789012,access_logs.s3.prefix=load-balancer,routing.http.drop_invalid_header_fields.enabled=true`,
    web_acl_arn: named
      ? `arn:aws:wafv2:eu-west-3:123456789012:regional/webacl/payflow-${environment}-load-balancer/0ac8a1b2-1234-5678-9abc-def012345678`
      : '',
    prometheus_retention_days: environment === 'production' ? 15 : 3,
    loki_retention_days: environment === 'production' ? 31 : 7,
    tempo_retention_days: environment === 'production' ? 14 : 3,
    prometheus_replicas: environment === 'production' ? 2 : 1,
    alerting_secret_name: `payflow/${environment}/alerting`,
  };
}

/** The same inputs with Grafana public: on the load balancer, behind Cognito, for two networks. */
export function withPublicGrafana(inputs: Record<string, unknown>): Record<string, unknown> {
  return {
    ...inputs,
    grafana_public: true,
    grafana_allowed_cidrs: ['203.0.113.0/24', '198.51.100.7/32'],
    grafana_cognito_user_pool_arn:
      'arn:aws:cognito-idp:eu-west-3:123456789012:userpool/eu-west-3_AbCdEf123',
    grafana_cognito_client_id: '1example23456789abcdefghij',
    grafana_cognito_domain: 'payflow-example',
  };
}
