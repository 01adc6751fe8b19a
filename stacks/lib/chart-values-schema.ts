import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TerraformVariable } from 'cdktf';
import type { InputRule } from './inputs';

/** The JSON-schema keywords the repository's chart schemas use on scalar and list values. */
export interface SchemaNode {
  readonly type?: string;
  readonly enum?: readonly (string | number)[];
  readonly pattern?: string;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly items?: SchemaNode;
  readonly minItems?: number;
  readonly maxItems?: number;
  readonly properties?: Readonly<Record<string, SchemaNode>>;
  readonly $ref?: string;
}

const REPOSITORY_ROOT = join(__dirname, '..', '..');
const hcl = (value: string | number) =>
  typeof value === 'number' ? String(value) : JSON.stringify(value);

/**
 * A chart's values.schema.json, read at synth time: a module input that becomes a chart value
 * gets that value's rules as a Terraform validation, so a value Helm would refuse at apply fails
 * at plan, and no pattern or bound is written twice.
 */
export class ChartValuesSchema {
  private readonly root: SchemaNode & { definitions?: Record<string, SchemaNode> };

  /** `file`: repository-relative path of the values.schema.json. */
  constructor(readonly file: string) {
    this.root = JSON.parse(readFileSync(join(REPOSITORY_ROOT, file), 'utf8'));
  }

  private resolve(node: SchemaNode | undefined): SchemaNode | undefined {
    const name = node?.$ref?.replace('#/definitions/', '');
    return name === undefined ? node : this.resolve(this.root.definitions?.[name]);
  }

  /** The schema of a value, by its dotted path (`postgres.port`); throws for an unknown path. */
  node(path: string): SchemaNode {
    const found = path
      .split('.')
      .reduce<SchemaNode | undefined>((n, key) => this.resolve(n?.properties?.[key]), this.root);
    if (!found) throw new Error(`${this.file} has no value ${path}`);
    return found;
  }

  /** The schema of the elements of the list at `path`; undefined for a value that is no list. */
  items(path: string): SchemaNode | undefined {
    const node = this.node(path);
    return node.type === 'array' ? this.resolve(node.items) : undefined;
  }

  /** One rule holding every constraint of the value at `path`; undefined when it has none. */
  rule(path: string): InputRule | undefined {
    const node = this.node(path);
    const item = this.items(path);
    const own = constraints(node);
    const each = item ? constraints(item) : [];
    const conditions = [
      ...own.map((c) => c.condition),
      ...each.map((c) => (v: string) => `alltrue([for x in ${v} : ${c.condition('x')}])`),
    ];
    if (conditions.length === 0) return undefined;
    const words = [
      ...own.map((c) => c.words),
      ...(each.length ? [`each element ${each.map((c) => c.words).join(', ')}`] : []),
    ];
    return {
      condition: (v) => conditions.map((c) => `(${c(v)})`).join(' && '),
      errorMessage: `Must be ${words.join(', ')} (chart value ${path}, ${this.file}).`,
    };
  }

  /** Adds to `variable` the rules of every chart value it becomes. */
  validate(variable: TerraformVariable, ...paths: string[]): void {
    for (const path of paths) {
      const rule = this.rule(path);
      if (!rule) continue;
      variable.addValidation({
        condition: `\${${rule.condition(`var.${variable.friendlyUniqueId}`)}}`,
        errorMessage: rule.errorMessage,
      });
    }
  }
}

interface Constraint {
  readonly condition: (address: string) => string;
  readonly words: string;
}

/** "from 1 to 5", "at least 1", "at most 5" (+ unit). */
function bounds(min: number | undefined, max: number | undefined, unit = ''): string {
  const text =
    min !== undefined && max !== undefined
      ? `from ${min} to ${max}`
      : min !== undefined
        ? `at least ${min}`
        : `at most ${max}`;
  return unit ? `${text} ${unit}` : text;
}

/** `a >= min && a <= max` for the bounds that are set. */
const within = (a: string, min: number | undefined, max: number | undefined) =>
  [min === undefined ? '' : `${a} >= ${min}`, max === undefined ? '' : `${a} <= ${max}`]
    .filter(Boolean)
    .join(' && ');

/** The Terraform equivalent of each keyword of one node (not of its list items). */
function constraints(node: SchemaNode): Constraint[] {
  const found: Constraint[] = [];
  if (node.type === 'integer')
    found.push({ condition: (v) => `floor(${v}) == ${v}`, words: 'a whole number' });
  if (node.minimum !== undefined || node.maximum !== undefined)
    found.push({
      condition: (v) => within(v, node.minimum, node.maximum),
      words: bounds(node.minimum, node.maximum),
    });
  if (node.enum)
    found.push({
      condition: (v) => `contains([${node.enum?.map(hcl).join(', ')}], ${v})`,
      words: `one of ${node.enum.join(', ')}`,
    });
  const list = node.type === 'array';
  const [shortest, longest] = list
    ? [node.minItems, node.maxItems]
    : [node.minLength, node.maxLength];
  if (shortest !== undefined || longest !== undefined)
    found.push({
      condition: (v) => within(`length(${v})`, shortest, longest),
      words: `${bounds(shortest, longest, list ? 'elements' : 'characters')} long`,
    });
  if (node.pattern)
    found.push({
      condition: (v) => `can(regex(${hcl(node.pattern ?? '')}, ${v}))`,
      // The pattern itself stays in the schema: regex text breaks Markdown in the module README.
      words: "matching the value's pattern",
    });
  return found;
}
