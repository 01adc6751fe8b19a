// Each policy control passes on the real synthesized modules, and catches a bad config
// made by mutating a deep copy of them (a control that cannot fail proves nothing).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { CONTROLS, type Control } from './controls';
import { MODULES_DIR, evaluate } from './policy-engine';
import {
  type Block,
  type TerraformModule,
  block,
  blocks,
  loadModules,
  resources,
} from './terraform-config';

const realModules = loadModules(MODULES_DIR);

interface Target {
  readonly module: TerraformModule;
  readonly name: string;
  readonly body: Block;
}

/** A deep copy of the real modules, to be made bad. */
function copy(): TerraformModule[] {
  return realModules.map((m) => ({ name: m.name, tf: structuredClone(m.tf) }));
}

/** The first resource (or data source) of a type, optionally with a name or in a module. */
function find(
  modules: TerraformModule[],
  type: string,
  options: { name?: string; module?: string; mode?: 'resource' | 'data' } = {},
): Target {
  const found = resources(modules, type, options.mode ?? 'resource').find(
    (r) =>
      (options.name === undefined || r.name === options.name) &&
      (options.module === undefined || r.module.name === options.module),
  );
  if (!found) throw new Error(`no ${type} ${options.name ?? ''} in the modules to mutate`);
  return found;
}

function addResource(module: TerraformModule, type: string, name: string, body: Block): void {
  const byType = module.tf['resource'] as Record<string, Record<string, Block>>;
  byType[type] = { ...(byType[type] ?? {}), [name]: body };
}

function variableBlock(module: TerraformModule, name: string): Block {
  const found = (module.tf['variable'] as Record<string, Block>)[name];
  if (!found) throw new Error(`no variable ${name} in ${module.name}`);
  return found;
}

/** A nested block that the mutation needs; its absence fails the test. */
function nested(parent: Block, ...path: string[]): Block {
  const found = block(parent, ...path);
  if (!found) throw new Error(`no ${path.join('.')} block to mutate`);
  return found;
}

function first<T>(items: readonly T[], what: string): T {
  const [item] = items;
  if (item === undefined) throw new Error(`no ${what} to mutate`);
  return item;
}

function removeResource(target: Target): void {
  const byType = target.module.tf['resource'] as Record<string, Record<string, Block>>;
  const type = Object.keys(byType).find((t) => byType[t]?.[target.name] === target.body);
  if (!type) throw new Error(`${target.name} is not a resource`);
  byType[type] = Object.fromEntries(
    Object.entries(byType[type] ?? {}).filter(([name]) => name !== target.name),
  );
}

/** The `sub` condition of the first statement of a GitHub trust document. */
function subjectCondition(modules: TerraformModule[], document: string): Block {
  const statement = first(blocks(trustDocument(modules, document).body['statement']), 'statement');
  return first(
    blocks(statement['condition']).filter((c) => String(c['variable']).endsWith(':sub')),
    'sub condition',
  );
}

function controlById(id: string): Control {
  return first(
    CONTROLS.filter((c) => c.id === id),
    `control ${id}`,
  );
}

/** A statement of the deploy role's policy, by sid. */
function deployStatement(modules: TerraformModule[], sid: string): Block {
  const permissions = find(modules, 'aws_iam_policy_document', {
    mode: 'data',
    name: 'github_deploy_permissions',
  });
  return first(
    blocks(permissions.body['statement']).filter((s) => s['sid'] === sid),
    `deploy statement ${sid}`,
  );
}

function moduleNamed(modules: TerraformModule[], name: string): TerraformModule {
  return first(
    modules.filter((m) => m.name === name),
    `module ${name}`,
  );
}

function outputBlock(module: TerraformModule, name: string): Block {
  const found = (module.tf['output'] as Record<string, Block> | undefined)?.[name];
  if (!found) throw new Error(`no output ${name} in ${module.name}`);
  return found;
}

/** Drops the staging-and-production requirement of an input (Rule.outsideDevelopment). */
function withoutDevelopmentGuard(input: Block): void {
  const before = blocks(input['validation']).length;
  input['validation'] = blocks(input['validation']).filter(
    (v) => !String(v['condition']).includes('var.environment == "development"'),
  );
  if (blocks(input['validation']).length === before) throw new Error('no development guard');
}

/** Each case, applied to the first resource of `type` in a fresh copy, is reported on it alone. */
function catchesEach(
  id: string,
  type: string,
  cases: readonly [what: string, mutate: (target: Target) => void][],
): void {
  for (const [what, mutate] of cases) {
    const modules = copy();
    const target = find(modules, type);
    mutate(target);
    expect(
      controlById(id)
        .check(modules)
        .map((f) => f.address),
      what,
    ).to.deep.equal([`${target.module.name}:${type}.${target.name}`]);
  }
}

const trustDocument = (modules: TerraformModule[], name: string) =>
  find(modules, 'aws_iam_policy_document', { mode: 'data', name });

