// The infrastructure policy controls: each reads the synthesized Terraform JSON of every
// AWS module and returns its violations. The table of controls (docs) is CONTROLS itself.
import { type Statement, includesValue, policyDocuments, readPolicy } from './iam-documents';
import {
  type Block,
  type ResourceRef,
  type TerraformModule,
  addressOf,
  awsProvider,
  block,
  blocks,
  enforcedInProduction,
  guardedInProduction,
  guardedOutsideDevelopment,
  isFalse,
  isSet,
  isBlock,
  isTrue,
  outputValue,
  referencedNames,
  references,
  resources,
  unlessDecommissioned,
  validations,
  variable,
  variableName,
  variablesIn,
} from './terraform-config';

export interface Violation {
  readonly address: string;
  readonly message: string;
}

export type Category =
  | 'encryption at rest'
  | 'encryption in transit'
  | 'exposure'
  | 'network'
  | 'logging'
  | 'identity'
  | 'secrets'
  | 'resilience'
  | 'supply chain';

export interface Control {
  /** Stable identifier, used in test names, findings and docs. */
  readonly id: string;
  readonly category: Category;
  /** What must hold. */
  readonly description: string;
  /** Why it matters. */
  readonly rationale: string;
  readonly check: (modules: readonly TerraformModule[]) => Violation[];
}

const GITHUB_OIDC = 'token.actions.githubusercontent.com';
const POD_IDENTITY_PRINCIPAL = 'pods.eks.amazonaws.com';
/** Session tags a Pod Identity trust must pin: cluster (its ARN names the account), namespace, service account. */
const POD_IDENTITY_TRUST_CONDITIONS = [
  'aws:RequestTag/eks-cluster-arn',
  'aws:RequestTag/kubernetes-namespace',
  'aws:RequestTag/kubernetes-service-account',
] as const;
const OPEN_CIDRS = ['0.0.0.0/0', '::/0'];
/** ALB security policies with TLS 1.3 (stacks/edge/edge-stack.ts TLS13_POLICIES). */
const TLS13_POLICY = /ELBSecurityPolicy-TLS13-1-[23]-2021-06/;
/** Who writes ALB access logs: the log delivery service, or the region's ELB account. */
const LOAD_BALANCER_LOG_WRITERS =
  /^(logdelivery\.elasticloadbalancing\.amazonaws\.com|\$\{data\.aws_elb_service_account\.[A-Za-z0-9_-]+\.arn\})$/;
/** The rule groups the load balancer's web ACL must apply (stacks/edge/load-balancer-web-acl.ts). */
const REQUIRED_MANAGED_RULE_GROUPS = [
  'AWSManagedRulesCommonRuleSet',
  'AWSManagedRulesKnownBadInputsRuleSet',
];
/** The output whose value the Ingresses carry as alb.ingress.kubernetes.io/load-balancer-attributes. */
const LOAD_BALANCER_ATTRIBUTES_OUTPUT = 'load_balancer_attributes';

/**
 * One load balancer attribute (`deletion_protection.enabled`) of an attributes string, as the
 * edge module writes it: `key=value,key=value` where a value may be a `${...}` expression.
 */
function loadBalancerAttribute(attributes: string, key: string): string | undefined {
  for (const pair of attributes.split(/,(?![^{]*\})/)) {
    const [name, ...value] = pair.split('=');
    if (name === key) return value.join('=');
  }
  return undefined;
}

/** Modules handing load balancer attributes to the Ingresses, with that output's value. */
function loadBalancerAttributeOutputs(modules: readonly TerraformModule[]) {
  return modules.flatMap((module) => {
    const value = outputValue(module, LOAD_BALANCER_ATTRIBUTES_OUTPUT);
    return typeof value === 'string' ? [{ module, value }] : [];
  });
}

/** An attribute value that is `true`, or an expression of inputs staging and production guard. */
function onOutsideDevelopment(module: TerraformModule, value: string | undefined): boolean {
  if (value === undefined) return false;
  if (value === 'true') return true;
  const inputs = variablesIn(value);
  return inputs.length > 0 && inputs.every((name) => guardedOutsideDevelopment(module, name));
}

/** One violation per resource of `type` for which `problem` returns a message. */
function eachResource(
  modules: readonly TerraformModule[],
  type: string,
  problem: (resource: ResourceRef) => string | undefined,
): Violation[] {
  return resources(modules, type).flatMap((resource) => {
    const message = problem(resource);
    return message ? [{ address: addressOf(resource), message }] : [];
  });
}

/** Resources of `type` in the same module whose `attribute` references `target`. */
function attachedTo(target: ResourceRef, type: string, attribute: string): ResourceRef[] {
  return resources([target.module], type).filter((r) => references(r.body[attribute], target));
}

const list = (values: string[] | string): string[] =>
  typeof values === 'string' ? [values] : values;

const isOpenCidr = (value: unknown): boolean =>
  typeof value === 'string'
    ? OPEN_CIDRS.includes(value)
    : Array.isArray(value) && value.some((v) => OPEN_CIDRS.includes(String(v)));

/** Can a possibly-variable number be below `minimum` (literal, or the variable's default)? */
function numberBelow(module: TerraformModule, value: unknown, minimum: number): boolean {
  const name = variableName(value);
  const resolved = name ? variable(module, name)?.['default'] : value;
  return typeof resolved !== 'number' || resolved < minimum;
}

function statementGrantsEverything(s: Statement): boolean {
  return (
    s.effect === 'Allow' &&
    list(s.actions).some((a) => a === '*') &&
    list(s.resources).some((r) => r === '*')
  );
}

function githubTrustStatements(modules: readonly TerraformModule[]) {
  return policyDocuments(modules)
    .filter((d) => d.kind === 'trust')
    .flatMap((document) =>
      (document.statements ?? [])
        .filter((s) =>
          s.principals.some(
            (p) =>
              p.type === 'Federated' &&
              (list(p.identifiers).some((id) => id.includes(GITHUB_OIDC)) ||
                referencedNames(p.identifiers, 'aws_iam_openid_connect_provider').length > 0),
          ),
        )
        .map((statement) => ({ document, statement })),
    );
}

const subjectCondition = (s: Statement) =>
  s.conditions.find((c) => c.variable === `${GITHUB_OIDC}:sub`);

interface Subject {
  /** `${var.github_repository}`, a literal owner/name, or what could not be resolved. */
  readonly repository: string;
  /** What follows `repo:<repository>:`, e.g. `ref:refs/heads/main`, `environment:%s`. */
  readonly claim: string;
}

/**
 * The `sub` patterns of a condition: literal values, or the quoted `repo:` strings of an
 * expression, where `formatlist("repo:%s:…", var.x, …)` resolves `%s` to `${var.x}`.
 */
function subjects(values: string[] | string): Subject[] {
  const raw =
    typeof values === 'string'
      ? [...values.matchAll(/"(repo:[^"]*)"(?:\s*,\s*(var\.[A-Za-z0-9_]+))?/g)].map((m) => ({
          text: m[1] ?? '',
          firstArgument: m[2],
        }))
      : values.map((text) => ({ text, firstArgument: undefined }));
  return raw.map(({ text, firstArgument }) => {
    const match = /^repo:(\$\{var\.[A-Za-z0-9_]+\}|%s|[^:]*):(.*)$/.exec(text);
    if (!match) return { repository: '', claim: text };
    const [, repository = '', claim = ''] = match;
    if (repository !== '%s') return { repository, claim };
    return { repository: firstArgument ? `\${${firstArgument}}` : '%s', claim };
  });
}

const pinnedRepository = (repository: string): boolean =>
  repository === '${var.github_repository}' || /^[A-Za-z0-9-]+\/[A-Za-z0-9._-]+$/.test(repository);

/** Branch or environment claims only, without wildcards. */
const deployClaim = (claim: string): boolean =>
  /^(ref:refs\/heads\/|environment:)[^*?]+$/.test(claim);

const hasWildcardSubject = (values: string[] | string): boolean =>
  list(values).some((v) => v.includes('*'));

/** Actions a role may hold while trusting wildcard GitHub subjects (plan: read + state lock). */
const PLAN_ACTIONS = new Set([
  's3:ListBucket',
  's3:GetBucketVersioning',
  's3:GetObject',
  's3:PutObject',
  's3:DeleteObject',
  'dynamodb:DescribeTable',
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:DeleteItem',
]);

/** The one Session Manager document a wildcard-trusted role may start sessions with. */
const PORT_FORWARDING_DOCUMENT = 'AWS-StartPortForwardingSessionToRemoteHost';

