// Reads the GitHub OIDC trust of the plan and deploy roles from the synthesized shared
// module (modules/shared/main.tf.json). The `sub` values are Terraform expressions over
// the module's variables (github_repository, github_deploy_branches,
// github_environments); Terraform itself evaluates them, through `terraform console`
// on a configuration holding only those variables, so no HCL is re-implemented here.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { OidcTrust } from './workflow-rules';

export const GITHUB_OIDC_HOST = 'token.actions.githubusercontent.com';

interface Condition {
  test?: string;
  variable?: string;
  values?: unknown;
}

interface PolicyStatement {
  actions?: string[];
  condition?: Condition[];
}

interface TerraformJson {
  variable?: Record<string, unknown>;
  locals?: Record<string, unknown>;
  output?: Record<string, { value?: string }>;
  resource?: { aws_iam_role?: Record<string, { assume_role_policy?: string }> };
  data?: { aws_iam_policy_document?: Record<string, { statement?: PolicyStatement[] }> };
}

/** One role's trust: the `sub` test and its values as Terraform expressions, and the audience. */
export interface RoleTrust {
  subjectTest: string;
  subjectValues: unknown;
  audiences: unknown;
}

/** Follows output → aws_iam_role → aws_iam_policy_document to the role's OIDC conditions. */
export function roleTrust(module: TerraformJson, output: string): RoleTrust {
  const value = module.output?.[output]?.value ?? '';
  // The roles are counted (create_github_roles): `try(aws_iam_role.<name>[0].arn, "")`.
  const role = /^\$\{(?:try\()?aws_iam_role\.([\w-]+)(?:\[0\])?\.arn(?:, "")?\)?\}$/.exec(
    value,
  )?.[1];
  if (!role) throw new Error(`output ${output} is not an aws_iam_role ARN (${value})`);
  const policy = module.resource?.aws_iam_role?.[role]?.assume_role_policy ?? '';
  const document = /^\$\{data\.aws_iam_policy_document\.([\w-]+)(?:\[0\])?\.json\}$/.exec(
    policy,
  )?.[1];
  if (!document)
    throw new Error(`role ${role}'s trust is not an aws_iam_policy_document (${policy})`);
  const statements = module.data?.aws_iam_policy_document?.[document]?.statement ?? [];
  const conditions = statements
    .filter((statement) => (statement.actions ?? []).includes('sts:AssumeRoleWithWebIdentity'))
    .flatMap((statement) => statement.condition ?? []);
  const subject = conditions.find((condition) => condition.variable === `${GITHUB_OIDC_HOST}:sub`);
  const audience = conditions.find((condition) => condition.variable === `${GITHUB_OIDC_HOST}:aud`);
  if (!subject) throw new Error(`role ${role} trusts no ${GITHUB_OIDC_HOST}:sub condition`);
  if (!audience) throw new Error(`role ${role} does not check the ${GITHUB_OIDC_HOST}:aud claim`);
  return {
    subjectTest: subject.test ?? '',
    subjectValues: subject.values,
    audiences: audience.values,
  };
}

/** A Terraform JSON string value ("…${var.x}…" template or "${expr}") as an HCL expression. */
function toHcl(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(toHcl).join(', ')}]`;
  if (typeof value !== 'string') throw new Error(`unexpected value ${JSON.stringify(value)}`);
  if (value.startsWith('${') && closingBrace(value) === value.length - 1) return value.slice(2, -1);
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** Index of the `}` closing the `${` at the start of `value` (nested templates included). */
function closingBrace(value: string): number {
  let depth = 0;
  for (let index = 0; index < value.length; index += 1) {
    if (value[index] === '{') depth += 1;
    else if (value[index] === '}') {
      depth -= 1;
      if (depth === 0) return index;
    }
  }
  return -1;
}

/** Evaluates `values` (a list or a list-valued expression) with `terraform console`. */
export function evaluateStrings(
  module: TerraformJson,
  values: unknown,
  variables: Record<string, string>,
  terraform = 'terraform',
): string[] {
  const directory = mkdtempSync(path.join(tmpdir(), 'payflow-oidc-'));
  try {
    const attempt = (withLocals: boolean) => {
      const config: TerraformJson = { variable: module.variable ?? {} };
      if (withLocals && module.locals) config.locals = module.locals;
      writeFileSync(path.join(directory, 'main.tf.json'), JSON.stringify(config));
      const args = [
        'console',
        ...Object.entries(variables).flatMap(([k, v]) => ['-var', `${k}=${v}`]),
      ];
      return spawnSync(terraform, args, {
        cwd: directory,
        input: `jsonencode(flatten([${toHcl(values)}]))\n`,
        encoding: 'utf8',
        env: { ...process.env, TF_IN_AUTOMATION: '1', CHECKPOINT_DISABLE: '1' },
        timeout: 60_000,
      });
    };
    // Locals may reference resources, which this variables-only configuration lacks.
    let result = attempt(true);
    if (result.status !== 0) result = attempt(false);
    if (result.error) throw result.error;
    if (result.status !== 0) throw new Error(`terraform console failed: ${result.stderr}`);
    // The console prints the JSON as an HCL string literal, whose escapes JSON shares.
    return JSON.parse(JSON.parse(result.stdout.trim()) as string) as string[];
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

/** The subjects each role accepts, for `repository` and the module's default branches/environments. */
export function readOidcTrust(
  module: TerraformJson,
  repository: string,
  terraform = 'terraform',
): OidcTrust {
  const variables = { github_repository: repository };
  const plan = roleTrust(module, 'github_plan_role_arn');
  const deploy = roleTrust(module, 'github_deploy_role_arn');
  for (const [name, trust] of [
    ['plan', plan],
    ['deploy', deploy],
  ] as const) {
    const audiences = evaluateStrings(module, trust.audiences, variables, terraform);
    if (JSON.stringify(audiences) !== JSON.stringify(['sts.amazonaws.com'])) {
      throw new Error(
        `the ${name} role must accept only the sts.amazonaws.com audience, not ${audiences.join(', ')}`,
      );
    }
  }
  if (deploy.subjectTest !== 'StringEquals') {
    throw new Error(
      `the deploy role must match subjects exactly (StringEquals), not with ${deploy.subjectTest}`,
    );
  }
  return {
    repository,
    plan: evaluateStrings(module, plan.subjectValues, variables, terraform),
    deploy: evaluateStrings(module, deploy.subjectValues, variables, terraform),
  };
}
