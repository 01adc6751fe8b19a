import { Fn } from 'cdktf';

/** Grafana's Service: the kube-prometheus-stack release (`kube-prometheus-stack`) + `-grafana`. */
export const GRAFANA_SERVICE = 'kube-prometheus-stack-grafana';
/** Where `make grafana ENV=…` opens Grafana (kubectl port-forward through the SSM tunnel). */
export const GRAFANA_LOCAL_URL = 'http://localhost:3000';
/** Most addresses one listener rule may match besides its host and path (ALB: 5 values a rule). */
export const GRAFANA_ALLOWED_CIDRS_MAX = 3;

export interface PublicGrafana {
  readonly groupName: string;
  readonly certificateArn: string;
  readonly tlsPolicy: string;
  readonly loadBalancerAttributes: string;
  /** "" when the environment has no WAF. */
  readonly webAclArn: string;
  readonly allowedCidrs: string[];
  readonly cognitoUserPoolArn: string;
  readonly cognitoClientId: string;
  readonly cognitoDomain: string;
}

/**
 * Annotations of Grafana's Ingress when it is public. The load balancer's own settings first:
 * they are exclusive in the Ingress group, so they equal the API's (app/chart ingress.yaml, with
 * the same edge outputs; stacks/test/helm-render.test.ts compares them). Then Grafana's rule: the
 * load balancer signs users in with Cognito before anything reaches Grafana, and forwards only
 * requests from the allow-list (a source-ip condition: `inbound-cidrs`, the security group of the
 * whole load balancer, would close the API too).
 */
export function publicGrafanaAnnotations(grafana: PublicGrafana): Record<string, string> {
  return {
    'alb.ingress.kubernetes.io/scheme': 'internet-facing',
    'alb.ingress.kubernetes.io/target-type': 'ip',
    'alb.ingress.kubernetes.io/group.name': grafana.groupName,
    'alb.ingress.kubernetes.io/certificate-arn': grafana.certificateArn,
    // jsonencode: CDKTF would not escape the quotes of a literal inside yamlencode().
    'alb.ingress.kubernetes.io/listen-ports': Fn.jsonencode([{ HTTP: 80 }, { HTTPS: 443 }]),
    'alb.ingress.kubernetes.io/ssl-redirect': '443',
    'alb.ingress.kubernetes.io/ssl-policy': grafana.tlsPolicy,
    'alb.ingress.kubernetes.io/load-balancer-attributes': grafana.loadBalancerAttributes,
    'alb.ingress.kubernetes.io/wafv2-acl-arn': Fn.coalesce([grafana.webAclArn, 'none']),
    'alb.ingress.kubernetes.io/healthcheck-path': '/api/health',
    'alb.ingress.kubernetes.io/auth-type': 'cognito',
    'alb.ingress.kubernetes.io/auth-idp-cognito': Fn.jsonencode({
      userPoolARN: grafana.cognitoUserPoolArn,
      userPoolClientID: grafana.cognitoClientId,
      userPoolDomain: grafana.cognitoDomain,
    }),
    'alb.ingress.kubernetes.io/auth-on-unauthenticated-request': 'authenticate',
    'alb.ingress.kubernetes.io/auth-scope': 'openid email',
    // Eight hours: a working day, then Cognito asks again.
    'alb.ingress.kubernetes.io/auth-session-timeout': '28800',
    [`alb.ingress.kubernetes.io/conditions.${GRAFANA_SERVICE}`]: Fn.jsonencode([
      { field: 'source-ip', sourceIpConfig: { values: grafana.allowedCidrs } },
    ]),
  };
}