/**
 * A statement that only opens an SSM port-forwarding tunnel (to a private Kubernetes API):
 * StartSession on instances with the session-document check on, or on the port-forwarding
 * document, or the data channel of a session. Anything else could start a shell on an instance.
 */
function opensTunnelsOnly(s: Statement): boolean {
  const actions = list(s.actions);
  const resources = list(s.resources);
  if (actions.every((a) => a === 'ssmmessages:OpenDataChannel'))
    return resources.every((r) => /:ssm:[^:]*:[^:]*:session\/\*$/.test(r));
  if (!actions.every((a) => a === 'ssm:StartSession')) return false;
  const documentChecked = s.conditions.some(
    (c) => c.variable === 'ssm:SessionDocumentAccessCheck' && includesValue(c.values, 'true'),
  );
  return resources.every((r) =>
    /:document\//.test(r)
      ? r.endsWith(`:document/${PORT_FORWARDING_DOCUMENT}`)
      : /:ec2:[^:]*:[^:]*:instance\//.test(r) && documentChecked,
  );
}

/** The principal that publishes CloudWatch alarm notifications (and calls KMS to encrypt them). */
const CLOUDWATCH_ALARMS = 'cloudwatch.amazonaws.com';
/** What a key must grant CloudWatch for alarms to publish to a topic encrypted with it. */
const ALARM_PUBLISH_KEY_ACTIONS = ['kms:Decrypt', 'kms:GenerateDataKey*'];

/** Does a granted action (possibly ending in `*`) cover the required one? */
const actionCovers = (granted: string, required: string): boolean =>
  granted === '*' ||
  granted === required ||
  (granted.endsWith('*') && required.startsWith(granted.slice(0, -1)));

/** Does the policy of the module's key `name` let a service principal use every action? */
function keyGrantsService(
  module: TerraformModule,
  name: string,
  service: string,
  required: readonly string[],
): boolean {
  const key = resources([module], 'aws_kms_key').find((k) => k.name === name);
  const statements = key ? readPolicy(module, key.body['policy']) : undefined;
  const granted = (statements ?? [])
    .filter(
      (s) =>
        s.effect === 'Allow' &&
        s.principals.some((p) => p.type === 'Service' && includesValue(p.identifiers, service)),
    )
    .flatMap((s) => list(s.actions));
  return required.every((action) => granted.some((g) => actionCovers(g, action)));
}

function postgresParameterGroupForcesSsl(db: ResourceRef): boolean {
  const groups = referencedNames(db.body['parameter_group_name'], 'aws_db_parameter_group');
  return groups.some((name) =>
    resources([db.module], 'aws_db_parameter_group')
      .filter((g) => g.name === name)
      .some((g) =>
        blocks(g.body['parameter']).some(
          (p) => p['name'] === 'rds.force_ssl' && String(p['value']) === '1',
        ),
      ),
  );
}

function securityGroupsOf(ref: ResourceRef, attribute: string): ResourceRef[] {
  const names = referencedNames(ref.body[attribute], 'aws_security_group');
  return resources([ref.module], 'aws_security_group').filter((g) => names.includes(g.name));
}

/** Ingress rules of a security group: inline blocks and standalone rule resources. */
function ingressRules(group: ResourceRef): { address: string; rule: Block; cidrs: unknown[] }[] {
  const inline = blocks(group.body['ingress']).map((rule) => ({
    address: addressOf(group),
    rule,
    cidrs: [rule['cidr_blocks'], rule['ipv6_cidr_blocks']],
  }));
  const legacy = attachedTo(group, 'aws_security_group_rule', 'security_group_id')
    .filter((r) => r.body['type'] === 'ingress')
    .map((r) => ({
      address: addressOf(r),
      rule: r.body,
      cidrs: [r.body['cidr_blocks'], r.body['ipv6_cidr_blocks']],
    }));
  const modern = attachedTo(group, 'aws_vpc_security_group_ingress_rule', 'security_group_id').map(
    (r) => ({
      address: addressOf(r),
      rule: r.body,
      cidrs: [r.body['cidr_ipv4'], r.body['cidr_ipv6']],
    }),
  );
  return [...inline, ...legacy, ...modern];
}

const isLoadBalancerGroup = (group: ResourceRef): boolean =>
  /load.?balancer|\balb\b|\bnlb\b/i.test(
    `${group.name} ${String(group.body['name'] ?? '')} ${String(group.body['description'] ?? '')}`,
  );

/**
 * IAM actions that change what a role may do: allowed only within the permissions boundary.
 * Written here again on purpose, not imported from the shared stack: a control is an
 * independent statement of the rule, so shortening the stack's list cannot weaken the check.
 */
const BOUNDED_ROLE_ACTIONS = [
  'iam:AttachRolePolicy',
  'iam:CreateRole',
  'iam:DeleteRolePolicy',
  'iam:DetachRolePolicy',
  'iam:PutRolePermissionsBoundary',
  'iam:PutRolePolicy',
];
/** What changes a managed policy (the boundary itself). */
const POLICY_WRITES = [
  'iam:CreatePolicyVersion',
  'iam:DeletePolicy',
  'iam:DeletePolicyVersion',
  'iam:SetDefaultPolicyVersion',
];
/** What changes a role's own permissions or who may assume it. */
const OWN_ROLE_WRITES = [
  'iam:AttachRolePolicy',
  'iam:PutRolePolicy',
  'iam:PutRolePermissionsBoundary',
  'iam:DeleteRolePermissionsBoundary',
  'iam:UpdateAssumeRolePolicy',
];

/** Does any action of a statement (with `*` wildcards) cover `action`? */
const covers = (s: Statement, action: string): boolean =>
  list(s.actions).some((granted) => actionCovers(granted, action));

