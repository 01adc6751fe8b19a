import { Input, Rule, dnsName } from '../lib/inputs';
import type { ModuleStack } from '../lib/module-stack';
import { offeredKubernetesVersion } from '../cluster/kubernetes-versions';
import { loadBalancerGroupInput } from '../lib/kubernetes-names';
import { GRAFANA_ALLOWED_CIDRS_MAX, GRAFANA_LOCAL_URL } from './grafana-access';

/** The platform module's own inputs (variables.tf); the cluster connection's are connectToCluster's. */
export function platformInputs(stack: ModuleStack) {
  const cognito = (name: string, what: string, regex: string, meaning: string) =>
    Input.string(stack, `grafana_cognito_${name}`, {
      description: `${what} of the Cognito sign-in in front of a public Grafana; "" while Grafana is private.`,
      default: '',
      validation: [
        Rule.matches(`^(${regex})?$`, `empty or ${meaning}`),
        Rule.custom(
          (v) => `!var.grafana_public || ${v} != ""`,
          'A public Grafana needs its Cognito sign-in (user pool ARN, app client id, domain).',
        ),
      ],
    });
  return {
    clusterVersion: Input.string(stack, 'cluster_version', {
      description:
        'Kubernetes minor version of the cluster (cluster module output `cluster_version`); picks the Cluster Autoscaler image.',
      validation: [offeredKubernetesVersion()],
    }),
    vpcId: Input.string(stack, 'vpc_id', {
      description:
        'VPC of the cluster (network module output `vpc_id`), for the load balancer controller.',
      validation: [Rule.matches('^vpc-[0-9a-f]{8,17}$', 'a VPC id')],
    }),
    lokiBucket: Input.string(stack, 'loki_bucket_name', {
      description: 'S3 bucket of Loki (data module output `loki_bucket_name`).',
      validation: [Rule.matches('^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$', 'an S3 bucket name')],
    }),
    tempoBucket: Input.string(stack, 'tempo_bucket_name', {
      description: 'S3 bucket of Tempo (data module output `tempo_bucket_name`).',
      validation: [Rule.matches('^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$', 'an S3 bucket name')],
    }),
    // The public entry: edge outputs (stacks/edge), the same on the API's Ingress.
    apiHostname: Input.string(stack, 'api_hostname', {
      description:
        'Public hostname of the API (edge output `api_hostname`), probed over HTTPS by the ' +
        'blackbox exporter (certificate expiry); "" without a DNS zone: no probe.',
      validation: [dnsName(true)],
    }),
    grafanaHostname: Input.string(stack, 'grafana_hostname', {
      description:
        'Name Grafana answers on when grafana_public (edge output `grafana_hostname`); "" without a DNS zone.',
      validation: [dnsName(true)],
    }),
    certificateArn: Input.string(stack, 'certificate_arn', {
      description:
        'ACM certificate of the load balancer (edge output `certificate_arn`); "" without a DNS zone.',
      validation: [
        Rule.matches(
          '^(arn:aws[a-z-]*:acm:[a-z0-9-]+:[0-9]{12}:certificate/[A-Za-z0-9-]+)?$',
          'empty or an ACM certificate ARN',
        ),
      ],
    }),
    tlsPolicy: Input.string(stack, 'tls_policy', {
      description: 'Security policy of the HTTPS listener (edge output `tls_policy`).',
      default: 'ELBSecurityPolicy-TLS13-1-2-2021-06',
      validation: [Rule.matches('^ELBSecurityPolicy-[A-Za-z0-9-]+$', 'an ELB security policy')],
    }),
    loadBalancerAttributes: Input.string(stack, 'load_balancer_attributes', {
      description:
        'The load balancer attributes annotation (edge output `load_balancer_attributes`).',
      validation: [
        Rule.matches(
          '^[a-z0-9_.]+=[A-Za-z0-9_.-]+(,[a-z0-9_.]+=[A-Za-z0-9_.-]+)*$',
          'key=value pairs separated by commas',
        ),
      ],
    }),
    webAclArn: Input.string(stack, 'web_acl_arn', {
      description: 'AWS WAF web ACL of the load balancer (edge output `web_acl_arn`); "": none.',
      default: '',
      validation: [
        Rule.matches(
          '^(arn:aws[a-z-]*:wafv2:[a-z0-9-]+:[0-9]{12}:regional/webacl/[A-Za-z0-9_-]+/[a-f0-9-]+)?$',
          'empty or a regional WAF web ACL ARN',
        ),
      ],
    }),
    albGroupName: loadBalancerGroupInput(
      stack,
      'ALB group shared with the API Ingress (one load balancer for both).',
    ),

    // Grafana: private unless asked for, and then behind a sign-in and an address allow-list.
    grafanaPublic: Input.bool(stack, 'grafana_public', {
      description:
        'Put Grafana on the load balancer at grafana_hostname, behind a Cognito sign-in and for ' +
        'grafana_allowed_cidrs only. false (default): no Ingress; `make grafana ENV=<env>` ' +
        `opens it on ${GRAFANA_LOCAL_URL} through the SSM tunnel.`,
      default: false,
      validation: [
        Rule.custom(
          (v) => `!${v} || (var.certificate_arn != "" && var.grafana_hostname != "")`,
          'A public Grafana needs HTTPS (the sign-in works on HTTPS listeners only): give the environment a DNS zone.',
        ),
      ],
    }),
    grafanaAllowedCidrs: Input.stringList(stack, 'grafana_allowed_cidrs', {
      description:
        `Client addresses (CIDRs, at most ${GRAFANA_ALLOWED_CIDRS_MAX}) the load balancer ` +
        'forwards to a public Grafana, e.g. the office or VPN egress; everyone else gets 404.',
      default: [],
      validation: [
        Rule.eachCidr(),
        Rule.custom(
          (v) => `length(${v}) <= ${GRAFANA_ALLOWED_CIDRS_MAX}`,
          `At most ${GRAFANA_ALLOWED_CIDRS_MAX} CIDRs (an ALB rule matches 5 values, host and path included).`,
        ),
        Rule.custom(
          (v) => `!contains(${v}, "0.0.0.0/0")`,
          '0.0.0.0/0 is no allow-list: name the addresses that may reach Grafana.',
        ),
        Rule.custom(
          (v) => `!var.grafana_public || length(${v}) >= 1`,
          'A public Grafana needs an address allow-list.',
        ),
      ],
    }),
    cognitoUserPoolArn: cognito(
      'user_pool_arn',
      'User pool ARN',
      'arn:aws[a-z-]*:cognito-idp:[a-z0-9-]+:[0-9]{12}:userpool/[a-z0-9-]+_[A-Za-z0-9]+',
      'a Cognito user pool ARN',
    ),
    cognitoClientId: cognito(
      'client_id',
      'App client id (with a client secret, and the callback https://<grafana_hostname>/oauth2/idpresponse)',
      '[A-Za-z0-9]{1,128}',
      'a Cognito app client id',
    ),
    cognitoDomain: cognito(
      'domain',
      'Domain prefix (my-prefix of my-prefix.auth.<region>.amazoncognito.com)',
      '[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?',
      'a Cognito domain prefix',
    ),
    prometheusRetentionDays: Input.number(stack, 'prometheus_retention_days', {
      description: 'Days Prometheus keeps metrics (e.g. 7 in development, 30 in production).',
      validation: [Rule.between(1, 90)],
    }),
    prometheusStorageGib: Input.number(stack, 'prometheus_storage_gib', {
      description: 'Size of each Prometheus volume (GiB); retention must fit in it.',
      default: 50,
      validation: [Rule.between(10, 1000)],
    }),
    prometheusReplicas: Input.number(stack, 'prometheus_replicas', {
      description: 'Prometheus replicas (2 for high availability).',
      default: 1,
      validation: [Rule.between(1, 3)],
    }),
    alertmanagerReplicas: Input.number(stack, 'alertmanager_replicas', {
      description: 'Alertmanager replicas (they deduplicate notifications as a cluster).',
      default: 1,
      validation: [Rule.between(1, 3)],
    }),
    lokiRetentionDays: Input.number(stack, 'loki_retention_days', {
      description: 'Days Loki keeps logs (e.g. 7 in development, 90 in production).',
      validation: [Rule.between(1, 400)],
    }),
    lokiReplicas: Input.number(stack, 'loki_replicas', {
      description: 'Loki single-binary replicas.',
      default: 1,
      validation: [Rule.between(1, 3)],
    }),
    tempoRetentionDays: Input.number(stack, 'tempo_retention_days', {
      description: 'Days Tempo keeps traces.',
      validation: [Rule.between(1, 60)],
    }),
    alertingSecretName: Input.string(stack, 'alerting_secret_name', {
      description:
        'Secrets Manager secret (JSON with critical_webhook_url and warning_webhook_url: Slack incoming webhooks) synced for Alertmanager. Empty: no notification leaves the cluster. Only the name goes through Terraform, never the URLs.',
      default: '',
      validation: [
        Rule.matches('^[A-Za-z0-9/_+=.@-]{0,512}$', 'empty or a Secrets Manager secret name'),
      ],
    }),
  };
}
