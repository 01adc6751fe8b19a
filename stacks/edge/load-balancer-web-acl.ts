import { Wafv2WebAcl } from '@cdktf/provider-aws/lib/wafv2-web-acl';
import { Fn, type IResolvable, TerraformCount, Token } from 'cdktf';
import { Construct } from 'constructs';
import { instance } from '../lib/references';

/**
 * AWS managed rule groups the web ACL applies, in this order: OWASP-style protections (bad bots,
 * oversize bodies, SQL injection and XSS probes in common places), then request patterns known to
 * exploit vulnerabilities (Log4Shell, Java deserialization, localhost Host headers). Both are in
 * the WAF price of a rule; neither needs a Marketplace subscription.
 */
export const MANAGED_RULE_GROUPS = [
  'AWSManagedRulesCommonRuleSet',
  'AWSManagedRulesKnownBadInputsRuleSet',
] as const;

export interface LoadBalancerWebAclProps {
  readonly enabled: IResolvable | boolean;
  readonly name: string;
  /** Requests one client address may send in 5 minutes before its requests are blocked. */
  readonly rateLimit: number;
}

/**
 * The regional AWS WAF web ACL of the environment's load balancer (the Ingresses associate it
 * through their `alb.ingress.kubernetes.io/wafv2-acl-arn` annotation): a rate limit per client
 * address first, then the managed rule groups, each blocking what it matches.
 */
export class LoadBalancerWebAcl extends Construct {
  /** "" when disabled. */
  readonly webAclArn: string;

  constructor(scope: Construct, id: string, props: LoadBalancerWebAclProps) {
    super(scope, id);
    // CloudWatch metrics and sampled requests per rule: what the WAF console shows.
    const visibility = (metric: string) => ({
      cloudwatchMetricsEnabled: true,
      metricName: metric,
      sampledRequestsEnabled: true,
    });
    // `statement` is untyped in the provider bindings: Terraform's own block names.
    const managed = (name: string, priority: number) => ({
      name,
      priority,
      overrideAction: { none: {} },
      statement: [{ managed_rule_group_statement: [{ vendor_name: 'AWS', name }] }],
      visibilityConfig: visibility(name),
    });
    const webAcl = new Wafv2WebAcl(this, 'web_acl', {
      count: TerraformCount.of(Token.asNumber(Fn.conditional(props.enabled, 1, 0))),
      name: props.name,
      description: 'Load balancer of the API (and of Grafana, when public)',
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      rule: [
        {
          name: 'rate-limit-per-client-address',
          priority: 0,
          action: { block: {} },
          statement: [
            {
              rate_based_statement: [
                { limit: props.rateLimit, aggregate_key_type: 'IP', evaluation_window_sec: 300 },
              ],
            },
          ],
          visibilityConfig: visibility('rate-limit-per-client-address'),
        },
        ...MANAGED_RULE_GROUPS.map((name, index) => managed(name, 10 * (index + 1))),
      ],
      visibilityConfig: visibility(props.name),
    });
    this.webAclArn = Token.asString(
      Fn.conditional(props.enabled, instance(webAcl, '0', 'arn'), ''),
    );
  }
}
