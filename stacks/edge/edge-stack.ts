import type { DataAwsIamPolicyDocumentStatement } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';
import { DataAwsCallerIdentity } from '@cdktf/provider-aws/lib/data-aws-caller-identity';
import { DataAwsElbServiceAccount } from '@cdktf/provider-aws/lib/data-aws-elb-service-account';
import { Fn, Op, Token } from 'cdktf';
import type { Construct } from 'constructs';
import { Input, Rule, dnsName } from '../lib/inputs';
import { ModuleStack } from '../lib/module-stack';
import { PrivateBucket } from '../lib/private-bucket';
import { LoadBalancerWebAcl } from './load-balancer-web-acl';
import { PublicCertificate } from './public-certificate';
import { PUBLIC_HOST_PREFIXES } from './public-hostnames';

/** ALB security policies with TLS 1.3: TLS 1.2 and 1.3 (older clients too), or TLS 1.3 only. */
export const TLS13_POLICIES = [
  'ELBSecurityPolicy-TLS13-1-2-2021-06',
  'ELBSecurityPolicy-TLS13-1-3-2021-06',
] as const;

/** Where the load balancer writes in the access-log bucket (AWS appends AWSLogs/<account>/…). */
export const ACCESS_LOG_PREFIX = 'load-balancer';

/** The service that writes load balancer access logs in regions opened since August 2022. */
const LOG_DELIVERY_SERVICE = 'logdelivery.elasticloadbalancing.amazonaws.com';

/**
 * The public entry of an environment, on the AWS side: the TLS certificate of its names, the WAF
 * web ACL and the access-log bucket of the load balancer that the API's and Grafana's Ingresses
 * share (Ingress group `payflow`, built by the AWS Load Balancer Controller). Its outputs are
 * the load balancer settings the platform and app layers put on those Ingresses; the dns layer
 * names the load balancer once it exists.
 */
