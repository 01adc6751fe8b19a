import type { Environment } from '../lib/module-stack';
import {
  DependencyOutput,
  type Hcl,
  type LiveTree,
  Unresolved,
  localsOf,
  resolveUnit,
} from '../../live/test/live-contract';

/**
 * Inputs of the app module for each environment: exactly what live/<env>/app/terragrunt.hcl
 * gives it (env.hcl data through live/_units/app.hcl, root.hcl's common inputs), read with the
 * live contract's HCL evaluator. What only exists at deploy time is replaced by placeholders:
 * the outputs of the units it depends on (account and ARNs of env.hcl, subnets of the network
 * module's address plan for env.hcl's vpc_cidr) and the image tag (the commit being deployed).
 *
 * The tests evaluate the module's Helm values with them (real Terraform, so the module's input
 * validation runs on every environment's live values), validate the result against
 * app/chart/values.schema.json and compare it with app/chart/values-<env>.yaml, which CI renders
 * with `helm template`. So the values CI checks are the values each environment deploys.
 */
export function exampleAppInputs(
  tree: LiveTree,
  environment: Environment,
): Record<string, unknown> {
  const env = localsOf(tree.files.get(`live/${environment}/env.hcl`));
  // Without a pinned account_id the deploy uses the caller's: any account id serves the examples.
  const account = typeof env.account_id === 'string' ? env.account_id : '123456789012';
  const region = stringAt(env, 'region');
  const network = (env.network ?? {}) as Hcl;
  const vpcCidr = stringAt(network, 'vpc_cidr');
  const zones = Array.isArray(network.azs) ? network.azs.length : 0;
  const prefix = `payflow-${environment}`;
  // The edge module's outputs for env.hcl's dns and load_balancer (stacks/edge/edge-stack.ts).
  const dns = (env.dns ?? {}) as Hcl;
  const loadBalancer = (env.load_balancer ?? {}) as Hcl;
  const zone = String(dns.zone ?? '');
  const domain = [dns.subdomain, zone].filter((label) => label !== '' && label !== undefined);
  const named = zone !== '';
  const placeholders: Record<string, Record<string, unknown>> = {
    cluster: {
      cluster_name: prefix,
      cluster_endpoint: 'https://0123456789ABCDEF0123456789ABCDEF.gr7.eu-west-3.eks.amazonaws.com',
      cluster_certificate_authority_data: 'Y2hhbmdlLW1l',
    },
    network: {
      public_subnet_cidr_blocks: range(zones).map((i) => publicSubnetCidr(vpcCidr, i)),
      data_subnet_cidr_blocks: range(zones).map((i) => dataSubnetCidr(vpcCidr, i)),
    },
    data: {
      db_address: `${prefix}-postgres.abcdefghijkl.${region}.rds.amazonaws.com`,
      db_port: 5432,
      db_name: 'payflow',
      db_username: 'payflow_admin',
      db_api_username: 'payflow_api',
      db_master_secret_arn: `arn:aws:secretsmanager:${region}:${account}:secret:rds!db-00000000-0000-0000-0000-000000000000-AbCdEf`,
      redis_primary_endpoint: `master.${prefix}-redis.abcdef.euw3.cache.amazonaws.com`,
      redis_port: 6379,
      redis_api_username: `${prefix}-redis-api`,
      redis_replication_group_id: `${prefix}-redis`,
    },
    platform: {
      cluster_secret_store_name: 'aws-secrets-manager',
      monitoring_namespace: 'monitoring',
    },
    shared: { ecr_repository_url: `${account}.dkr.ecr.${region}.amazonaws.com/payflow-api` },
    edge: {
      api_hostname: named ? ['api', ...domain].join('.') : '',
      certificate_arn: named
        ? `arn:aws:acm:${region}:${account}:certificate/00000000-0000-0000-0000-000000000000`
        : '',
      tls_policy: loadBalancer.tls_policy,
      load_balancer_attributes: [
        `deletion_protection.enabled=${String(loadBalancer.deletion_protection)}`,
        `access_logs.s3.enabled=${String(Number(loadBalancer.access_log_days) >= 1)}`,
        `access_logs.s3.bucket=${prefix}-alb-logs-${account}`,
        'access_logs.s3.prefix=load-balancer',
        'routing.http.drop_invalid_header_fields.enabled=true',
      ].join(','),
      web_acl_arn:
        loadBalancer.waf === true
          ? `arn:aws:wafv2:${region}:${account}:regional/webacl/${prefix}-load-balancer/00000000-0000-0000-0000-000000000000`
          : '',
    },
  };
  // IMAGE_TAG, or the commit `git rev-parse HEAD` gives at deploy time.
  const deployTime: Record<string, unknown> = { image_tag: '3f2c1a9' };

  const unit = resolveUnit(tree, `live/${environment}/app`);
  const variables = tree.modules.get('app')?.variables;
  if (!variables) throw new Error('modules/app/main.tf.json is not in the tree');
  const inputs: Record<string, unknown> = {};
  for (const [name, { value }] of unit.inputs) {
    // Terraform ignores a TF_VAR_* the module does not declare (root.hcl's AWS tags).
    if (!variables.has(name)) continue;
    if (name in deployTime) {
      inputs[name] = deployTime[name];
    } else if (value instanceof DependencyOutput) {
      const placeholder = placeholders[value.dependency]?.[value.output];
      if (placeholder === undefined) {
        throw new Error(
          `live/${environment}/app input ${name}: no example for dependency.${value.dependency}.outputs.${value.output}`,
        );
      }
      inputs[name] = placeholder;
    } else if (value instanceof Unresolved || value === undefined) {
      throw new Error(
        `live/${environment}/app input ${name} does not evaluate (${value instanceof Unresolved ? value.expression : 'undefined'})`,
      );
    } else {
      inputs[name] = value;
    }
  }
  return inputs;
}