/** The mutation that each control must catch, and where it must report it. */
const BREAKAGES: Record<string, { what: string; mutate: (m: TerraformModule[]) => string }> = {
  'ENC-RDS-STORAGE': {
    what: 'storage_encrypted = false',
    mutate: (m) => {
      const db = find(m, 'aws_db_instance');
      db.body['storage_encrypted'] = false;
      return db.name;
    },
  },
  'ENC-RDS-INSIGHTS': {
    what: 'Performance Insights with the AWS-managed key',
    mutate: (m) => {
      const db = find(m, 'aws_db_instance');
      delete db.body['performance_insights_kms_key_id'];
      return db.name;
    },
  },
  'ENC-RDS-SECRET': {
    what: 'a master password in the configuration',
    mutate: (m) => {
      const db = find(m, 'aws_db_instance');
      db.body['password'] = 'change-me';
      return db.name;
    },
  },
  'ENC-CACHE-REST': {
    what: 'Redis without at-rest encryption',
    mutate: (m) => {
      const rg = find(m, 'aws_elasticache_replication_group');
      rg.body['at_rest_encryption_enabled'] = 'false';
      return rg.name;
    },
  },
  'ENC-S3': {
    what: 'a bucket without its encryption configuration',
    mutate: (m) => {
      const config = find(m, 'aws_s3_bucket_server_side_encryption_configuration');
      const bucket = String(config.body['bucket']).replace(
        /^\$\{aws_s3_bucket\.([^.]+)\.id\}$/,
        '$1',
      );
      removeResource(config);
      return bucket;
    },
  },
  'ENC-EBS': {
    what: 'a launch template with an unencrypted volume',
    mutate: (m) => {
      const lt = find(m, 'aws_launch_template');
      const ebs = nested(lt.body, 'block_device_mappings', 'ebs');
      ebs['encrypted'] = 'false';
      return lt.name;
    },
  },
  'ENC-EKS-SECRETS': {
    what: 'an EKS cluster without secrets encryption',
    mutate: (m) => {
      const cluster = find(m, 'aws_eks_cluster');
      delete cluster.body['encryption_config'];
      return cluster.name;
    },
  },
  'ENC-LOGS': {
    what: 'a log group without a KMS key',
    mutate: (m) => {
      const group = find(m, 'aws_cloudwatch_log_group', { module: 'network' });
      delete group.body['kms_key_id'];
      return group.name;
    },
  },
  'ENC-ECR': {
    what: 'a repository with AES256 encryption',
    mutate: (m) => {
      const repo = find(m, 'aws_ecr_repository');
      repo.body['encryption_configuration'] = [{ encryption_type: 'AES256' }];
      return repo.name;
    },
  },
  'ENC-SECRETS-MANAGER': {
    what: 'a secret with the default key',
    mutate: (m) => {
      const secret = find(m, 'aws_secretsmanager_secret');
      delete secret.body['kms_key_id'];
      return secret.name;
    },
  },
  'ENC-SNS': {
    what: 'the alarm topic without its KMS key',
    mutate: (m) => {
      const topic = find(m, 'aws_sns_topic', { module: 'data' });
      delete topic.body['kms_master_key_id'];
      return topic.name;
    },
  },
  'KMS-ROTATION': {
    what: 'a key without rotation',
    mutate: (m) => {
      const key = find(m, 'aws_kms_key', { module: 'cluster' });
      key.body['enable_key_rotation'] = false;
      return key.name;
    },
  },
  'TLS-RDS': {
    what: 'a parameter group without rds.force_ssl',
    mutate: (m) => {
      const group = find(m, 'aws_db_parameter_group');
      group.body['parameter'] = blocks(group.body['parameter']).filter(
        (p) => p['name'] !== 'rds.force_ssl',
      );
      return find(m, 'aws_db_instance').name;
    },
  },
  'TLS-CACHE': {
    what: 'Redis accepting clear text (transit_encryption_mode = preferred)',
    mutate: (m) => {
      const rg = find(m, 'aws_elasticache_replication_group');
      rg.body['transit_encryption_mode'] = 'preferred';
      return rg.name;
    },
  },
  'STATE-NO-SECRETS': {
    what: 'the Redis AUTH token of before IAM authentication (auth_token from a secret version)',
    mutate: (m) => {
      const rg = find(m, 'aws_elasticache_replication_group');
      rg.body['auth_token'] = '${aws_secretsmanager_secret_version.redis_auth.secret_string}';
      return rg.name;
    },
  },
  'TLS-S3': {
    what: 'a bucket policy without the aws:SecureTransport condition',
    mutate: (m) => {
      const policy = find(m, 'aws_s3_bucket_policy');
      const document = String(policy.body['policy']).replace(
        /^\$\{data\.aws_iam_policy_document\.([^.]+)\.json\}$/,
        '$1',
      );
      const source = trustDocument(m, document);
      for (const statement of blocks(source.body['statement'])) statement['condition'] = [];
      return String(policy.body['bucket']).replace(/^\$\{aws_s3_bucket\.([^.]+)\.id\}$/, '$1');
    },
  },
  'PUB-RDS': {
    what: 'publicly_accessible = true',
    mutate: (m) => {
      const db = find(m, 'aws_db_instance');
      db.body['publicly_accessible'] = true;
      return db.name;
    },
  },
  'PUB-S3-BLOCK': {
    what: 'block_public_policy = false',
    mutate: (m) => {
      const pab = find(m, 'aws_s3_bucket_public_access_block');
      pab.body['block_public_policy'] = false;
      return String(pab.body['bucket']).replace(/^\$\{aws_s3_bucket\.([^.]+)\.id\}$/, '$1');
    },
  },
  'PUB-S3-OWNERSHIP': {
    what: 'ACLs re-enabled (ObjectWriter)',
    mutate: (m) => {
      const controls = find(m, 'aws_s3_bucket_ownership_controls');
      nested(controls.body, 'rule')['object_ownership'] = 'ObjectWriter';
      return String(controls.body['bucket']).replace(/^\$\{aws_s3_bucket\.([^.]+)\.id\}$/, '$1');
    },
  },
  'PUB-EKS-ENDPOINT': {
    what: 'a public endpoint open to 0.0.0.0/0',
    mutate: (m) => {
      const cluster = find(m, 'aws_eks_cluster');
      const vpc = nested(cluster.body, 'vpc_config');
      vpc['endpoint_public_access'] = true;
      vpc['public_access_cidrs'] = ['0.0.0.0/0'];
      return cluster.name;
    },
  },
  'NET-OPEN-INGRESS': {
    what: 'PostgreSQL open to the internet',
    mutate: (m) => {
      const group = find(m, 'aws_security_group', { module: 'data' });
      addResource(group.module, 'aws_vpc_security_group_ingress_rule', 'internet', {
        security_group_id: `\${aws_security_group.${group.name}.id}`,
        cidr_ipv4: '0.0.0.0/0',
        from_port: 5432,
        to_port: 5432,
        ip_protocol: 'tcp',
      });
      return 'internet';
    },
  },
  'NET-DATA-SOURCES': {
    what: 'Redis admitting a private CIDR range instead of the node security group',
    mutate: (m) => {
      const rule = find(m, 'aws_vpc_security_group_ingress_rule', {
        module: 'data',
        name: 'redis_ingress_from_nodes',
      });
      delete rule.body['referenced_security_group_id'];
      rule.body['cidr_ipv4'] = '10.0.0.0/8';
      return rule.name;
    },
  },
  'NET-DEFAULT-SG': {
    what: 'rules in the default security group',
    mutate: (m) => {
      const group = find(m, 'aws_default_security_group');
      group.body['ingress'] = [{ protocol: '-1', self: true, from_port: 0, to_port: 0 }];
      return String(group.body['vpc_id']).replace(/^\$\{aws_vpc\.([^.]+)\.id\}$/, '$1');
    },
  },
  'NET-FLOW-LOGS': {
    what: 'flow logs of rejected traffic only',
    mutate: (m) => {
      const flowLog = find(m, 'aws_flow_log');
      flowLog.body['traffic_type'] = 'REJECT';
      return String(flowLog.body['vpc_id']).replace(/^\$\{aws_vpc\.([^.]+)\.id\}$/, '$1');
    },
  },
  'LOG-RETENTION': {
    what: 'a log group kept forever',
    mutate: (m) => {
      const group = find(m, 'aws_cloudwatch_log_group', { module: 'cluster' });
      delete group.body['retention_in_days'];
      return group.name;
    },
  },
  'LOG-EKS-CONTROL-PLANE': {
    what: 'no audit log',
    mutate: (m) => {
      const cluster = find(m, 'aws_eks_cluster');
      cluster.body['enabled_cluster_log_types'] = ['api'];
      return cluster.name;
    },
  },
  'LOG-RDS-EXPORTS': {
    what: 'no RDS log export',
    mutate: (m) => {
      const db = find(m, 'aws_db_instance');
      db.body['enabled_cloudwatch_logs_exports'] = [];
      return db.name;
    },
  },
  'EC2-IMDSV2': {
    what: 'IMDSv1 allowed',
    mutate: (m) => {
      const lt = find(m, 'aws_launch_template');
      nested(lt.body, 'metadata_options')['http_tokens'] = 'optional';
      return lt.name;
    },
  },
  'EC2-NO-INGRESS': {
    what: 'SSH into the tunnel instance from inside the VPC',
    mutate: (m) => {
      const group = find(m, 'aws_security_group', { name: 'cluster_access_security_group' });
      addResource(group.module, 'aws_vpc_security_group_ingress_rule', 'ssh_from_vpc', {
        security_group_id: `\${aws_security_group.${group.name}.id}`,
        cidr_ipv4: '10.0.0.0/8',
        from_port: 22,
        to_port: 22,
        ip_protocol: 'tcp',
      });
      return 'ssh_from_vpc';
    },
  },
  'IAM-READABLE': {
    what: 'a policy built with jsonencode()',
    mutate: (m) => {
      const policy = find(m, 'aws_iam_role_policy', { module: 'data' });
      policy.body['policy'] = '${jsonencode({Statement = []})}';
      return policy.name;
    },
  },
  'IAM-NO-STAR': {
    what: 'Action * on Resource *',
    mutate: (m) => {
      const policy = find(m, 'aws_iam_role_policy', { module: 'cluster' });
      policy.body['policy'] = JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
      });
      return policy.name;
    },
  },
  'IAM-OIDC-AUDIENCE': {
    what: 'a GitHub trust without the audience check',
    mutate: (m) => {
      const trust = trustDocument(m, 'github_deploy_trust');
      const statement = first(blocks(trust.body['statement']), 'statement');
      statement['condition'] = blocks(statement['condition']).filter(
        (c) => !String(c['variable']).endsWith(':aud'),
      );
      return 'github_deploy_role';
    },
  },
  'IAM-OIDC-REPOSITORY': {
    what: 'a GitHub trust open to every repository',
    mutate: (m) => {
      const sub = subjectCondition(m, 'github_plan_trust');
      sub['values'] = ['repo:*'];
      return 'github_plan_role';
    },
  },
  'IAM-OIDC-DEPLOY-SUBJECTS': {
    what: 'the deploy role trusting pull requests',
    mutate: (m) => {
      const sub = subjectCondition(m, 'github_deploy_trust');
      sub['values'] = [
        'repo:acme/payflow-platform:ref:refs/heads/main',
        'repo:acme/payflow-platform:pull_request',
      ];
      return 'github_deploy_role';
    },
  },
  'IAM-OIDC-WILDCARD-READ-ONLY': {
    what: 'the plan role allowed to pass roles',
    mutate: (m) => {
      const permissions = trustDocument(m, 'github_plan_permissions');
      (permissions.body['statement'] as Block[]).push({
        actions: ['iam:PassRole'],
        resources: ['*'],
      });
      return 'github_plan_role';
    },
  },
  'IAM-POD-IDENTITY-TRUST': {
    what: 'a Pod Identity role trusted without its namespace and service account conditions',
    mutate: (m) => {
      const role = find(m, 'aws_iam_role', { name: 'loki_access_role' });
      const trust = JSON.parse(String(role.body['assume_role_policy'])) as {
        Statement: Block[];
      };
      for (const statement of trust.Statement) delete statement['Condition'];
      role.body['assume_role_policy'] = JSON.stringify(trust);
      return role.name;
    },
  },
  'IAM-BOUNDARY-REQUIRED': {
    what: 'a cluster role without its permissions boundary',
    mutate: (m) => {
      const role = find(m, 'aws_iam_role', { module: 'cluster', name: 'node_role' });
      delete role.body['permissions_boundary'];
      return role.name;
    },
  },
  'IAM-DEPLOY-CANNOT-ESCALATE': {
    what: 'the deploy role allowed to create roles without the boundary condition',
    mutate: (m) => {
      const statement = deployStatement(m, 'ProjectRolesWithinTheBoundary');
      delete statement['condition'];
      return 'github_deploy_role';
    },
  },
  'ECR-IMMUTABLE': {
    what: 'mutable tags',
    mutate: (m) => {
      const repo = find(m, 'aws_ecr_repository');
      repo.body['image_tag_mutability'] = 'MUTABLE';
      return repo.name;
    },
  },
  'ECR-SCAN': {
    what: 'no scan on push',
    mutate: (m) => {
      const repo = find(m, 'aws_ecr_repository');
      nested(repo.body, 'image_scanning_configuration')['scan_on_push'] = false;
      return repo.name;
    },
  },
  'PROD-RDS-DELETION-PROTECTION': {
    what: 'the production validation of db_deletion_protection removed',
    mutate: (m) => {
      const db = find(m, 'aws_db_instance');
      const input = variableBlock(db.module, 'db_deletion_protection');
      input['validation'] = blocks(input['validation']).filter(
        (v) => !String(v['condition']).includes('production'),
      );
      return db.name;
    },
  },
  'PROD-RDS-MULTI-AZ': {
    what: 'multi_az = false',
    mutate: (m) => {
      const db = find(m, 'aws_db_instance');
      db.body['multi_az'] = false;
      return db.name;
    },
  },
  'PROD-RDS-FINAL-SNAPSHOT': {
    what: 'skip_final_snapshot from an unguarded input',
    mutate: (m) => {
      const db = find(m, 'aws_db_instance');
      delete variableBlock(db.module, 'db_skip_final_snapshot')['validation'];
      return db.name;
    },
  },
  'BACKUP-RDS-RETENTION': {
    what: 'one day of backups by default',
    mutate: (m) => {
      const db = find(m, 'aws_db_instance');
      variableBlock(db.module, 'db_backup_retention_days')['default'] = 1;
      return db.name;
    },
  },
  'BACKUP-RDS-CROSS-REGION': {
    what: 'the production validation of db_backup_replication_region removed',
    mutate: (m) => {
      const db = find(m, 'aws_db_instance');
      const input = variableBlock(db.module, 'db_backup_replication_region');
      input['validation'] = blocks(input['validation']).filter(
        (v) => !String(v['condition']).includes('production'),
      );
      return db.name;
    },
  },
  'PROD-CACHE-FAILOVER': {
    what: 'automatic failover off',
    mutate: (m) => {
      const rg = find(m, 'aws_elasticache_replication_group');
      rg.body['automatic_failover_enabled'] = false;
      return rg.name;
    },
  },
  'TLS-LOAD-BALANCER': {
    what: 'staging and production allowed without a DNS zone (no certificate, plain HTTP)',
    mutate: (m) => {
      const certificate = find(m, 'aws_acm_certificate');
      withoutDevelopmentGuard(variableBlock(certificate.module, 'dns_zone'));
      return certificate.name;
    },
  },
  'LB-DELETION-PROTECTION': {
    what: 'deletion protection written off in the load balancer attributes',
    mutate: (m) => {
      const edge = moduleNamed(m, 'edge');
      const output = outputBlock(edge, 'load_balancer_attributes');
      output['value'] = String(output['value']).replace(
        'deletion_protection.enabled=${var.deletion_protection}',
        'deletion_protection.enabled=false',
      );
      return 'edge:output.load_balancer_attributes';
    },
  },
  'LOG-LOAD-BALANCER': {
    what: 'access logs allowed off in staging and production',
    mutate: (m) => {
      withoutDevelopmentGuard(variableBlock(moduleNamed(m, 'edge'), 'access_log_days'));
      return 'edge:output.load_balancer_attributes';
    },
  },
  'WAF-LOAD-BALANCER': {
    what: 'the common rule set only counting what it matches',
    mutate: (m) => {
      const acl = find(m, 'aws_wafv2_web_acl');
      const rule = first(
        blocks(acl.body['rule']).filter((r) => r['name'] === 'AWSManagedRulesCommonRuleSet'),
        'common rule set rule',
      );
      rule['override_action'] = { count: {} };
      return acl.name;
    },
  },
  'S3-VERSIONING-LIFECYCLE': {
    what: 'versioning suspended',
    mutate: (m) => {
      const versioning = find(m, 'aws_s3_bucket_versioning');
      nested(versioning.body, 'versioning_configuration')['status'] = 'Suspended';
      return String(versioning.body['bucket']).replace(/^\$\{aws_s3_bucket\.([^.]+)\.id\}$/, '$1');
    },
  },
};