export class EdgeStack extends ModuleStack {
  constructor(scope: Construct, id: string) {
    super(scope, id, {
      purpose:
        'The public entry of an environment on AWS: the ACM certificate of api.<domain> and ' +
        'grafana.<domain> (validated in the Route 53 hosted zone), the AWS WAF web ACL (managed ' +
        'common and known-bad-inputs rules, a rate limit per client address) and the access-log ' +
        'bucket of the load balancer the Ingresses share; its outputs are the settings those ' +
        'Ingresses carry (certificate, TLS policy, attributes, web ACL).',
    });

    const dnsZone = Input.string(this, 'dns_zone', {
      description:
        'Public Route 53 hosted zone of this account that holds the names, e.g. example.com ' +
        '(`aws route53 list-hosted-zones`). "": no names, no certificate: the API answers plain ' +
        "HTTP on the load balancer's own name (development only).",
      default: '',
      validation: [
        dnsName(true),
        Rule.outsideDevelopment(
          (v) => `${v} != ""`,
          'Staging and production require a DNS zone: their API is served over HTTPS only.',
        ),
      ],
    });
    const dnsSubdomain = Input.string(this, 'dns_subdomain', {
      description:
        'Labels between the service name and the zone: "staging" makes api.staging.<zone> and ' +
        'grafana.staging.<zone>; "" makes api.<zone> and grafana.<zone>.',
      default: '',
      validation: [
        Rule.matches(
          '^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?([.][a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*)?$',
          'empty or lowercase DNS labels such as staging',
        ),
      ],
    });
    const tlsPolicy = Input.string(this, 'tls_policy', {
      description:
        `Security policy of the HTTPS listener: ${TLS13_POLICIES[0]} (TLS 1.3 and 1.2 with ` +
        `forward-secret AES-GCM ciphers) or ${TLS13_POLICIES[1]} (TLS 1.3 only). Development may ` +
        'name any ELBSecurityPolicy-*.',
      default: TLS13_POLICIES[0],
      validation: [
        Rule.matches('^ELBSecurityPolicy-[A-Za-z0-9-]+$', 'an ELB security policy name'),
        Rule.outsideDevelopment(
          (v) => `contains(${JSON.stringify(TLS13_POLICIES)}, ${v})`,
          `Staging and production require a TLS 1.3 policy: ${TLS13_POLICIES.join(' or ')}.`,
        ),
      ],
    });
    const deletionProtection = Input.bool(this, 'deletion_protection', {
      description:
        'The load balancer refuses to be deleted (its Ingresses can be re-created without ' +
        'changing its address); make destroy lifts it first.',
      default: true,
      validation: [
        Rule.outsideDevelopment(
          (v) => v,
          'Staging and production require deletion protection on the load balancer.',
        ),
      ],
    });
    const accessLogDays = Input.number(this, 'access_log_days', {
      description:
        'Days the access logs of the load balancer are kept in S3; 0 writes none (development).',
      default: 90,
      validation: [
        Rule.between(0, 3650),
        Rule.custom((v) => `floor(${v}) == ${v}`, 'Must be a whole number of days.'),
        Rule.outsideDevelopment(
          (v) => `${v} >= 7`,
          'Staging and production keep access logs at least 7 days.',
        ),
      ],
    });
    const waf = Input.bool(this, 'waf', {
      description:
        'Put AWS WAF in front of the load balancer: the managed common and known-bad-inputs ' +
        'rule groups and a rate limit per client address (about 8 USD a month plus 0.60 USD ' +
        'per million requests: docs/cost.md).',
      default: true,
      validation: [Rule.outsideDevelopment((v) => v, 'Staging and production require AWS WAF.')],
    });
    const wafRateLimit = Input.number(this, 'waf_rate_limit', {
      description:
        'Requests one client address may send in 5 minutes; above, WAF blocks its requests ' +
        'until its rate falls back under the limit.',
      default: 1000,
      validation: [
        Rule.between(10, 2000000000),
        Rule.custom((v) => `floor(${v}) == ${v}`, 'Must be a whole number of requests.'),
      ],
    });
    const bucketsForceDestroy = Input.bool(this, 'buckets_force_destroy', {
      description:
        'Let make destroy delete the access-log bucket with its logs (development); otherwise ' +
        'they are kept until decommission.',
      default: false,
    });
    const decommission = Input.bool(this, 'decommission', {
      description:
        'Teardown switch (make destroy with DECOMMISSION=true): the access-log bucket becomes ' +
        'deletable with its logs.',
      default: false,
    });

    const accountId = new DataAwsCallerIdentity(this, 'current_account').accountId;
    // length >= 1, not != "": CDKTF's Op renders an empty literal as "undefined".
    const named = Op.gte(Fn.lengthOf(dnsZone.stringValue), 1);
    const domain = Fn.join('.', Fn.compact([dnsSubdomain.stringValue, dnsZone.stringValue]));
    const hostname = (prefix: string) => Fn.format('%s.%s', [prefix, domain]);
    const ifNamed = (value: string) => Token.asString(Fn.conditional(named, value, ''));

    const certificate = new PublicCertificate(this, 'tls', {
      enabled: named,
      zoneName: dnsZone.stringValue,
      hostnames: [hostname(PUBLIC_HOST_PREFIXES.api), hostname(PUBLIC_HOST_PREFIXES.grafana)],
    });

    const webAcl = new LoadBalancerWebAcl(this, 'load_balancer', {
      enabled: waf.booleanValue,
      name: `${this.namePrefix}-load-balancer`,
      rateLimit: wafRateLimit.numberValue,
    });

    // ALB access logs accept SSE-S3 only (Elastic Load Balancing guide, "Enable access logs"):
    // the one bucket of the project without a customer managed key.
    const elbAccount = new DataAwsElbServiceAccount(this, 'load_balancer_account');
    const logDelivery = (bucketArn: string): DataAwsIamPolicyDocumentStatement[] => [
      {
        sid: 'LoadBalancerAccessLogs',
        effect: 'Allow',
        actions: ['s3:PutObject'],
        resources: [`${bucketArn}/${ACCESS_LOG_PREFIX}/AWSLogs/${accountId}/*`],
        // The regional Elastic Load Balancing account writes in regions opened before August
        // 2022 (this one's, from the provider), the log delivery service in the newer ones.
        principals: [
          { type: 'AWS', identifiers: [elbAccount.arn] },
          { type: 'Service', identifiers: [LOG_DELIVERY_SERVICE] },
        ],
      },
    ];
    const accessLogs = new PrivateBucket(this, 'access_logs', {
      bucketName: `${this.namePrefix}-alb-logs-${accountId}`,
      retentionDays: Token.asNumber(Fn.max([accessLogDays.numberValue, 1])),
      forceDestroy: Op.or(bucketsForceDestroy.booleanValue, decommission.booleanValue),
      grants: logDelivery,
    });

    // Every attribute named, off included: the controller only changes the attributes its
    // annotation lists, so an omitted one would keep its last value.
    const attributes = [
      `deletion_protection.enabled=${deletionProtection.stringValue}`,
      `access_logs.s3.enabled=${Token.asString(Op.gte(accessLogDays.numberValue, 1))}`,
      `access_logs.s3.bucket=${accessLogs.bucket.bucket}`,
      `access_logs.s3.prefix=${ACCESS_LOG_PREFIX}`,
      'routing.http.drop_invalid_header_fields.enabled=true',
    ].join(',');

    this.output('api_hostname', {
      value: ifNamed(hostname(PUBLIC_HOST_PREFIXES.api)),
      description: 'Public name of the API, e.g. api.staging.example.com; "" without a DNS zone.',
    });
    this.output('grafana_hostname', {
      value: ifNamed(hostname(PUBLIC_HOST_PREFIXES.grafana)),
      description:
        'Name Grafana gets when it is made public (platform input grafana_public); "" without a DNS zone.',
    });
    this.output('dns_zone_id', {
      value: certificate.zoneId,
      description: 'Id of the Route 53 hosted zone the dns layer writes the names in; "" without.',
    });
    this.output('certificate_arn', {
      value: certificate.certificateArn,
      description:
        'ACM certificate of both names, once validated; "" without a DNS zone (no HTTPS listener).',
    });
    this.output('tls_policy', {
      value: tlsPolicy.stringValue,
      description: 'Security policy of the HTTPS listener (annotation ssl-policy).',
    });
    this.output('load_balancer_attributes', {
      value: attributes,
      description:
        "Value of the Ingresses' alb.ingress.kubernetes.io/load-balancer-attributes: deletion " +
        'protection, access logs to the bucket, invalid header fields dropped.',
    });
    this.output('web_acl_arn', {
      value: webAcl.webAclArn,
      description:
        'WAF web ACL the Ingresses associate (annotation wafv2-acl-arn); "" when waf is off.',
    });
    this.output('access_log_bucket', {
      value: accessLogs.bucket.bucket,
      description: `Bucket of the access logs, under ${ACCESS_LOG_PREFIX}/AWSLogs/<account>/elasticloadbalancing/.`,
    });
  }
}
