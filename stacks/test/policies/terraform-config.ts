// Read access to synthesized Terraform JSON (modules/<name>/main.tf.json) for the policy
// controls: resources by type, references between them, variables and their validations.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export type Block = Record<string, unknown>;

export interface TerraformModule {
  readonly name: string;
  /** The parsed main.tf.json. Controls read it; mutation tests rewrite it. */
  readonly tf: Block;
}

export interface ResourceRef {
  readonly module: TerraformModule;
  /** `resource` or `data`. */
  readonly mode: 'resource' | 'data';
  readonly type: string;
  readonly name: string;
  readonly body: Block;
}

/** `<module>:<type>.<name>` (data sources: `<module>:data.<type>.<name>`). */
export function addressOf(ref: Pick<ResourceRef, 'module' | 'mode' | 'type' | 'name'>): string {
  return `${ref.module.name}:${ref.mode === 'data' ? 'data.' : ''}${ref.type}.${ref.name}`;
}

/** Every synthesized module (modules/<name>/main.tf.json), sorted by name. */
export function loadModules(modulesDir: string): TerraformModule[] {
  if (!existsSync(modulesDir)) return [];
  return readdirSync(modulesDir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(modulesDir, d.name, 'main.tf.json')))
    .map((d) => ({
      name: d.name,
      tf: JSON.parse(readFileSync(join(modulesDir, d.name, 'main.tf.json'), 'utf8')) as Block,
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** The modules that use the AWS provider. */
export function loadAwsModules(modulesDir: string): TerraformModule[] {
  return loadModules(modulesDir).filter(
    (m) => isBlock(m.tf['provider']) && 'aws' in m.tf['provider'],
  );
}

export function isBlock(value: unknown): value is Block {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Nested blocks are synthesized either as one object or as a list of objects. */
export function blocks(value: unknown): Block[] {
  if (Array.isArray(value)) return value.filter(isBlock);
  return isBlock(value) ? [value] : [];
}

/** The first nested block at a path (`block(db, 'vpc_config')`). */
export function block(parent: Block, ...path: string[]): Block | undefined {
  let current: Block | undefined = parent;
  for (const key of path) {
    current = current ? blocks(current[key])[0] : undefined;
  }
  return current;
}

export function resources(
  modules: readonly TerraformModule[],
  type: string,
  mode: 'resource' | 'data' = 'resource',
): ResourceRef[] {
  return modules.flatMap((module) => {
    const byType = module.tf[mode];
    const ofType = isBlock(byType) ? byType[type] : undefined;
    if (!isBlock(ofType)) return [];
    return Object.entries(ofType)
      .filter((entry): entry is [string, Block] => isBlock(entry[1]))
      .map(([name, body]) => ({ module, mode, type, name, body }));
  });
}

/** Literal true, or the string "true" (some provider attributes are strings). */
export function isTrue(value: unknown): boolean {
  return value === true || value === 'true';
}

export function isFalse(value: unknown): boolean {
  return value === false || value === 'false';
}

/** A non-empty literal or expression. */
export function isSet(value: unknown): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value === 'string') return value.trim() !== '';
  if (Array.isArray(value)) return value.length > 0;
  return true;
}

/** Names of `<type>` resources a value references (`${aws_kms_key.data_key.arn}` → data_key). */
export function referencedNames(value: unknown, type: string): string[] {
  const text = typeof value === 'string' ? value : JSON.stringify(value ?? null);
  const pattern = new RegExp(`(?<![A-Za-z0-9_.])${type}\\.([A-Za-z0-9_-]+)`, 'g');
  return [...text.matchAll(pattern)].map((m) => m[1] ?? '');
}

export function references(value: unknown, target: ResourceRef): boolean {
  const prefix = target.mode === 'data' ? `data.${target.type}` : target.type;
  const text = typeof value === 'string' ? value : JSON.stringify(value ?? null);
  const pattern = new RegExp(
    `(?<![A-Za-z0-9_.])${prefix.replace(/\./g, '\\.')}\\.${target.name}(?![A-Za-z0-9_-])`,
  );
  return pattern.test(text);
}

/** `${var.name}` exactly → name. */
export function variableName(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  return /^\$\{var\.([A-Za-z0-9_-]+)\}$/.exec(value)?.[1];
}

/** The teardown switch a production guarantee may give way to (modules/data `decommission`). */
export const DECOMMISSION_SWITCH = 'decommission';

/**
 * `${(var.x && !var.decommission)}` → x, when `decommission` is a bool input defaulting to false:
 * the guarantee of x holds unless an operator turns the teardown switch on for a destroy.
 * Anything else (another switch, a switch on by default) → undefined.
 */
export function unlessDecommissioned(module: TerraformModule, value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const match = /^\$\{\(var\.([A-Za-z0-9_-]+) && !var\.([A-Za-z0-9_-]+)\)\}$/.exec(value);
  if (!match?.[1] || match[2] !== DECOMMISSION_SWITCH) return undefined;
  const decommission = variable(module, DECOMMISSION_SWITCH);
  return decommission?.['type'] === 'bool' && decommission['default'] === false
    ? match[1]
    : undefined;
}

export interface VariableValidation {
  readonly condition: string;
  readonly errorMessage: string;
}

export function variable(module: TerraformModule, name: string): Block | undefined {
  const variables = module.tf['variable'];
  return isBlock(variables) && isBlock(variables[name]) ? variables[name] : undefined;
}

export function validations(module: TerraformModule, name: string): VariableValidation[] {
  return blocks(variable(module, name)?.['validation']).map((v) => ({
    condition: String(v['condition'] ?? ''),
    errorMessage: String(v['error_message'] ?? ''),
  }));
}

/** Names of the variables an expression references (`${length(var.x) >= 1 ? 1 : 0}` → x). */
export function variablesIn(value: unknown): string[] {
  const text = typeof value === 'string' ? value : JSON.stringify(value ?? null);
  return [...text.matchAll(/(?<![A-Za-z0-9_.])var\.([A-Za-z0-9_-]+)/g)].map((m) => m[1] ?? '');
}

/**
 * True when one of the variable's validations conditions on `var.environment` being
 * "production" and tests the variable itself.
 */
export function guardedInProduction(module: TerraformModule, name: string): boolean {
  return validations(module, name).some(
    (v) =>
      /var\.environment\s*!=\s*"production"/.test(v.condition) &&
      v.condition.includes(`var.${name}`),
  );
}

/**
 * True when one of the variable's validations lets development go without and holds the
 * variable itself to a requirement in staging and production:
 * `var.environment == "development" || (<requirement on var.<name>>)` (Rule.outsideDevelopment).
 * `requirement`, when given, must also appear in that validation's condition.
 */
export function guardedOutsideDevelopment(
  module: TerraformModule,
  name: string,
  requirement?: RegExp,
): boolean {
  return validations(module, name).some(
    (v) =>
      /var\.environment\s*==\s*"development"\s*\|\|/.test(v.condition) &&
      v.condition.includes(`var.${name}`) &&
      (requirement === undefined || requirement.test(v.condition)),
  );
}

/** A module output's value (the expression as synthesized), or undefined. */
export function outputValue(module: TerraformModule, name: string): unknown {
  const outputs = module.tf['output'];
  return isBlock(outputs) && isBlock(outputs[name]) ? outputs[name]['value'] : undefined;
}

/**
 * True when `value` is the literal `expected`, or a variable that cannot hold anything
 * else in production (guardedInProduction).
 */
export function enforcedInProduction(
  module: TerraformModule,
  value: unknown,
  literalOk: (v: unknown) => boolean,
): boolean {
  if (literalOk(value)) return true;
  const name = variableName(value);
  return name !== undefined && guardedInProduction(module, name);
}

/** The `provider "aws"` block with this alias (undefined: the default provider). */
export function awsProvider(module: TerraformModule, alias?: string): Block | undefined {
  const providers = module.tf['provider'];
  return blocks(isBlock(providers) ? providers['aws'] : undefined).find(
    (p) => p['alias'] === alias,
  );
}
