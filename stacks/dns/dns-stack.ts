import { DataAwsLb } from '@cdktf/provider-aws/lib/data-aws-lb';
import { DataAwsLbs } from '@cdktf/provider-aws/lib/data-aws-lbs';
import { Route53Record } from '@cdktf/provider-aws/lib/route53-record';
import { Fn, Op, TerraformCount, TerraformIterator, Token } from 'cdktf';
import type { Construct } from 'constructs';
import { Input, Rule, dnsName } from '../lib/inputs';
import { EKS_CLUSTER_NAME_PATTERN } from '../lib/cluster-connection';
import { loadBalancerGroupInput } from '../lib/kubernetes-names';
import { ModuleStack } from '../lib/module-stack';
import { instance } from '../lib/references';

/** Ingress group of the API's and Grafana's Ingresses: one load balancer (platform, app inputs). */

/**
 * The names of the public entry, applied after the app layer: the load balancer exists only once
 * the API's Ingress does (the AWS Load Balancer Controller makes it), and the app layer returns
 * only when the load balancer forwards to ready pods. Looked up by the controller's tags, it gets
 * Route 53 alias records for the API and, when Grafana is public, for Grafana.
 */
export class DnsStack extends ModuleStack {
  constructor(scope: Construct, id: string) {
    super(scope, id, {
      purpose:
        'The public names of an environment, once its load balancer exists (after the app layer): ' +
        'Route 53 alias records of the API, and of Grafana when it is public, to the load ' +
        'balancer of the Ingress group; and the URL of the API: https://<name> with a DNS zone, ' +
        "else plain http:// on the load balancer's own name.",
    });

    const clusterName = Input.string(this, 'cluster_name', {
      description:
        'EKS cluster whose load balancer controller made the load balancer (cluster output `cluster_name`).',
      validation: [Rule.matches(EKS_CLUSTER_NAME_PATTERN, 'an EKS cluster name')],
    });
    const groupName = loadBalancerGroupInput(
      this,
      'Ingress group of the load balancer (platform and app input `alb_group_name`).',
    );
    const zoneId = Input.string(this, 'dns_zone_id', {
      description:
        'Route 53 hosted zone of the names (edge output `dns_zone_id`); "" writes no record.',
      default: '',
      validation: [
        Rule.matches('^(Z[A-Z0-9]{1,31})?$', 'empty or a hosted zone id such as Z0123ABC'),
      ],
    });
    const apiHostname = Input.string(this, 'api_hostname', {
      description: 'Name of the API (edge output `api_hostname`); "" without a DNS zone.',
      default: '',
      validation: [
        dnsName(true),
        Rule.custom(
          (v) => `(${v} == "") == (var.dns_zone_id == "")`,
          'Must be given with dns_zone_id, and only with it.',
        ),
      ],
    });
    const grafanaHostname = Input.string(this, 'grafana_hostname', {
      description:
        'Name of Grafana when it is public (platform output `grafana_public_hostname`); "": Grafana has no record.',
      default: '',
      validation: [
        dnsName(true),
        Rule.custom(
          (v) => `${v} == "" || var.dns_zone_id != ""`,
          'A public Grafana needs dns_zone_id.',
        ),
      ],
    });

    // Found by the tags the controller puts on what it makes; none before the first app apply.
    const candidates = new DataAwsLbs(this, 'load_balancers', {
      tags: {
        'elbv2.k8s.aws/cluster': clusterName.stringValue,
        'ingress.k8s.aws/stack': groupName.stringValue,
      },
    });
    const found = Op.gte(Fn.lengthOf(candidates.arns), 1);
    const loadBalancer = new DataAwsLb(this, 'load_balancer', {
      count: TerraformCount.of(Token.asNumber(Fn.conditional(found, 1, 0))),
      // one(): two load balancers for one group would be a controller bug worth stopping on.
      arn: Fn.one(candidates.arns),
    });
    const dnsNameOfLb = Token.asString(
      Fn.conditional(found, instance(loadBalancer, '0', 'dns_name'), ''),
    );

    const named = Op.gte(Fn.lengthOf(zoneId.stringValue), 1);
    const hostnames = TerraformIterator.fromList(
      Token.asList(
        Fn.conditional(
          Op.and(named, found),
          Fn.compact([apiHostname.stringValue, grafanaHostname.stringValue]),
          [],
        ),
      ),
    );
    new Route53Record(this, 'name', {
      forEach: hostnames,
      zoneId: zoneId.stringValue,
      name: hostnames.value,
      type: 'A',
      alias: {
        name: instance(loadBalancer, '0', 'dns_name'),
        zoneId: instance(loadBalancer, '0', 'zone_id'),
        evaluateTargetHealth: true,
      },
    });

    this.output('api_url', {
      value: Fn.conditional(
        named,
        `https://${apiHostname.stringValue}`,
        Fn.conditional(found, Fn.format('http://%s', [dnsNameOfLb]), ''),
      ),
      description:
        'Where the API answers: https://<api_hostname> with a DNS zone; else plain HTTP on the load balancer\'s own name (development); "" before the app layer made the load balancer.',
    });
    this.output('load_balancer_dns_name', {
      value: dnsNameOfLb,
      description: 'DNS name of the load balancer the Ingresses share; "" before it exists.',
    });
  }
}
