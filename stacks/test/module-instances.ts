// The resource instances a synthesized module creates in one environment, with the names and ARNs
// they get there, evaluated by real Terraform (no provider) from the module's own expressions and
// the inputs of its live unit. References between resources are replaced by what the referenced
// attribute is made of (its name as the module writes it, or the ARN a table row builds), and
// `count` / `for_each` are expanded, so the values are exactly the module's, environment by
// environment. Used by deploy-role.test.ts; stacks/test/deploy-role-calls.ts says how each
// resource type's ARN and calls are built.
import type { ResourceInstance, ResourceTypeCalls } from './deploy-role-calls';
import { hclQuoted, interpolationEnd } from './hcl-template';
import { evaluateModuleExpressions } from './platform-terraform-evaluation';

type Block = Record<string, unknown>;

export interface ModuleJson {
  readonly variable?: Record<string, unknown>;
  readonly resource?: Record<string, Record<string, Block>>;
  readonly data?: Record<string, Record<string, Block>>;
  readonly provider?: { aws?: Block[] };
  readonly output?: Record<string, { value: unknown }>;
}

/** What the account looks like: the data sources of the modules read these. */
export interface AccountFacts {
  readonly partition: string;
  readonly account: string;
  /** The IAM role applying the module (data.aws_iam_session_context's issuer_arn). */
  readonly deployerArn?: string;
}

const REFERENCE =
  /(?<![\w.])(data\.)?(aws_[a-z0-9_]+)\.([A-Za-z0-9_-]+)(?:\[(?:\d+|count\.index)\])?\.([a-z_]+(?:\[\d+\]\.[a-z_]+)?)/g;

/** Reads one synthesized module; resolves references and builds HCL expressions. */
export class ModuleInstances {
  constructor(
    readonly name: string,
    readonly json: ModuleJson,
    readonly rows: Readonly<Record<string, ResourceTypeCalls>>,
    readonly facts: AccountFacts,
  ) {}

  /** Resource (or data source, `data.<type>`) types the module synthesizes. */
  types(): string[] {
    return [
      ...Object.keys(this.json.resource ?? {}),
      ...Object.keys(this.json.data ?? {}).map((t) => `data.${t}`),
    ].sort();
  }

  private body(type: string, name: string): Block {
    const body = this.json.resource?.[type]?.[name];
    if (!body) throw new Error(`${this.name}: no ${type}.${name}`);
    return body;
  }

  /** The template another resource's attribute is made of. */
  private referenced(type: string, name: string, attribute: string, seen: Set<string>): string {
    const key = `${type}.${name}.${attribute}`;
    if (seen.has(key)) throw new Error(`${this.name}: circular reference ${key}`);
    const row = this.rows[type];
    const instance = this.instance(type, name, new Set([...seen, key]));
    const derived = row?.attributes?.[attribute] ?? (attribute === 'arn' ? row?.arn : undefined);
    if (derived) return derived(instance);
    const written = this.body(type, name)[attribute];
    if (typeof written === 'string') return this.resolve(written, new Set([...seen, key]));
    throw new Error(
      `${this.name}: ${key} is referenced, but neither written in the module nor derived by a row of stacks/test/deploy-role-calls.ts`,
    );
  }

