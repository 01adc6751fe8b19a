import { CLOUDWATCH_RETENTION_DAYS, Input, Rule } from '../lib/inputs';
import type { ModuleStack } from '../lib/module-stack';

/** Every input of the network module (variables.tf). */
export function networkInputs(stack: ModuleStack) {
  return {
    vpcCidr: Input.string(stack, 'vpc_cidr', {
      description: 'IPv4 range of the VPC, between /16 and /20, e.g. 10.20.0.0/16.',
      validation: [
        Rule.cidr(),
        Rule.custom(
          (v) =>
            `try(tonumber(split("/", ${v})[1]) >= 16 && tonumber(split("/", ${v})[1]) <= 20, false)`,
          'The VPC prefix length must be between /16 and /20.',
        ),
      ],
    }),
    azs: Input.stringList(stack, 'azs', {
      description:
        'Availability zones to spread the subnets over (2 or 3), e.g. ["eu-west-3a", "eu-west-3b"]. ' +
        'Given explicitly so a plan never changes when AWS adds a zone.',
      validation: [
        Rule.lengthBetween(2, 3),
        Rule.distinct(),
        Rule.eachMatches(
          '^[a-z]{2}(-[a-z]+)+-[0-9][a-z]$',
          'an availability zone name such as eu-west-3a',
        ),
      ],
    }),
    singleNat: Input.bool(stack, 'single_nat_gateway', {
      description:
        'true: one NAT gateway shared by every zone (cheap, development). false: one per zone, so ' +
        'losing a zone does not cut the others from the internet (staging, production).',
      default: false,
    }),
    flowLogRetention: Input.number(stack, 'flow_log_retention_days', {
      description: 'Days CloudWatch keeps the VPC flow logs.',
      default: 90,
      validation: [Rule.oneOf(CLOUDWATCH_RETENTION_DAYS)],
    }),
    interfaceEndpoints: Input.bool(stack, 'enable_interface_endpoints', {
      description:
        'Create interface endpoints for ECR (api, dkr), STS, Secrets Manager and Systems Manager ' +
        '(ssm, ssmmessages, ec2messages: the cluster tunnel) in the private subnets: traffic stays ' +
        'inside AWS and off the NAT (about 7 USD per endpoint, zone and month).',
      default: true,
    }),
  };
}
