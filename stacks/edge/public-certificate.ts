import { AcmCertificate } from '@cdktf/provider-aws/lib/acm-certificate';
import { AcmCertificateValidation } from '@cdktf/provider-aws/lib/acm-certificate-validation';
import { DataAwsRoute53Zone } from '@cdktf/provider-aws/lib/data-aws-route53-zone';
import { Route53Record } from '@cdktf/provider-aws/lib/route53-record';
import { Fn, type IResolvable, TerraformCount, TerraformIterator, Token } from 'cdktf';
import { Construct } from 'constructs';
import { instance } from '../lib/references';

export interface PublicCertificateProps {
  /** Condition that creates everything (a DNS zone is given). */
  readonly enabled: IResolvable;
  /** Public Route 53 hosted zone of the account holding the names. */
  readonly zoneName: string;
  /** The names the certificate covers, the first as its subject; known at plan time. */
  readonly hostnames: readonly [string, ...string[]];
}

/**
 * A public ACM certificate for the hostnames, validated by DNS in the hosted zone: one CNAME per
 * name, read from what ACM asks for. ACM renews it by itself as long as those records stay, so
 * the certificate never expires while the environment exists. `certificateArn` is only known
 * once ACM has validated it, so a listener never gets a certificate that is still pending.
 */
export class PublicCertificate extends Construct {
  /** The hosted zone's id; "" when disabled. */
  readonly zoneId: string;
  /** The validated certificate's ARN; "" when disabled. */
  readonly certificateArn: string;

  constructor(scope: Construct, id: string, props: PublicCertificateProps) {
    super(scope, id);
    const count = TerraformCount.of(Token.asNumber(Fn.conditional(props.enabled, 1, 0)));
    const [subject, ...alternatives] = props.hostnames;

    const zone = new DataAwsRoute53Zone(this, 'zone', {
      count,
      name: props.zoneName,
      privateZone: false,
    });
    const certificate = new AcmCertificate(this, 'certificate', {
      count,
      domainName: subject,
      // One expression (not a list of them): the deploy-role test derives ACM's answer from it.
      subjectAlternativeNames: Token.asList(Fn.tolist(alternatives)),
      validationMethod: 'DNS',
      // A new name set gets its certificate before the old one is released by the listener.
      lifecycle: { createBeforeDestroy: true },
    });

    // Keyed by the names (known at plan time), not by ACM's answer (known after apply).
    const names = TerraformIterator.fromList(
      Token.asList(Fn.conditional(props.enabled, [...props.hostnames], [])),
    );
    const asked = (attribute: string) =>
      `\${one([for o in ${certificate.terraformResourceType}.${certificate.friendlyUniqueId}[0].domain_validation_options : o.${attribute} if o.domain_name == ${names.value}])}`;
    const validationRecords = new Route53Record(this, 'validation_record', {
      forEach: names,
      zoneId: instance(zone, '0', 'zone_id'),
      name: asked('resource_record_name'),
      type: asked('resource_record_type'),
      records: [asked('resource_record_value')],
      ttl: 300,
      // A certificate re-created for the same names is asked for the same records.
      allowOverwrite: true,
    });
    const validation = new AcmCertificateValidation(this, 'validation', {
      count,
      certificateArn: instance(certificate, 'count.index', 'arn'),
      validationRecordFqdns: Token.asList(
        `\${[for record in ${validationRecords.terraformResourceType}.${validationRecords.friendlyUniqueId} : record.fqdn]}`,
      ),
      timeouts: { create: '30m' },
    });

    // Only the chosen branch of a conditional is evaluated: no index error without a zone.
    this.zoneId = Token.asString(Fn.conditional(props.enabled, instance(zone, '0', 'zone_id'), ''));
    this.certificateArn = Token.asString(
      Fn.conditional(props.enabled, instance(validation, '0', 'certificate_arn'), ''),
    );
  }
}