function stringAt(block: Hcl, key: string): string {
  const value = block[key];
  if (typeof value !== 'string') throw new Error(`env.hcl: ${key} is not a string`);
  return value;
}

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/**
 * The network module's address plan (stacks/network/network-stack.ts), for IPv4:
 * public cidrsubnet(cidrsubnet(vpc, 2, 3), 4, i), data cidrsubnet(cidrsubnet(vpc, 2, 3), 4, 4 + i),
 * private cidrsubnet(vpc, 2, i).
 */
export const publicSubnetCidr = (vpc: string, zone: number): string =>
  cidrSubnet(cidrSubnet(vpc, 2, 3), 4, zone);
export const dataSubnetCidr = (vpc: string, zone: number): string =>
  cidrSubnet(cidrSubnet(vpc, 2, 3), 4, 4 + zone);
export const privateSubnetCidr = (vpc: string, zone: number): string => cidrSubnet(vpc, 2, zone);

/** Terraform's cidrsubnet() for IPv4. */
export function cidrSubnet(cidr: string, newBits: number, netNum: number): string {
  const { address, bits } = parseCidr(cidr);
  const length = bits + newBits;
  if (length > 32 || netNum >= 2 ** newBits)
    throw new Error(`cidrsubnet(${cidr}, ${newBits}, ${netNum})`);
  const subnet = address + netNum * 2 ** (32 - length);
  return `${formatAddress(subnet)}/${length}`;
}

/** Whether two IPv4 CIDR blocks share an address. */
export function cidrsOverlap(a: string, b: string): boolean {
  const x = parseCidr(a);
  const y = parseCidr(b);
  const end = (c: { address: number; bits: number }) => c.address + 2 ** (32 - c.bits) - 1;
  return x.address <= end(y) && y.address <= end(x);
}

function parseCidr(cidr: string): { address: number; bits: number } {
  const match = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(cidr);
  if (!match) throw new Error(`not an IPv4 CIDR: ${cidr}`);
  const [a, b, c, d, bits] = match.slice(1).map(Number) as [number, number, number, number, number];
  const address = ((a * 256 + b) * 256 + c) * 256 + d;
  const size = 2 ** (32 - bits);
  return { address: Math.floor(address / size) * size, bits };
}

function formatAddress(address: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(address / 2 ** shift) % 256).join('.');
}