  /** A template with every reference to a data source or resource replaced by its makings. */
  resolve(template: string, seen: Set<string> = new Set()): string {
    const replacement = (
      whole: string,
      data: string | undefined,
      type: string,
      name: string,
      attribute: string,
    ) => {
      if (data) {
        if (type === 'aws_caller_identity' && attribute === 'account_id') return this.facts.account;
        if (type === 'aws_partition' && attribute === 'partition') return this.facts.partition;
        if (
          type === 'aws_iam_session_context' &&
          attribute === 'issuer_arn' &&
          this.facts.deployerArn
        )
          return this.facts.deployerArn;
        // What a data source reads from the account: the table row says what it looks like.
        const derived = this.rows[`data.${type}`]?.attributes?.[attribute];
        if (derived) return derived(this.dataSource(type));
        throw new Error(`${this.name}: cannot resolve ${whole}`);
      }
      return this.referenced(type, name, attribute, seen);
    };
    let out = '';
    for (let i = 0; i < template.length;) {
      if (!template.startsWith('${', i)) {
        out += template[i];
        i += 1;
        continue;
      }
      const end = interpolationEnd(template, i);
      const inner = template.slice(i + 2, end - 1).trim();
      const exact = new RegExp(`^${REFERENCE.source}$`).exec(inner);
      if (exact) {
        out += replacement(exact[0], exact[1], exact[2] ?? '', exact[3] ?? '', exact[4] ?? '');
      } else {
        const substituted = inner.replace(REFERENCE, (whole, data, type, name, attribute) =>
          hclQuoted(replacement(whole, data, type, name, attribute)),
        );
        out += `\${${substituted}}`;
      }
      i = end;
    }
    const unresolved =
      /(?<![\w."])(?:data\.)?aws_[a-z0-9_]+\.[A-Za-z0-9_-]+(?:\[[^\]]*\])?\.[a-z_]+/.exec(out);
    if (unresolved) throw new Error(`${this.name}: cannot resolve ${unresolved[0]} in ${template}`);
    return out;
  }

  /** The HCL expression of a value: `${expr}` alone keeps its type, other strings are templates. */
  hcl(value: unknown): string {
    if (typeof value === 'string') {
      const resolved = this.resolve(value);
      const whole = /^\$\{([\s\S]*)\}$/.exec(resolved);
      if (whole && interpolationEnd(resolved, 0) === resolved.length) return `(${whole[1]})`;
      return hclQuoted(resolved);
    }
    if (Array.isArray(value)) return `[${value.map((v) => this.hcl(v)).join(', ')}]`;
    if (value !== null && typeof value === 'object') {
      const entries = Object.entries(value).map(
        ([k, v]) => `${JSON.stringify(k)} = ${this.hcl(v)}`,
      );
      return `{ ${entries.join(', ')} }`;
    }
    return JSON.stringify(value);
  }

  /** The region expression of the provider a resource is created with. */
  private region(body: Block): string {
    const alias =
      typeof body['provider'] === 'string' ? body['provider'].replace(/^aws\./, '') : undefined;
    const provider = (this.json.provider?.aws ?? []).find((p) => p['alias'] === alias);
    if (!provider) throw new Error(`${this.name}: no aws provider ${alias ?? '(default)'}`);
    return this.resolve(String(provider['region']));
  }

  /** A data source as a table row sees it: where it reads, and no attribute of its own. */
  private dataSource(type: string): ResourceInstance {
    return {
      partition: this.facts.partition,
      region: this.region({}),
      account: this.facts.account,
      attribute: (name) => {
        throw new Error(`${this.name}: data.${type} has no attribute ${name} to derive from`);
      },
    };
  }

  /** One instance of a resource, its attributes as templates (`each.value` etc. still unbound). */
  instance(type: string, name: string, seen: Set<string> = new Set()): ResourceInstance {
    const body = this.body(type, name);
    const attribute = (path: string): string => {
      const [first = '', ...rest] = path.split('.');
      const value = body[first];
      if (typeof value !== 'string')
        throw new Error(`${this.name}: ${type}.${name} has no ${first}`);
      if (rest.length === 0) return this.resolve(value, seen);
      // `role.permissions_boundary`: an attribute of the resource `role` references.
      const match = new RegExp(`^\\$\\{${REFERENCE.source}\\}$`).exec(value);
      if (!match?.[2] || !match[3])
        throw new Error(`${this.name}: ${type}.${name}.${first} is not a reference`);
      return this.referenced(match[2], match[3], rest.join('.'), seen);
    };
    return {
      partition: this.facts.partition,
      region: this.region(body),
      account: this.facts.account,
      attribute,
    };
  }

  /**
   * An HCL expression listing the instances of a resource (count and for_each expanded), each
   * `{ arn, region, calls = [{ on, context }] }` for the given calls.
   */
  instancesExpression(
    type: string,
    name: string,
    calls: readonly {
      on: (r: ResourceInstance) => string;
      context: (r: ResourceInstance) => Record<string, string>;
    }[],
  ): string {
    const body = this.body(type, name);
    const row = this.rows[type];
    if (!row) throw new Error(`${this.name}: no row for ${type}`);
    const r = this.instance(type, name);
    const object = this.hcl({
      arn: row.arn(r),
      region: r.region,
      calls: calls.map((c) => ({ on: c.on(r), context: c.context(r) })),
    });
    const bind = (text: string) =>
      text
        .replace(/\beach\.value\b/g, 'v')
        .replace(/\beach\.key\b/g, 'k')
        .replace(/\bcount\.index\b/g, 'i');
    if (body['for_each'] !== undefined) {
      return `[for k, v in ${this.hcl(body['for_each'])} : ${bind(object)}]`;
    }
    if (body['count'] !== undefined)
      return `[for i in range(${this.hcl(body['count'])}) : ${bind(object)}]`;
    return `[${object}]`;
  }
}

/** Evaluates named HCL expressions against the module's variables and the given inputs. */
export function evaluateExpressions(
  module: ModuleInstances,
  expressions: Record<string, string>,
  inputs: Record<string, unknown>,
): Record<string, unknown> {
  const declared = Object.fromEntries(
    Object.entries(inputs).filter(([name]) => name in (module.json.variable ?? {})),
  );
  const result = evaluateModuleExpressions(
    `${module.name}-instances`,
    { variable: module.json.variable ?? {} },
    Object.fromEntries(Object.entries(expressions).map(([k, v]) => [k, `\${${v}}`])),
    declared,
  );
  if (result.status !== 0)
    throw new Error(`terraform could not evaluate ${module.name}:\n${result.stderr}`);
  return result.values;
}