describe('infrastructure policy controls', function () {
  it('reads the four AWS modules', function () {
    expect(realModules.map((m) => m.name)).to.include.members([
      'network',
      'cluster',
      'data',
      'shared',
    ]);
  });

  it('has at least 25 controls with unique ids, each documented', function () {
    expect(CONTROLS.length).to.be.at.least(25);
    expect(new Set(CONTROLS.map((c) => c.id)).size).to.equal(CONTROLS.length);
    for (const control of CONTROLS) {
      expect(control.description, control.id).to.have.lengthOf.above(0);
      expect(control.rationale, control.id).to.have.lengthOf.above(0);
    }
  });

  it('all pass on the synthesized modules', function () {
    expect(evaluate(realModules)).to.deep.equal([]);
  });

  it('are all listed in stacks/test/policies/README.md', function () {
    const readme = readFileSync(join(__dirname, 'README.md'), 'utf8');
    const missing = CONTROLS.filter((c) => !readme.includes(`\`${c.id}\``)).map((c) => c.id);
    expect(missing).to.deep.equal([]);
  });

  it('each have a breaking mutation below', function () {
    expect(Object.keys(BREAKAGES).sort()).to.deep.equal(CONTROLS.map((c) => c.id).sort());
  });

  for (const control of CONTROLS) {
    const breakage = BREAKAGES[control.id];
    if (!breakage) continue;
    it(`${control.id} catches ${breakage.what}`, function () {
      const modules = copy();
      const culprit = breakage.mutate(modules);
      const findings = control.check(modules);
      expect(findings, `${control.id} found nothing`).to.have.lengthOf.above(0);
      expect(findings.map((f) => f.address).join('\n')).to.contain(culprit);
    });
  }

  it('TLS-CACHE refuses a user of the group that is on without IAM (a password user)', function () {
    const modules = copy();
    const user = find(modules, 'aws_elasticache_user', { name: 'redis_default_user' });
    user.body['access_string'] = 'on ~* +@all';
    expect(
      controlById('TLS-CACHE')
        .check(modules)
        .map((f) => f.message),
    ).to.deep.equal(['user redis_default_user is enabled without IAM authentication']);
  });

  it('STATE-NO-SECRETS allows write-only arguments and catches data sources of secrets', function () {
    const modules = copy();
    const data = first(
      modules.filter((m) => m.name === 'data'),
      'data module',
    );
    addResource(data, 'aws_secretsmanager_secret_version', 'write_only', {
      secret_id: 'x',
      secret_string_wo: 'never stored',
      secret_string_wo_version: 1,
    });
    expect(controlById('STATE-NO-SECRETS').check(modules)).to.deep.equal([]);
    (data.tf['data'] as Block)['aws_secretsmanager_random_password'] = {
      token: { password_length: 64 },
    };
    expect(controlById('STATE-NO-SECRETS').check(modules)).to.deep.equal([
      {
        address: 'data:data.aws_secretsmanager_random_password.token',
        message: 'data.aws_secretsmanager_random_password holds a secret value in state',
      },
    ]);
  });

  it('TLS-LOAD-BALANCER also catches an e-mail validated certificate, a certificate nobody awaits and a pre-TLS-1.3 policy', function () {
    const cases: [string, (certificate: Target) => void][] = [
      ['EMAIL validation', (c) => (c.body['validation_method'] = 'EMAIL')],
      [
        'no aws_acm_certificate_validation',
        (c) => removeResource(find([c.module], 'aws_acm_certificate_validation')),
      ],
      [
        'ELBSecurityPolicy-2016-08 admitted in production',
        (c) => withoutDevelopmentGuard(variableBlock(c.module, 'tls_policy')),
      ],
    ];
    catchesEach('TLS-LOAD-BALANCER', 'aws_acm_certificate', cases);
  });

  it('LOG-LOAD-BALANCER also catches logs sent to a bucket the log delivery may not write, or a policy open to anyone', function () {
    const grant = (modules: TerraformModule[]) =>
      first(
        blocks(
          find(modules, 'aws_iam_policy_document', { mode: 'data', name: 'access_logs_tls_only' })
            .body['statement'],
        ).filter((st) => st['sid'] === 'LoadBalancerAccessLogs'),
        'access log grant',
      );
    const findings = (mutate: (modules: TerraformModule[]) => void) => {
      const modules = copy();
      mutate(modules);
      return controlById('LOG-LOAD-BALANCER')
        .check(modules)
        .map((f) => f.address);
    };
    expect(findings(() => undefined)).to.deep.equal([]);
    expect(
      findings((m) => {
        grant(m)['principals'] = [{ type: 'AWS', identifiers: ['*'] }];
      }),
    ).to.deep.equal(['edge:aws_s3_bucket.access_logs_bucket']);
    expect(
      findings((m) => {
        grant(m)['resources'] = ['${aws_s3_bucket.access_logs_bucket.arn}/*'];
      }),
    ).to.deep.equal(['edge:aws_s3_bucket.access_logs_bucket']);
  });

  it('WAF-LOAD-BALANCER also catches a missing rule group, a counting rate limit and a switch off in production', function () {
    const cases: [string, (acl: Target) => void][] = [
      [
        'no known-bad-inputs rule set',
        (acl) =>
          (acl.body['rule'] = blocks(acl.body['rule']).filter(
            (r) => r['name'] !== 'AWSManagedRulesKnownBadInputsRuleSet',
          )),
      ],
      [
        'a rate limit that only counts',
        (acl) => {
          const rate = first(
            blocks(acl.body['rule']).filter((r) => r['name'] === 'rate-limit-per-client-address'),
            'rate rule',
          );
          rate['action'] = { count: {} };
        },
      ],
      [
        'waf = false allowed in production',
        (acl) => withoutDevelopmentGuard(variableBlock(acl.module, 'waf')),
      ],
    ];
    catchesEach('WAF-LOAD-BALANCER', 'aws_wafv2_web_acl', cases);
  });

  it('NET-OPEN-INGRESS lets a load balancer security group take 443 from the internet', function () {
    const modules = copy();
    const network = first(
      modules.filter((m) => m.name === 'network'),
      'network module',
    );
    addResource(network, 'aws_security_group', 'public_load_balancer', {
      name: 'payflow-alb',
      description: 'Public load balancer',
    });
    addResource(network, 'aws_vpc_security_group_ingress_rule', 'https_from_internet', {
      security_group_id: '${aws_security_group.public_load_balancer.id}',
      cidr_ipv4: '0.0.0.0/0',
      from_port: 443,
      to_port: 443,
      ip_protocol: 'tcp',
    });
    expect(controlById('NET-OPEN-INGRESS').check(modules)).to.deep.equal([]);
    addResource(network, 'aws_vpc_security_group_ingress_rule', 'ssh_from_internet', {
      security_group_id: '${aws_security_group.public_load_balancer.id}',
      cidr_ipv4: '0.0.0.0/0',
      from_port: 22,
      to_port: 22,
      ip_protocol: 'tcp',
    });
    expect(
      controlById('NET-OPEN-INGRESS')
        .check(modules)
        .map((f) => f.address),
    ).to.deep.equal(['network:aws_vpc_security_group_ingress_rule.ssh_from_internet']);
  });

  it('PROD-RDS-DELETION-PROTECTION gives way to the decommission switch only, off by default', function () {
    const check = (mutate: (db: Target) => void): string[] => {
      const modules = copy();
      mutate(find(modules, 'aws_db_instance', { module: 'data' }));
      return controlById('PROD-RDS-DELETION-PROTECTION')
        .check(modules)
        .map((f) => f.address);
    };
    const culprit = ['data:aws_db_instance.postgres_instance'];
    expect(
      check(() => undefined),
      'the real module',
    ).to.deep.equal([]);
    expect(
      check((db) => {
        variableBlock(db.module, 'decommission')['default'] = true;
      }),
      'a switch on by default',
    ).to.deep.equal(culprit);
    expect(
      check((db) => {
        db.body['deletion_protection'] = '${(var.db_deletion_protection && !var.quick_teardown)}';
      }),
      'another switch',
    ).to.deep.equal(culprit);
    expect(
      check((db) => {
        const input = variableBlock(db.module, 'db_deletion_protection');
        input['validation'] = [];
      }),
      'the guarded input without its production validation',
    ).to.deep.equal(culprit);
  });

  it('BACKUP-RDS-CROSS-REGION catches a replication in the same region, with the AWS key, or none', function () {
    const replication = (modules: TerraformModule[]) =>
      find(modules, 'aws_db_instance_automated_backups_replication', { module: 'data' });
    const breakages: [string, (modules: TerraformModule[]) => void, RegExp][] = [
      [
        'default provider',
        (modules) => delete replication(modules).body['provider'],
        /is not created in another region/,
      ],
      [
        'AWS-managed key',
        (modules) => delete replication(modules).body['kms_key_id'],
        /customer managed key of its region/,
      ],
      [
        'no replication',
        (modules) => {
          const data = first(
            modules.filter((x) => x.name === 'data'),
            'data module',
          );
          delete (data.tf['resource'] as Block)['aws_db_instance_automated_backups_replication'];
        },
        /not replicated to another region/,
      ],
    ];
    for (const [what, mutate, message] of breakages) {
      const modules = copy();
      mutate(modules);
      const findings = controlById('BACKUP-RDS-CROSS-REGION').check(modules);
      expect(findings.map((f) => `${f.address}: ${f.message}`).join('\n'), what).to.match(message);
    }
  });

  it('ENC-SNS catches an alarm topic whose key CloudWatch may not use, and only then', function () {
    const check = (mutate: (modules: TerraformModule[]) => void): string[] => {
      const modules = copy();
      mutate(modules);
      return controlById('ENC-SNS')
        .check(modules)
        .map((f) => `${f.address}: ${f.message}`);
    };
    const keyPolicy = (modules: TerraformModule[]) =>
      find(modules, 'aws_iam_policy_document', { mode: 'data', name: 'alarms_key_policy' });
    const withoutCloudWatch = (modules: TerraformModule[]) => {
      const policy = keyPolicy(modules);
      policy.body['statement'] = blocks(policy.body['statement']).filter(
        (s) => !JSON.stringify(s['principals'] ?? []).includes('cloudwatch.amazonaws.com'),
      );
    };
    expect(
      check(() => undefined),
      'the real module',
    ).to.deep.equal([]);
    expect(check(withoutCloudWatch).join('\n'), 'no CloudWatch statement').to.match(
      /^data:aws_sns_topic\.alarms_topic: alarms notify this topic but the policy of aws_kms_key\.alarms_key does not grant/,
    );
    expect(
      check((modules) => {
        const cloudwatch = first(
          blocks(keyPolicy(modules).body['statement']).filter((s) =>
            JSON.stringify(s['principals'] ?? []).includes('cloudwatch.amazonaws.com'),
          ),
          'CloudWatch statement',
        );
        cloudwatch['actions'] = ['kms:Decrypt'];
      }),
      'kms:Decrypt only',
    ).to.have.lengthOf(1);
    expect(
      check((modules) => {
        withoutCloudWatch(modules);
        for (const alarm of resources(modules, 'aws_cloudwatch_metric_alarm')) {
          alarm.body['alarm_actions'] = ['${var.alarm_sns_topic_arn}'];
          alarm.body['ok_actions'] = ['${var.alarm_sns_topic_arn}'];
        }
      }),
      'a topic no alarm notifies needs no CloudWatch grant',
    ).to.deep.equal([]);
  });

  it('IAM-NO-STAR reads policy documents written as aws_iam_policy_document too', function () {
    const modules = copy();
    const permissions = find(modules, 'aws_iam_policy_document', {
      mode: 'data',
      name: 'github_deploy_permissions',
    });
    (permissions.body['statement'] as Block[]).push({ actions: ['*'], resources: ['*'] });
    expect(
      controlById('IAM-NO-STAR')
        .check(modules)
        .map((f) => f.address),
    ).to.deep.equal(['shared:aws_iam_role_policy.github_deploy_policy.policy']);
  });
  it('IAM-POD-IDENTITY-TRUST catches a second principal, a wildcard and a trust that names another service account', function () {
    const check = (mutate: (trust: { Statement: Block[] }) => void): string[] => {
      const modules = copy();
      const role = find(modules, 'aws_iam_role', { module: 'cluster', name: 'ebs_csi_role' });
      const trust = JSON.parse(String(role.body['assume_role_policy'])) as { Statement: Block[] };
      mutate(trust);
      role.body['assume_role_policy'] = JSON.stringify(trust);
      return controlById('IAM-POD-IDENTITY-TRUST')
        .check(modules)
        .map((f) => `${f.address}: ${f.message}`);
    };
    const tags = (trust: { Statement: Block[] }) =>
      (first(trust.Statement, 'statement')['Condition'] as Record<string, Block>)[
        'StringEquals'
      ] as Block;
    expect(
      check(() => undefined),
      'the real module',
    ).to.deep.equal([]);
    expect(
      check((trust) => {
        first(trust.Statement, 'statement')['Principal'] = {
          Service: ['pods.eks.amazonaws.com', 'ec2.amazonaws.com'],
        };
      }),
    ).to.deep.equal([
      'cluster:aws_iam_role.ebs_csi_role: trusts ec2.amazonaws.com besides pods.eks.amazonaws.com',
    ]);
    expect(
      check((trust) => {
        tags(trust)['aws:RequestTag/kubernetes-service-account'] = '*';
      }),
    ).to.deep.equal([
      'cluster:aws_iam_role.ebs_csi_role: Pod Identity trust without StringEquals on aws:RequestTag/kubernetes-service-account',
    ]);
    expect(
      check((trust) => {
        tags(trust)['aws:RequestTag/kubernetes-service-account'] = 'default';
      }),
    ).to.deep.equal([
      'cluster:aws_iam_role.ebs_csi_role: trusts kube-system/default but is associated with kube-system/ebs-csi-controller-sa',
    ]);
  });
  it('IAM-DEPLOY-CANNOT-ESCALATE catches each way out of the boundary, and only those', function () {
    const check = (mutate: (modules: TerraformModule[]) => void): string[] => {
      const modules = copy();
      mutate(modules);
      return controlById('IAM-DEPLOY-CANNOT-ESCALATE')
        .check(modules)
        .map((f) => f.message);
    };
    const withoutStatement = (sid: string) => (modules: TerraformModule[]) => {
      const permissions = find(modules, 'aws_iam_policy_document', {
        mode: 'data',
        name: 'github_deploy_permissions',
      });
      permissions.body['statement'] = blocks(permissions.body['statement']).filter(
        (s) => s['sid'] !== sid,
      );
    };
    expect(
      check(() => undefined),
      'the real module',
    ).to.deep.equal([]);
    expect(
      check((modules) => {
        deployStatement(modules, 'ManageProjectRoles')['actions'] = ['iam:*'];
      }),
    ).to.deep.equal([
      'statement ManageProjectRoles allows iam:AttachRolePolicy, iam:CreateRole, iam:DeleteRolePolicy, iam:DetachRolePolicy, iam:PutRolePermissionsBoundary, iam:PutRolePolicy without iam:PermissionsBoundary = the boundary policy',
    ]);
    expect(
      check((modules) => {
        const condition = first(
          blocks(deployStatement(modules, 'ProjectRolesWithinTheBoundary')['condition']),
          'condition',
        );
        condition['values'] = ['${var.any_boundary}'];
      }),
      'a boundary the caller chooses',
    ).to.have.lengthOf(1);
    expect(check(withoutStatement('NeverRemoveTheBoundary'))).to.deep.equal([
      'no Deny of iam:DeleteRolePermissionsBoundary on "*"',
    ]);
    expect(check(withoutStatement('NeverChangeTheBoundary'))).to.deep.equal([
      'the boundary project_roles_boundary_policy is not protected from iam:CreatePolicyVersion, iam:DeletePolicy, iam:DeletePolicyVersion, iam:SetDefaultPolicyVersion',
    ]);
    expect(check(withoutStatement('NeverChangeTheGithubRoles'))).to.deep.equal([
      'no Deny of iam:AttachRolePolicy, iam:PutRolePolicy, iam:PutRolePermissionsBoundary, iam:UpdateAssumeRolePolicy on the role github_deploy_role',
      'no Deny of iam:AttachRolePolicy, iam:PutRolePolicy, iam:PutRolePermissionsBoundary, iam:UpdateAssumeRolePolicy on the role github_plan_role',
    ]);
  });

  describe('the SSM tunnel instance and who may open it', function () {
    const tunnel = (modules: TerraformModule[]) =>
      find(modules, 'aws_instance', { name: 'cluster_access_instance' });
    const culprits = (id: string, modules: TerraformModule[]) =>
      controlById(id)
        .check(modules)
        .map((f) => f.address);

    it('EC2-IMDSV2 catches the tunnel instance accepting IMDSv1', function () {
      const modules = copy();
      nested(tunnel(modules).body, 'metadata_options')['http_tokens'] = 'optional';
      expect(culprits('EC2-IMDSV2', modules)).to.deep.equal([
        'cluster:aws_instance.cluster_access_instance',
      ]);
    });

    it('ENC-EBS catches an unencrypted root volume of the tunnel instance', function () {
      const modules = copy();
      nested(tunnel(modules).body, 'root_block_device')['encrypted'] = false;
      expect(culprits('ENC-EBS', modules)).to.deep.equal([
        'cluster:aws_instance.cluster_access_instance',
      ]);
    });

    it('EC2-NO-INGRESS catches a public IP on the tunnel instance', function () {
      const modules = copy();
      tunnel(modules).body['associate_public_ip_address'] = true;
      expect(culprits('EC2-NO-INGRESS', modules)).to.deep.equal([
        'cluster:aws_instance.cluster_access_instance',
      ]);
    });

    const planTunnel = (modules: TerraformModule[], sid: string): Block =>
      first(
        (trustDocument(modules, 'github_plan_permissions').body['statement'] as Block[]).filter(
          (statement) => statement['sid'] === sid,
        ),
        `plan statement ${sid}`,
      );

    it('IAM-OIDC-WILDCARD-READ-ONLY lets the plan role forward a port, and catches a shell', function () {
      expect(culprits('IAM-OIDC-WILDCARD-READ-ONLY', copy())).to.deep.equal([]);
      // Without the document check, a session naming no document is a shell on the instance.
      const unchecked = copy();
      const instances = planTunnel(unchecked, 'OpenTheClusterTunnelOfTheProject');
      instances['condition'] = blocks(instances['condition']).filter(
        (c) => c['variable'] !== 'ssm:SessionDocumentAccessCheck',
      );
      expect(culprits('IAM-OIDC-WILDCARD-READ-ONLY', unchecked)).to.deep.equal([
        'shared:aws_iam_role.github_plan_role',
      ]);
      const shell = copy();
      planTunnel(shell, 'OnlyWithThePortForwardingDocument')['resources'] = [
        'arn:aws:ssm:eu-west-3:123456789012:document/SSM-SessionManagerRunShell',
      ];
      expect(culprits('IAM-OIDC-WILDCARD-READ-ONLY', shell)).to.deep.equal([
        'shared:aws_iam_role.github_plan_role',
      ]);
    });
  });
});