/** `*`-glob match of a template against another (the `${...}` parts compared as text). */
const globMatches = (pattern: string, text: string): boolean =>
  new RegExp(
    `^${pattern
      .split('*')
      .map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  ).test(text);

/** The `role/<name>` part of a role ARN template, or undefined. */
const rolePath = (arn: string): string | undefined => /:role\/(.+)$/.exec(arn)?.[1];

/** Identity statements of the inline policies of a role. */
function inlineStatements(role: ResourceRef): Statement[] {
  return policyDocuments([role.module])
    .filter((d) => d.owner.type === 'aws_iam_role_policy' && references(d.owner.body['role'], role))
    .flatMap((d) => d.statements ?? []);
}

/** Why the deploy role's policy could let it grant itself or another role more, or undefined. */
function escalationProblems(role: ResourceRef, githubRoles: ResourceRef[]): string[] {
  const statements = inlineStatements(role);
  const boundaries = resources([role.module], 'aws_iam_policy');
  const isBoundary = (value: string) => boundaries.some((b) => references(value, b));
  const problems: string[] = [];
  for (const s of statements.filter((x) => x.effect === 'Allow')) {
    const gated = BOUNDED_ROLE_ACTIONS.filter((a) => covers(s, a));
    if (gated.length === 0) continue;
    const condition = s.conditions.find(
      (c) =>
        c.test === 'StringEquals' &&
        c.variable === 'iam:PermissionsBoundary' &&
        list(c.values).length > 0 &&
        list(c.values).every(isBoundary),
    );
    if (!condition) {
      problems.push(
        `statement ${s.sid ?? '(no sid)'} allows ${gated.join(', ')} without iam:PermissionsBoundary = the boundary policy`,
      );
    }
  }
  const denies = statements.filter((x) => x.effect === 'Deny');
  if (
    !denies.some(
      (d) => covers(d, 'iam:DeleteRolePermissionsBoundary') && list(d.resources).includes('*'),
    )
  ) {
    problems.push('no Deny of iam:DeleteRolePermissionsBoundary on "*"');
  }
  if (boundaries.length === 0) problems.push('no permissions boundary policy in the module');
  for (const boundary of boundaries) {
    const missing = POLICY_WRITES.filter(
      (a) =>
        !denies.some((d) => covers(d, a) && list(d.resources).some((r) => references(r, boundary))),
    );
    if (missing.length)
      problems.push(`the boundary ${boundary.name} is not protected from ${missing.join(', ')}`);
  }
  for (const github of githubRoles) {
    const name = String(github.body['name'] ?? '');
    const missing = OWN_ROLE_WRITES.filter(
      (a) =>
        !denies.some(
          (d) =>
            covers(d, a) &&
            list(d.resources).some((r) => {
              const path = rolePath(r);
              return r === '*' || (path !== undefined && globMatches(path, name));
            }),
        ),
    );
    if (missing.length)
      problems.push(`no Deny of ${missing.join(', ')} on the role ${github.name}`);
  }
  return problems;
}

/** The role a trust document belongs to (its aws_iam_role, also for aws_iam_policy_document). */
function trustedRole(owner: ResourceRef): ResourceRef {
  if (owner.type === 'aws_iam_role') return owner;
  const role = resources([owner.module], 'aws_iam_role').find((r) =>
    referencedNames(r.body['assume_role_policy'], 'data.aws_iam_policy_document').includes(
      owner.name,
    ),
  );
  return role ?? owner;
}

/** The namespace and service account a role is associated with through Pod Identity, if any. */
function podIdentityAssociations(
  role: ResourceRef,
): { namespace: unknown; serviceAccount: unknown }[] {
  const direct = resources([role.module], 'aws_eks_pod_identity_association')
    .filter((a) => references(a.body['role_arn'], role))
    .map((a) => ({ namespace: a.body['namespace'], serviceAccount: a.body['service_account'] }));
  // An add-on's own association (aws-ebs-csi-driver) is in the add-on's namespace, kube-system.
  const addons = resources([role.module], 'aws_eks_addon').flatMap((addon) =>
    blocks(addon.body['pod_identity_association'])
      .filter((a) => references(a['role_arn'], role))
      .map((a) => ({ namespace: 'kube-system', serviceAccount: a['service_account'] })),
  );
  return [...direct, ...addons];
}

/** Why a trust policy naming the Pod Identity principal is too loose, or undefined. */
function podIdentityTrustProblem(role: ResourceRef, statements: Statement[]): string | undefined {
  const allows = statements.filter((s) => s.effect === 'Allow');
  const others = allows.flatMap((s) =>
    s.principals.flatMap((p) => list(p.identifiers)).filter((p) => p !== POD_IDENTITY_PRINCIPAL),
  );
  if (others.length > 0) return `trusts ${others.join(', ')} besides ${POD_IDENTITY_PRINCIPAL}`;
  for (const statement of allows) {
    const pinned = (key: string) =>
      statement.conditions.find(
        (c) =>
          c.test === 'StringEquals' &&
          c.variable === key &&
          list(c.values).length === 1 &&
          !list(c.values).some((v) => v === '' || v.includes('*')),
      );
    const missing = POD_IDENTITY_TRUST_CONDITIONS.filter((key) => !pinned(key));
    if (missing.length > 0)
      return `Pod Identity trust without StringEquals on ${missing.join(', ')}`;
    const trusted = {
      namespace: list(pinned(POD_IDENTITY_TRUST_CONDITIONS[1])?.values ?? [])[0],
      serviceAccount: list(pinned(POD_IDENTITY_TRUST_CONDITIONS[2])?.values ?? [])[0],
    };
    const mismatch = podIdentityAssociations(role).find(
      (a) => a.namespace !== trusted.namespace || a.serviceAccount !== trusted.serviceAccount,
    );
    if (mismatch) {
      return `trusts ${String(trusted.namespace)}/${String(trusted.serviceAccount)} but is associated with ${String(mismatch.namespace)}/${String(mismatch.serviceAccount)}`;
    }
  }
  return undefined;
}

/** Why a replication group's access control is not IAM-only, or undefined. */
function cacheAccessProblem(rg: ResourceRef): string | undefined {
  const groups = referencedNames(rg.body['user_group_ids'], 'aws_elasticache_user_group');
  if (groups.length === 0) return 'no user group (user_group_ids): no per-user access control';
  const users = resources([rg.module], 'aws_elasticache_user_group')
    .filter((g) => groups.includes(g.name))
    .flatMap((g) => referencedNames(g.body['user_ids'], 'aws_elasticache_user'));
  const loose = resources([rg.module], 'aws_elasticache_user').filter(
    (u) =>
      users.includes(u.name) &&
      block(u.body, 'authentication_mode')?.['type'] !== 'iam' &&
      !String(u.body['access_string'] ?? '').startsWith('off '),
  );
  return loose.length > 0
    ? `user ${loose.map((u) => u.name).join(', ')} is enabled without IAM authentication`
    : undefined;
}

/**
 * Attributes that put a secret value into Terraform state (and plan files), by resource type;
 * `*`: the resource or data source is itself a secret (its result is stored). Write-only
 * arguments (`*_wo`) are never stored, and are fine.
 */
export const SECRET_BEARING_ATTRIBUTES: Readonly<Record<string, readonly string[]>> = {
  aws_db_instance: ['password'],
  aws_rds_cluster: ['master_password'],
  aws_docdb_cluster: ['master_password'],
  aws_redshift_cluster: ['master_password'],
  aws_elasticache_replication_group: ['auth_token'],
  aws_elasticache_user: ['passwords', 'authentication_mode.passwords'],
  aws_memorydb_user: ['authentication_mode.passwords'],
  aws_mq_broker: ['user.password'],
  aws_opensearch_domain: ['advanced_security_options.master_user_options.master_user_password'],
  aws_secretsmanager_secret_version: ['secret_string', 'secret_binary'],
  aws_iam_access_key: ['*'],
  aws_iam_user_login_profile: ['*'],
  random_password: ['*'],
  tls_private_key: ['*'],
  kubernetes_secret: ['data', 'binary_data'],
  kubernetes_secret_v1: ['data', 'binary_data'],
  helm_release: ['set_sensitive'],
  'data.aws_secretsmanager_random_password': ['*'],
  'data.aws_secretsmanager_secret_version': ['*'],
  'data.aws_eks_cluster_auth': ['*'],
  'data.kubernetes_secret': ['*'],
  'data.kubernetes_secret_v1': ['*'],
};

/** The value at a dotted path, through nested blocks (a list of blocks counts if any has it). */
function valuesAt(body: Block, path: string): unknown[] {
  const [head = '', ...rest] = path.split('.');
  const value = body[head];
  if (rest.length === 0) return value === undefined ? [] : [value];
  return blocks(value).flatMap((inner) => valuesAt(inner, rest.join('.')));
}

export const CONTROLS: readonly Control[] = [
  // ------------------------------------------------------------------ encryption at rest
  {
    id: 'ENC-RDS-STORAGE',
    category: 'encryption at rest',
    description: 'RDS instances encrypt storage with a customer managed KMS key.',
    rationale:
      'A customer key lets us audit and revoke access to the data and its snapshots; the AWS-managed key cannot be shared or disabled.',
    check: (m) =>
      eachResource(m, 'aws_db_instance', (db) =>
        !isTrue(db.body['storage_encrypted'])
          ? 'storage_encrypted is not true'
          : referencedNames(db.body['kms_key_id'], 'aws_kms_key').length === 0
            ? 'kms_key_id does not name a customer managed aws_kms_key'
            : undefined,
      ),
  },
  {
    id: 'ENC-RDS-INSIGHTS',
    category: 'encryption at rest',
    description: 'RDS Performance Insights is on and encrypted with a customer managed key.',
    rationale:
      'Performance Insights stores query text, which can contain payment data; it is encrypted like the database itself.',
    check: (m) =>
      eachResource(m, 'aws_db_instance', (db) =>
        !isTrue(db.body['performance_insights_enabled'])
          ? 'performance_insights_enabled is not true'
          : referencedNames(db.body['performance_insights_kms_key_id'], 'aws_kms_key').length === 0
            ? 'performance_insights_kms_key_id does not name a customer managed key'
            : undefined,
      ),
  },
  {
    id: 'ENC-RDS-SECRET',
    category: 'encryption at rest',
    description:
      'RDS master passwords are generated and kept by RDS in Secrets Manager (customer key), never written in the configuration.',
    rationale:
      'A password in Terraform ends up in state and plan files; manage_master_user_password keeps it out and lets RDS rotate it.',
    check: (m) =>
      eachResource(m, 'aws_db_instance', (db) =>
        !isTrue(db.body['manage_master_user_password'])
          ? 'manage_master_user_password is not true'
          : db.body['password'] !== undefined
            ? 'a password is set in the configuration'
            : referencedNames(db.body['master_user_secret_kms_key_id'], 'aws_kms_key').length === 0
              ? 'master_user_secret_kms_key_id does not name a customer managed key'
              : undefined,
      ),
  },
  {
    id: 'ENC-CACHE-REST',
    category: 'encryption at rest',
    description: 'ElastiCache replication groups encrypt data at rest with a customer managed key.',
    rationale:
      'Redis snapshots and swap contain idempotency records; they are encrypted like the database.',
    check: (m) =>
      eachResource(m, 'aws_elasticache_replication_group', (rg) =>
        !isTrue(rg.body['at_rest_encryption_enabled'])
          ? 'at_rest_encryption_enabled is not true'
          : referencedNames(rg.body['kms_key_id'], 'aws_kms_key').length === 0
            ? 'kms_key_id does not name a customer managed key'
            : undefined,
      ),
  },
  {
    id: 'ENC-S3',
    category: 'encryption at rest',
    description: 'Every S3 bucket has default encryption (SSE-KMS or SSE-S3).',
    rationale: 'Objects written without an explicit encryption header must still be encrypted.',
    check: (m) =>
      eachResource(m, 'aws_s3_bucket', (bucket) => {
        const configs = attachedTo(
          bucket,
          'aws_s3_bucket_server_side_encryption_configuration',
          'bucket',
        );
        const algorithms = configs.flatMap((c) =>
          blocks(c.body['rule']).map(
            (r) => block(r, 'apply_server_side_encryption_by_default')?.['sse_algorithm'],
          ),
        );
        return algorithms.some((a) => a === 'aws:kms' || a === 'AES256' || a === 'aws:kms:dsse')
          ? undefined
          : 'no server-side encryption configuration';
      }),
  },
  {
    id: 'ENC-EBS',
    category: 'encryption at rest',
    description:
      'Node and instance volumes (launch templates, instances, EBS volumes) are encrypted.',
    rationale: 'Container images, logs and emptyDir volumes of the API live on node disks.',
    check: (m) => [
      ...eachResource(m, 'aws_launch_template', (lt) => {
        const mappings = blocks(lt.body['block_device_mappings']);
        if (mappings.length === 0)
          return 'no block_device_mappings: the AMI default (possibly unencrypted) applies';
        return mappings.every((d) => isTrue(block(d, 'ebs')?.['encrypted']))
          ? undefined
          : 'a block device is not encrypted';
      }),
      ...eachResource(m, 'aws_ebs_volume', (v) =>
        isTrue(v.body['encrypted']) ? undefined : 'volume not encrypted',
      ),
      ...eachResource(m, 'aws_instance', (instance) =>
        isTrue(block(instance.body, 'root_block_device')?.['encrypted']) &&
        blocks(instance.body['ebs_block_device']).every((d) => isTrue(d['encrypted']))
          ? undefined
          : 'a volume of the instance is not encrypted',
      ),
    ],
  },
  {
    id: 'ENC-EKS-SECRETS',
    category: 'encryption at rest',
    description: 'EKS clusters envelope-encrypt Kubernetes Secrets with a KMS key.',
    rationale:
      'Secrets synced by external-secrets (database credentials) must not sit in etcd in clear.',
    check: (m) =>
      eachResource(m, 'aws_eks_cluster', (cluster) => {
        const encryption = blocks(cluster.body['encryption_config']);
        const ok = encryption.some(
          (e) =>
            includesValue((e['resources'] as string[] | undefined) ?? [], 'secrets') &&
            referencedNames(block(e, 'provider')?.['key_arn'], 'aws_kms_key').length > 0,
        );
        return ok ? undefined : 'encryption_config does not encrypt secrets with a KMS key';
      }),
  },
  {
    id: 'ENC-LOGS',
    category: 'encryption at rest',
    description: 'CloudWatch log groups are encrypted with a customer managed key.',
    rationale: 'Flow logs, audit logs and PostgreSQL logs reveal topology and queries.',
    check: (m) =>
      eachResource(m, 'aws_cloudwatch_log_group', (g) =>
        referencedNames(g.body['kms_key_id'], 'aws_kms_key').length > 0
          ? undefined
          : 'kms_key_id not set to a customer key',
      ),
  },
  {
    id: 'ENC-ECR',
    category: 'encryption at rest',
    description: 'ECR repositories are encrypted with a customer managed KMS key.',
    rationale: 'The key policy, not only IAM, then controls who can read the images.',
    check: (m) =>
      eachResource(m, 'aws_ecr_repository', (repo) => {
        const config = block(repo.body, 'encryption_configuration');
        return config?.['encryption_type'] === 'KMS' &&
          referencedNames(config['kms_key'], 'aws_kms_key').length > 0
          ? undefined
          : 'encryption_configuration is not KMS with a customer key';
      }),
  },
  {
    id: 'ENC-SECRETS-MANAGER',
    category: 'encryption at rest',
    description: 'Secrets Manager secrets are encrypted with a customer managed key.',
    rationale: 'Decrypting then needs kms:Decrypt on that key, a second, auditable permission.',
    check: (m) =>
      eachResource(m, 'aws_secretsmanager_secret', (s) =>
        referencedNames(s.body['kms_key_id'], 'aws_kms_key').length > 0
          ? undefined
          : 'kms_key_id not set to a customer key',
      ),
  },
  {
    id: 'ENC-SNS',
    category: 'encryption at rest',
    description:
      'SNS topics are encrypted with a customer managed KMS key; when CloudWatch alarms notify the topic, ' +
      'the key policy lets cloudwatch.amazonaws.com use it (kms:Decrypt, kms:GenerateDataKey*).',
    rationale:
      'Alarm messages name resources and their state; CloudWatch encrypts them itself, so a key that does ' +
      'not grant it drops every notification, silently (only the alarm history says so).',
    check: (m) =>
      eachResource(m, 'aws_sns_topic', (topic) => {
        const keys = referencedNames(topic.body['kms_master_key_id'], 'aws_kms_key');
        if (keys.length === 0) return 'kms_master_key_id not set to a customer key';
        const notifiedByAlarms = resources([topic.module], 'aws_cloudwatch_metric_alarm').some(
          (alarm) =>
            references(alarm.body['alarm_actions'], topic) ||
            references(alarm.body['ok_actions'], topic),
        );
        const closed = keys.filter(
          (key) =>
            !keyGrantsService(topic.module, key, CLOUDWATCH_ALARMS, ALARM_PUBLISH_KEY_ACTIONS),
        );
        return notifiedByAlarms && closed.length > 0
          ? `alarms notify this topic but the policy of aws_kms_key.${closed.join(', ')} does not grant ${CLOUDWATCH_ALARMS} ${ALARM_PUBLISH_KEY_ACTIONS.join(', ')}`
          : undefined;
      }),
  },
  {
    id: 'KMS-ROTATION',
    category: 'encryption at rest',
    description: 'Customer managed KMS keys rotate automatically.',
    rationale: 'Yearly rotation limits how much data one key version protects (CIS AWS 3.6).',
    check: (m) =>
      eachResource(m, 'aws_kms_key', (k) =>
        isTrue(k.body['enable_key_rotation']) ? undefined : 'enable_key_rotation is not true',
      ),
  },
  // ------------------------------------------------------------------ encryption in transit
  {
    id: 'TLS-RDS',
    category: 'encryption in transit',
    description: 'PostgreSQL instances use a parameter group that sets rds.force_ssl = 1.',
    rationale: 'Without it a misconfigured client silently connects in clear text.',
    check: (m) =>
      eachResource(m, 'aws_db_instance', (db) =>
        String(db.body['engine'] ?? '').startsWith('postgres') &&
        !postgresParameterGroupForcesSsl(db)
          ? 'the parameter group does not set rds.force_ssl = 1'
          : undefined,
      ),
  },
  {
    id: 'TLS-CACHE',
    category: 'encryption in transit',
    description:
      'ElastiCache requires TLS in transit, and access control through a user group whose users authenticate with IAM or are switched off (access string "off …").',
    rationale:
      'Redis traffic crosses the VPC between nodes and pods; authentication stops any pod in the VPC from reading keys, and IAM leaves no password or token to steal (an AUTH token would sit in Terraform state).',
    check: (m) =>
      eachResource(m, 'aws_elasticache_replication_group', (rg) =>
        !isTrue(rg.body['transit_encryption_enabled'])
          ? 'transit_encryption_enabled is not true'
          : rg.body['transit_encryption_mode'] === 'preferred'
            ? 'transit_encryption_mode is "preferred" (clear text still accepted)'
            : cacheAccessProblem(rg),
      ),
  },
  {
    id: 'TLS-S3',
    category: 'encryption in transit',
    description:
      'Every S3 bucket policy denies requests without TLS (aws:SecureTransport = false).',
    rationale: 'S3 still accepts HTTP; only a bucket policy refuses it.',
    check: (m) =>
      eachResource(m, 'aws_s3_bucket', (bucket) => {
        const denies = attachedTo(bucket, 'aws_s3_bucket_policy', 'bucket').some((policy) =>
          policyDocuments([policy.module])
            .filter((d) => d.owner.name === policy.name && d.owner.type === 'aws_s3_bucket_policy')
            .some((d) =>
              (d.statements ?? []).some(
                (s) =>
                  s.effect === 'Deny' &&
                  s.conditions.some(
                    (c) =>
                      c.test === 'Bool' &&
                      c.variable === 'aws:SecureTransport' &&
                      includesValue(c.values, 'false'),
                  ),
              ),
            ),
        );
        return denies ? undefined : 'no bucket policy denying aws:SecureTransport = false';
      }),
  },
  {
    id: 'TLS-LOAD-BALANCER',
    category: 'encryption in transit',
    description:
      'The public entry is HTTPS outside development: the certificate is ACM, validated by DNS ' +
      '(aws_acm_certificate_validation) and created by a switch staging and production cannot turn ' +
      'off (a DNS zone), and the listener policy input admits only TLS 1.3 policies there ' +
      '(ELBSecurityPolicy-TLS13-1-2/1-3-2021-06).',
    rationale:
      'Payment requests and API keys must never cross the internet in clear, nor over TLS 1.0/1.1; a DNS-validated certificate renews itself.',
    check: (m) =>
      eachResource(m, 'aws_acm_certificate', (certificate) => {
        if (certificate.body['validation_method'] !== 'DNS')
          return 'validation_method is not DNS (only DNS-validated certificates renew by themselves)';
        if (
          !resources([certificate.module], 'aws_acm_certificate_validation').some((v) =>
            references(v.body['certificate_arn'], certificate),
          )
        )
          return 'no aws_acm_certificate_validation waits for it: a listener could get a pending certificate';
        const switches = variablesIn(certificate.body['count']);
        if (!switches.every((name) => guardedOutsideDevelopment(certificate.module, name)))
          return `nothing keeps it in staging and production (count from ${switches.join(', ')})`;
        const policies = Object.keys(
          (certificate.module.tf['variable'] as Block | undefined) ?? {},
        ).filter((name) => /tls_policy|ssl_policy/.test(name));
        if (
          policies.length === 0 ||
          !policies.every((name) =>
            guardedOutsideDevelopment(certificate.module, name, TLS13_POLICY),
          )
        )
          return 'no listener policy input limited to TLS 1.3 policies in staging and production';
        return undefined;
      }),
  },
  // ------------------------------------------------------------------ exposure
  {
    id: 'PUB-RDS',
    category: 'exposure',
    description: 'RDS instances are explicitly not publicly accessible.',
    rationale: 'A public RDS endpoint is one security group mistake away from the internet.',
    check: (m) =>
      eachResource(m, 'aws_db_instance', (db) =>
        isFalse(db.body['publicly_accessible']) ? undefined : 'publicly_accessible is not false',
      ),
  },
  {
    id: 'PUB-S3-BLOCK',
    category: 'exposure',
    description: 'Every S3 bucket has a public access block with all four settings on.',
    rationale: 'Blocks public ACLs and policies even if someone adds one later by hand.',
    check: (m) =>
      eachResource(m, 'aws_s3_bucket', (bucket) => {
        const blocked = attachedTo(bucket, 'aws_s3_bucket_public_access_block', 'bucket').some(
          (b) =>
            [
              'block_public_acls',
              'block_public_policy',
              'ignore_public_acls',
              'restrict_public_buckets',
            ].every((k) => isTrue(b.body[k])),
        );
        return blocked ? undefined : 'no public access block with all four settings true';
      }),
  },
  {
    id: 'PUB-S3-OWNERSHIP',
    category: 'exposure',
    description: 'S3 buckets disable ACLs (object ownership BucketOwnerEnforced).',
    rationale: 'With ACLs off, only policies grant access: one place to audit.',
    check: (m) =>
      eachResource(m, 'aws_s3_bucket', (bucket) =>
        attachedTo(bucket, 'aws_s3_bucket_ownership_controls', 'bucket').some(
          (o) => block(o.body, 'rule')?.['object_ownership'] === 'BucketOwnerEnforced',
        )
          ? undefined
          : 'no ownership controls with BucketOwnerEnforced',
      ),
  },
  {
    id: 'PUB-EKS-ENDPOINT',
    category: 'exposure',
    description:
      'EKS API endpoints are private, and a public endpoint is either off or restricted to listed CIDRs (0.0.0.0/0 refused).',
    rationale:
      'The Kubernetes API is the keys to the platform; exposing it to the internet invites credential stuffing and 0-days.',
    check: (m) =>
      eachResource(m, 'aws_eks_cluster', (cluster) => {
        const vpc = block(cluster.body, 'vpc_config') ?? {};
        if (!isTrue(vpc['endpoint_private_access'])) return 'endpoint_private_access is not true';
        if (isFalse(vpc['endpoint_public_access'])) return undefined;
        const cidrs = vpc['public_access_cidrs'];
        if (cidrs === undefined)
          return 'public endpoint without public_access_cidrs (defaults to 0.0.0.0/0)';
        if (isOpenCidr(cidrs)) return 'public_access_cidrs contains 0.0.0.0/0';
        const names = referencedNames(cidrs, 'var');
        const guarded = names.some((name) =>
          validations(cluster.module, name).some(
            (v) => v.condition.includes('0.0.0.0/0') && v.condition.includes('!'),
          ),
        );
        return Array.isArray(cidrs) || guarded
          ? undefined
          : 'public_access_cidrs comes from an input that does not refuse 0.0.0.0/0';
      }),
  },
  // ------------------------------------------------------------------ network
  {
    id: 'NET-OPEN-INGRESS',
    category: 'network',
    description:
      'No security group admits 0.0.0.0/0 or ::/0, except a load balancer security group on ports 80 and 443.',
    rationale: 'Everything else is reached through the load balancer or from inside the VPC.',
    check: (m) =>
      resources(m, 'aws_security_group').flatMap((group) =>
        ingressRules(group)
          .filter(({ cidrs }) => cidrs.some(isOpenCidr))
          .filter(
            ({ rule }) =>
              !(
                isLoadBalancerGroup(group) &&
                [80, 443].includes(Number(rule['from_port'])) &&
                rule['from_port'] === rule['to_port']
              ),
          )
          .map(({ address }) => ({
            address,
            message: `ingress from the internet into ${group.name}`,
          })),
      ),
  },
  {
    id: 'NET-DATA-SOURCES',
    category: 'network',
    description:
      'Security groups of RDS and ElastiCache admit only other security groups, never CIDR ranges.',
    rationale:
      'Only the EKS nodes talk to the data tier; a CIDR would admit anything that lands in that range.',
    check: (m) =>
      [
        ...resources(m, 'aws_db_instance').flatMap((db) =>
          securityGroupsOf(db, 'vpc_security_group_ids'),
        ),
        ...resources(m, 'aws_elasticache_replication_group').flatMap((rg) =>
          securityGroupsOf(rg, 'security_group_ids'),
        ),
      ].flatMap((group) => {
        return ingressRules(group)
          .filter(({ cidrs }) => cidrs.some((c) => isSet(c)))
          .map(({ address }) => ({ address, message: 'data tier ingress from a CIDR range' }));
      }),
  },
  {
    id: 'NET-DEFAULT-SG',
    category: 'network',
    description: "Every VPC's default security group is managed and has no rules.",
    rationale:
      'Resources created without a security group fall into the default one; it must deny everything (CIS AWS 5.4).',
    check: (m) =>
      eachResource(m, 'aws_vpc', (vpc) => {
        const defaults = attachedTo(vpc, 'aws_default_security_group', 'vpc_id');
        if (defaults.length === 0) return 'the default security group is not managed';
        return defaults.some(
          (d) => blocks(d.body['ingress']).length > 0 || blocks(d.body['egress']).length > 0,
        )
          ? 'the default security group has rules'
          : undefined;
      }),
  },
  {
    id: 'NET-FLOW-LOGS',
    category: 'logging',
    description: 'Every VPC has flow logs of ALL traffic.',
    rationale:
      'Flow logs are the only record of who talked to what when investigating an incident.',
    check: (m) =>
      eachResource(m, 'aws_vpc', (vpc) =>
        attachedTo(vpc, 'aws_flow_log', 'vpc_id').some((f) => f.body['traffic_type'] === 'ALL')
          ? undefined
          : 'no aws_flow_log with traffic_type ALL',
      ),
  },
  // ------------------------------------------------------------------ logging
  {
    id: 'LOG-RETENTION',
    category: 'logging',
    description: 'CloudWatch log groups have a retention period.',
    rationale:
      'Without one logs are kept (and billed) forever; with one, retention is a decision per environment.',
    check: (m) =>
      eachResource(m, 'aws_cloudwatch_log_group', (g) =>
        isSet(g.body['retention_in_days']) && g.body['retention_in_days'] !== 0
          ? undefined
          : 'retention_in_days not set',
      ),
  },
  {
    id: 'LOG-EKS-CONTROL-PLANE',
    category: 'logging',
    description: 'EKS clusters send api, audit and authenticator logs to CloudWatch.',
    rationale: 'The audit log answers "who did what in the cluster".',
    check: (m) =>
      eachResource(m, 'aws_eks_cluster', (cluster) => {
        const types = cluster.body['enabled_cluster_log_types'];
        const missing = ['api', 'audit', 'authenticator'].filter(
          (t) => !(Array.isArray(types) && types.includes(t)),
        );
        return missing.length ? `control-plane logs missing: ${missing.join(', ')}` : undefined;
      }),
  },
  {
    id: 'LOG-RDS-EXPORTS',
    category: 'logging',
    description: 'RDS instances export their logs to CloudWatch Logs.',
    rationale:
      'Connection failures and slow queries must be visible without logging into the console.',
    check: (m) =>
      eachResource(m, 'aws_db_instance', (db) =>
        isSet(db.body['enabled_cloudwatch_logs_exports'])
          ? undefined
          : 'enabled_cloudwatch_logs_exports is empty',
      ),
  },
  // ------------------------------------------------------------------ compute
  {
    id: 'EC2-IMDSV2',
    category: 'exposure',
    description:
      'Launch templates and instances require IMDSv2 tokens with a hop limit of at most 2.',
    rationale:
      'IMDSv1 lets any SSRF in a pod read the node role credentials; hop limit 1–2 keeps the metadata service off other network hops.',
    check: (m) => [
      ...eachResource(m, 'aws_instance', (instance) => {
        const metadata = block(instance.body, 'metadata_options');
        if (metadata?.['http_tokens'] !== 'required')
          return 'metadata_options.http_tokens is not "required"';
        const hops = metadata['http_put_response_hop_limit'];
        return typeof hops === 'number' && hops <= 2
          ? undefined
          : 'http_put_response_hop_limit is not a literal of at most 2';
      }),
      ...eachResource(m, 'aws_launch_template', (lt) => {
        const metadata = block(lt.body, 'metadata_options');
        if (metadata?.['http_tokens'] !== 'required')
          return 'metadata_options.http_tokens is not "required"';
        const hops = metadata['http_put_response_hop_limit'];
        const name = variableName(hops);
        const bounded =
          typeof hops === 'number'
            ? hops <= 2
            : name !== undefined &&
              validations(lt.module, name).some(
                (v) =>
                  /<=?\s*2|\[1, 2\]|between/i.test(v.condition) ||
                  v.condition.includes('contains([1, 2]'),
              );
        return bounded ? undefined : 'http_put_response_hop_limit is not bounded to 2';
      }),
    ],
  },
  {
    id: 'EC2-NO-INGRESS',
    category: 'network',
    description:
      'Stand-alone instances (the SSM tunnel to the Kubernetes API) accept no inbound connection: their security groups have no ingress rule, and they get no public IP.',
    rationale:
      'Session Manager connects outbound from the instance; an open port would be a second, unaudited way in.',
    check: (m) =>
      resources(m, 'aws_instance').flatMap((instance) => [
        ...(isFalse(instance.body['associate_public_ip_address'])
          ? []
          : [
              { address: addressOf(instance), message: 'associate_public_ip_address is not false' },
            ]),
        ...securityGroupsOf(instance, 'vpc_security_group_ids').flatMap((group) =>
          ingressRules(group).map(({ address }) => ({
            address,
            message: `ingress into ${group.name}, the security group of ${instance.name}`,
          })),
        ),
      ]),
  },
  // ------------------------------------------------------------------ identity
  {
    id: 'IAM-READABLE',
    category: 'identity',
    description:
      'Every IAM, KMS and bucket policy is literal JSON or an aws_iam_policy_document, so these controls can read it.',
    rationale: 'A policy the controls cannot read is a policy nobody checks: fail closed.',
    check: (m) =>
      policyDocuments(m)
        .filter((d) => d.statements === undefined)
        .map((d) => ({ address: d.address, message: 'policy cannot be read statically' })),
  },
  {
    id: 'IAM-NO-STAR',
    category: 'identity',
    description: 'No identity policy allows Action "*" on Resource "*".',
    rationale: 'Administrator access is never needed by a workload or a pipeline.',
    check: (m) =>
      policyDocuments(m)
        .filter((d) => d.kind === 'identity')
        .flatMap((d) =>
          (d.statements ?? []).filter(statementGrantsEverything).map((s) => ({
            address: d.address,
            message: `statement ${s.sid ?? ''} allows * on *`.replace('  ', ' '),
          })),
        ),
  },
  {
    id: 'IAM-OIDC-AUDIENCE',
    category: 'identity',
    description: 'Roles trusted by GitHub Actions require aud = sts.amazonaws.com (StringEquals).',
    rationale:
      'Without the audience check, a GitHub token minted for another service could be replayed against AWS.',
    check: (m) =>
      githubTrustStatements(m)
        .filter(
          ({ statement }) =>
            !statement.conditions.some(
              (c) =>
                c.variable === `${GITHUB_OIDC}:aud` &&
                c.test === 'StringEquals' &&
                list(c.values).length === 1 &&
                list(c.values)[0] === 'sts.amazonaws.com',
            ),
        )
        .map(({ document }) => ({
          address: document.address,
          message: 'no StringEquals aud = sts.amazonaws.com',
        })),
  },
  {
    id: 'IAM-OIDC-REPOSITORY',
    category: 'identity',
    description:
      'Roles trusted by GitHub Actions check the sub claim and pin it to the configured repository.',
    rationale: 'Without a sub condition, any GitHub repository in the world could assume the role.',
    check: (m) =>
      githubTrustStatements(m)
        .filter(({ statement }) => {
          const sub = subjectCondition(statement);
          const found = sub ? subjects(sub.values) : [];
          return found.length === 0 || !found.every((x) => pinnedRepository(x.repository));
        })
        .map(({ document }) => ({
          address: document.address,
          message: 'sub is missing or not pinned to the repository',
        })),
  },
  {
    id: 'IAM-OIDC-DEPLOY-SUBJECTS',
    category: 'identity',
    description:
      'Roles that GitHub Actions assume with exact subjects (the deploy role) accept only branches (ref:refs/heads/…) and GitHub environments, with StringEquals.',
    rationale:
      'Deploys must come from reviewed branches or from environments that carry approval gates, never from pull requests or tags.',
    check: (m) =>
      githubTrustStatements(m)
        .filter(({ statement }) => {
          const sub = subjectCondition(statement);
          if (!sub || sub.test !== 'StringEquals') return false;
          return !subjects(sub.values).every((x) => deployClaim(x.claim));
        })
        .map(({ document }) => ({
          address: document.address,
          message: 'deploy subjects include something else than branches and environments',
        })),
  },
  {
    id: 'IAM-OIDC-WILDCARD-READ-ONLY',
    category: 'identity',
    description:
      'A role that GitHub Actions assumes with wildcard or StringLike subjects (any branch, pull requests) is read-only: ReadOnlyAccess plus the state lock, and Session Manager port forwarding (never a shell) to reach the private Kubernetes API.',
    rationale: 'Anyone who can open a pull request can run a workflow as that role.',
    check: (m) =>
      githubTrustStatements(m)
        .filter(({ statement }) => {
          const sub = subjectCondition(statement);
          return sub !== undefined && (sub.test === 'StringLike' || hasWildcardSubject(sub.values));
        })
        .flatMap(({ document }) => {
          const role = document.owner;
          const attached = attachedTo(role, 'aws_iam_role_policy_attachment', 'role')
            .map((a) => String(a.body['policy_arn']))
            .filter((arn) => !/:iam::aws:policy\/ReadOnlyAccess$/.test(arn));
          const inline = policyDocuments([role.module])
            .filter(
              (d) =>
                d.owner.type === 'aws_iam_role_policy' && references(d.owner.body['role'], role),
            )
            .flatMap((d) =>
              (d.statements ?? [])
                .filter((s) => s.effect === 'Allow' && !opensTunnelsOnly(s))
                .flatMap((s) => list(s.actions)),
            )
            .filter((action) => !PLAN_ACTIONS.has(action));
          return [...attached, ...inline].map((grant) => ({
            address: addressOf(role),
            message: `wildcard-trusted role also holds ${grant}`,
          }));
        }),
  },
  {
    id: 'IAM-POD-IDENTITY-TRUST',
    category: 'identity',
    description:
      'Every role that trusts pods.eks.amazonaws.com trusts only that principal, and only for one cluster, namespace and service account: StringEquals on the session tags aws:RequestTag/eks-cluster-arn, kubernetes-namespace and kubernetes-service-account (no wildcard), matching its Pod Identity association.',
    rationale:
      'Without those conditions any pod of any cluster in the account that gets an association to the role (or a role also trusted by another principal) escapes the namespace/service-account binding.',
    check: (m) =>
      policyDocuments(m)
        .filter(
          (d) =>
            d.kind === 'trust' &&
            (d.statements ?? []).some((s) =>
              s.principals.some((p) => includesValue(p.identifiers, POD_IDENTITY_PRINCIPAL)),
            ),
        )
        .flatMap((trust) => {
          const role = trustedRole(trust.owner);
          const problem = podIdentityTrustProblem(role, trust.statements ?? []);
          return problem ? [{ address: addressOf(role), message: problem }] : [];
        }),
  },
  {
    id: 'IAM-BOUNDARY-REQUIRED',
    category: 'identity',
    description:
      'Every IAM role carries a permissions boundary: a validated policy-ARN input (permissions_boundary_arn, fed from the shared module) or the boundary policy of its module. Only the GitHub OIDC roles, which an administrator creates and IAM-DEPLOY-CANNOT-ESCALATE constrains, are exempt.',
    rationale:
      'The deploy role may create and change roles: without a boundary on each, a role it writes a policy for could do anything, including what the deploy role itself may not.',
    check: (m) => {
      const github = new Set(
        githubTrustStatements(m).map(({ document }) => addressOf(trustedRole(document.owner))),
      );
      return resources(m, 'aws_iam_role')
        .filter((role) => !github.has(addressOf(role)))
        .flatMap((role) => {
          const boundary = role.body['permissions_boundary'];
          const input = variableName(boundary);
          const validated =
            input !== undefined &&
            validations(role.module, input).some((v) => v.condition.includes(':policy/'));
          const own = referencedNames(boundary, 'aws_iam_policy').length > 0;
          return validated || own
            ? []
            : [
                {
                  address: addressOf(role),
                  message: 'no permissions boundary from a validated policy-ARN input',
                },
              ];
        });
    },
  },
  {
    id: 'IAM-DEPLOY-CANNOT-ESCALATE',
    category: 'identity',
    description:
      'The GitHub deploy role (exact subjects) may create or change a role (CreateRole, PutRolePolicy, AttachRolePolicy, DetachRolePolicy, DeleteRolePolicy, PutRolePermissionsBoundary) only with iam:PermissionsBoundary = the boundary policy of its module, and its policy denies DeleteRolePermissionsBoundary, any change to the boundary policy, and any change to the GitHub roles themselves.',
    rationale:
      'Otherwise the deploy role could create a role without the boundary, or remove it, or widen the boundary or its own policy, and make itself an administrator of the account.',
    check: (m) => {
      const github = githubTrustStatements(m).map(({ document, statement }) => ({
        role: trustedRole(document.owner),
        statement,
      }));
      const githubRoles = [...new Map(github.map((g) => [addressOf(g.role), g.role])).values()];
      return github
        .filter(({ statement }) => subjectCondition(statement)?.test === 'StringEquals')
        .flatMap(({ role }) =>
          escalationProblems(role, githubRoles).map((message) => ({
            address: addressOf(role),
            message,
          })),
        );
    },
  },
  // ------------------------------------------------------------------ secrets
  {
    id: 'STATE-NO-SECRETS',
    category: 'secrets',
    description:
      "No module keeps a secret value in Terraform state: no resource sets an attribute of SECRET_BEARING_ATTRIBUTES (a password, an AUTH token, a secret version's string, Kubernetes Secret data, Helm set_sensitive…) and no data source reads one (a generated or stored secret, an EKS token). Write-only arguments (`*_wo`) are allowed.",
    rationale:
      'Every branch can run a plan, and the plan role reads every state object: a secret value in state is readable by anyone who can open a pull request (docs/adr/013-no-secret-values-in-state.md).',
    check: (m) =>
      Object.entries(SECRET_BEARING_ATTRIBUTES).flatMap(([key, attributes]) => {
        const mode = key.startsWith('data.') ? 'data' : 'resource';
        const type = key.replace(/^data\./, '');
        return resources(m, type, mode).flatMap((r) => {
          const found = attributes.includes('*')
            ? ['*']
            : attributes.filter((a) => valuesAt(r.body, a).some(isSet));
          if (found.length === 0) return [];
          return [
            {
              address: addressOf(r),
              message: found.includes('*')
                ? `${key} holds a secret value in state`
                : `sets ${found.join(', ')}: a secret value in state`,
            },
          ];
        });
      }),
  },
  // ------------------------------------------------------------------ supply chain
  {
    id: 'ECR-IMMUTABLE',
    category: 'supply chain',
    description: 'ECR repositories have immutable tags.',
    rationale: 'A deployed tag must always designate the same image, or rollbacks and audits lie.',
    check: (m) =>
      eachResource(m, 'aws_ecr_repository', (r) =>
        r.body['image_tag_mutability'] === 'IMMUTABLE'
          ? undefined
          : 'image_tag_mutability is not IMMUTABLE',
      ),
  },
  {
    id: 'ECR-SCAN',
    category: 'supply chain',
    description: 'ECR repositories scan images on push and have a lifecycle policy.',
    rationale:
      'Known CVEs surface at push time; the lifecycle policy keeps old vulnerable images from piling up.',
    check: (m) =>
      eachResource(m, 'aws_ecr_repository', (r) =>
        !isTrue(block(r.body, 'image_scanning_configuration')?.['scan_on_push'])
          ? 'scan_on_push is not true'
          : attachedTo(r, 'aws_ecr_lifecycle_policy', 'repository').length === 0
            ? 'no lifecycle policy'
            : undefined,
      ),
  },
  // ------------------------------------------------------------------ resilience
  {
    id: 'PROD-RDS-DELETION-PROTECTION',
    category: 'resilience',
    description:
      'RDS deletion protection is on, or comes from an input whose validation refuses false when environment = "production"; the only way around it is the `decommission` teardown input (bool, default false).',
    rationale: 'A mistaken destroy or a renamed resource must not drop the production database.',
    check: (m) =>
      eachResource(m, 'aws_db_instance', (db) => {
        const value = db.body['deletion_protection'];
        const switched = unlessDecommissioned(db.module, value);
        return enforcedInProduction(db.module, value, isTrue) ||
          (switched !== undefined && guardedInProduction(db.module, switched))
          ? undefined
          : 'deletion_protection is not guaranteed in production';
      }),
  },
  {
    id: 'PROD-RDS-MULTI-AZ',
    category: 'resilience',
    description: 'RDS Multi-AZ is on, or guaranteed in production by an input validation.',
    rationale: 'An AZ failure must not take payments down.',
    check: (m) =>
      eachResource(m, 'aws_db_instance', (db) =>
        enforcedInProduction(db.module, db.body['multi_az'], isTrue)
          ? undefined
          : 'multi_az is not guaranteed in production',
      ),
  },
  {
    id: 'PROD-RDS-FINAL-SNAPSHOT',
    category: 'resilience',
    description: 'RDS takes a final snapshot on deletion, guaranteed in production.',
    rationale: 'The last copy of the data when an instance is deleted on purpose.',
    check: (m) =>
      eachResource(m, 'aws_db_instance', (db) =>
        enforcedInProduction(db.module, db.body['skip_final_snapshot'], isFalse)
          ? undefined
          : 'skip_final_snapshot may be true in production',
      ),
  },
  {
    id: 'BACKUP-RDS-RETENTION',
    category: 'resilience',
    description:
      'RDS keeps automated backups at least 7 days by default, and production enforces its minimum by validation.',
    rationale:
      'Point-in-time recovery needs backups; a bug found a week late must still be recoverable.',
    check: (m) =>
      eachResource(m, 'aws_db_instance', (db) => {
        const value = db.body['backup_retention_period'];
        if (numberBelow(db.module, value, 7))
          return 'backup retention (or its default) is below 7 days';
        return enforcedInProduction(db.module, value, (v) => typeof v === 'number' && v >= 7)
          ? undefined
          : 'nothing guarantees the production backup retention';
      }),
  },
  {
    id: 'BACKUP-RDS-CROSS-REGION',
    category: 'resilience',
    description:
      'RDS automated backups are replicated to another region (aws_db_instance_automated_backups_replication through an aliased provider in another region, encrypted with a customer managed key of that region), and production cannot turn the replication off.',
    rationale:
      'Backups kept only in the database region are lost with it; with replicated snapshots and transaction logs a point-in-time restore works in the other region.',
    check: (m) =>
      eachResource(m, 'aws_db_instance', (db) => {
        const replications = attachedTo(
          db,
          'aws_db_instance_automated_backups_replication',
          'source_db_instance_arn',
        );
        if (replications.length === 0)
          return 'automated backups are not replicated to another region';
        const problems = replications.map((replication) => {
          const provider = String(replication.body['provider'] ?? '');
          const alias = /^aws\.([A-Za-z0-9_-]+)$/.exec(provider)?.[1];
          const replicaRegion = alias ? awsProvider(db.module, alias)?.['region'] : undefined;
          if (!isSet(replicaRegion) || replicaRegion === awsProvider(db.module)?.['region'])
            return `${addressOf(replication)} is not created in another region`;
          const keys = referencedNames(replication.body['kms_key_id'], 'aws_kms_key');
          const regionalKey = resources([db.module], 'aws_kms_key').some(
            (k) => keys.includes(k.name) && k.body['provider'] === provider,
          );
          if (!regionalKey)
            return `${addressOf(replication)} is not encrypted with a customer managed key of its region`;
          const switches = variablesIn(replication.body['count']);
          if (
            replication.body['count'] !== undefined &&
            !switches.some((name) => guardedInProduction(db.module, name))
          )
            return `nothing keeps ${addressOf(replication)} on in production`;
          return undefined;
        });
        return problems.find((p) => p !== undefined);
      }),
  },
  {
    id: 'PROD-CACHE-FAILOVER',
    category: 'resilience',
    description:
      'Redis automatic failover and Multi-AZ are on, or guaranteed in production by input validations.',
    rationale: 'Losing the primary must promote a replica instead of failing idempotency checks.',
    check: (m) =>
      eachResource(m, 'aws_elasticache_replication_group', (rg) =>
        !enforcedInProduction(rg.module, rg.body['automatic_failover_enabled'], isTrue)
          ? 'automatic_failover_enabled is not guaranteed in production'
          : !enforcedInProduction(rg.module, rg.body['multi_az_enabled'], isTrue)
            ? 'multi_az_enabled is not guaranteed in production'
            : !isSet(rg.body['snapshot_retention_limit'])
              ? 'snapshot_retention_limit not set'
              : undefined,
      ),
  },
  {
    id: 'LB-DELETION-PROTECTION',
    category: 'resilience',
    description:
      'The load balancer attributes handed to the Ingresses (output load_balancer_attributes) turn ' +
      'deletion_protection.enabled on, from an input staging and production cannot turn off.',
    rationale:
      'The public address of the API is the load balancer: a deleted Ingress or a controller bug must not take it (and its DNS name) away.',
    check: (m) =>
      loadBalancerAttributeOutputs(m).flatMap(({ module, value }) =>
        onOutsideDevelopment(module, loadBalancerAttribute(value, 'deletion_protection.enabled'))
          ? []
          : [
              {
                address: `${module.name}:output.${LOAD_BALANCER_ATTRIBUTES_OUTPUT}`,
                message:
                  'deletion_protection.enabled is not on, or not guaranteed in staging and production',
              },
            ],
      ),
  },
  {
    id: 'LOG-LOAD-BALANCER',
    category: 'logging',
    description:
      'The load balancer writes access logs (output load_balancer_attributes: access_logs.s3.enabled ' +
      'from an input staging and production keep on) to an aws_s3_bucket of the module whose policy ' +
      'lets the Elastic Load Balancing log delivery put objects only under AWSLogs/<account>/. The ' +
      'bucket is encrypted with SSE-S3, the only default encryption ALB access logs accept (ENC-S3).',
    rationale:
      "Who called the API, from where and with which result: the record of an incident or a dispute, kept for the environment's retention.",
    check: (m) =>
      loadBalancerAttributeOutputs(m).flatMap(({ module, value }) => {
        const address = `${module.name}:output.${LOAD_BALANCER_ATTRIBUTES_OUTPUT}`;
        if (!onOutsideDevelopment(module, loadBalancerAttribute(value, 'access_logs.s3.enabled')))
          return [{ address, message: 'access logs are not on in staging and production' }];
        const [bucketName] = referencedNames(
          loadBalancerAttribute(value, 'access_logs.s3.bucket'),
          'aws_s3_bucket',
        );
        const bucket = resources([module], 'aws_s3_bucket').find((b) => b.name === bucketName);
        if (!bucket)
          return [{ address, message: 'access_logs.s3.bucket is no bucket of the module' }];
        const delivers = attachedTo(bucket, 'aws_s3_bucket_policy', 'bucket').some((policy) =>
          (readPolicy(module, policy.body['policy']) ?? []).some(
            (s) =>
              s.effect === 'Allow' &&
              list(s.actions).includes('s3:PutObject') &&
              s.principals.length > 0 &&
              s.principals.every((p) =>
                list(p.identifiers).every((id) => LOAD_BALANCER_LOG_WRITERS.test(id)),
              ) &&
              list(s.resources).every((r) => /\/AWSLogs\/\$\{[^}]+\}\/\*$/.test(r)),
          ),
        );
        return delivers
          ? []
          : [
              {
                address: addressOf(bucket),
                message:
                  'no bucket policy lets the load balancer log delivery (and only it) write under AWSLogs/<account>/',
              },
            ];
      }),
  },
  {
    id: 'WAF-LOAD-BALANCER',
    category: 'exposure',
    description:
      'The regional AWS WAF web ACL of the load balancer blocks with the managed rule groups ' +
      'AWSManagedRulesCommonRuleSet and AWSManagedRulesKnownBadInputsRuleSet (override_action none, ' +
      'not count) and a rate-based rule per client address (action block); it exists in staging and ' +
      'production (its count switch is guarded) and an output hands its ARN to the Ingresses.',
    rationale:
      'The API is on the internet: known exploit payloads and floods from one address are stopped before they reach a pod.',
    check: (m) =>
      eachResource(m, 'aws_wafv2_web_acl', (acl) => {
        if (acl.body['scope'] !== 'REGIONAL')
          return 'scope is not REGIONAL (a load balancer takes a regional web ACL)';
        const rules = blocks(acl.body['rule']);
        const statementOf = (rule: Block) => blocks(rule['statement'])[0] ?? {};
        const blocking = (rule: Block) => block(rule, 'override_action')?.['none'] !== undefined;
        for (const group of REQUIRED_MANAGED_RULE_GROUPS) {
          const rule = rules.find((r) =>
            blocks(statementOf(r)['managed_rule_group_statement']).some(
              (g) => g['name'] === group && g['vendor_name'] === 'AWS',
            ),
          );
          if (!rule) return `no rule applies ${group}`;
          if (!blocking(rule)) return `${group} only counts (override_action is not none)`;
        }
        const rateRule = rules.find(
          (r) => blocks(statementOf(r)['rate_based_statement']).length > 0,
        );
        if (!rateRule) return 'no rate-based rule';
        if (block(rateRule, 'action')?.['block'] === undefined)
          return 'the rate-based rule does not block';
        const switches = variablesIn(acl.body['count']);
        if (!switches.every((name) => guardedOutsideDevelopment(acl.module, name)))
          return `nothing keeps it in staging and production (count from ${switches.join(', ')})`;
        const handed = Object.values((acl.module.tf['output'] as Block | undefined) ?? {}).some(
          (o) => isBlock(o) && references(o['value'], acl),
        );
        return handed ? undefined : 'no output hands its ARN to the Ingresses';
      }),
  },
  {
    id: 'S3-VERSIONING-LIFECYCLE',
    category: 'resilience',
    description: 'S3 buckets are versioned and have a lifecycle configuration with an expiration.',
    rationale:
      'Versioning undoes overwrites and deletes; expiration keeps retention a decision, not an accident.',
    check: (m) =>
      eachResource(m, 'aws_s3_bucket', (bucket) =>
        !attachedTo(bucket, 'aws_s3_bucket_versioning', 'bucket').some(
          (v) => block(v.body, 'versioning_configuration')?.['status'] === 'Enabled',
        )
          ? 'versioning is not enabled'
          : !attachedTo(bucket, 'aws_s3_bucket_lifecycle_configuration', 'bucket').some((l) =>
                blocks(l.body['rule']).some(
                  (r) => r['status'] === 'Enabled' && blocks(r['expiration']).length > 0,
                ),
              )
            ? 'no enabled lifecycle rule with an expiration'
            : undefined,
      ),
  },
];
