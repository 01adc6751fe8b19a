import { TerraformVariable, VariableType } from 'cdktf';
import type { Construct } from 'constructs';

/**
 * A Terraform `validation` block. `condition` is an HCL expression (without `${}`)
 * that must reference the variable; build it from the variable's address
 * (`var.<name>`) so the same rule can be reused across inputs.
 */
export interface InputRule {
  readonly condition: (address: string) => string;
  readonly errorMessage: string;
}

export interface InputOptions<T> {
  /** What the input means and which values make sense; rendered in the module README. */
  readonly description: string;
  /** Omit for a required input. */
  readonly default?: T;
  readonly validation?: readonly InputRule[];
  readonly sensitive?: boolean;
  /** Allow `null` to be passed explicitly (Terraform's default is true; ours is false). */
  readonly nullable?: boolean;
}

function declare<T>(
  scope: Construct,
  name: string,
  type: string,
  options: InputOptions<T>,
): TerraformVariable {
  const address = `var.${name}`;
  return new TerraformVariable(scope, name, {
    type,
    description: options.description,
    ...(options.default === undefined ? {} : { default: options.default }),
    ...(options.sensitive ? { sensitive: true } : {}),
    nullable: options.nullable ?? false,
    ...(options.validation?.length
      ? {
          validation: options.validation.map((rule) => ({
            condition: `\${${rule.condition(address)}}`,
            errorMessage: rule.errorMessage,
          })),
        }
      : {}),
  });
}

/** Typed constructors for module inputs: each returns the TerraformVariable. */
export const Input = {
  string(scope: Construct, name: string, options: InputOptions<string>): TerraformVariable {
    return declare(scope, name, VariableType.STRING, options);
  },
  number(scope: Construct, name: string, options: InputOptions<number>): TerraformVariable {
    return declare(scope, name, VariableType.NUMBER, options);
  },
  bool(scope: Construct, name: string, options: InputOptions<boolean>): TerraformVariable {
    return declare(scope, name, VariableType.BOOL, options);
  },
  stringList(scope: Construct, name: string, options: InputOptions<string[]>): TerraformVariable {
    return declare(scope, name, VariableType.LIST_STRING, options);
  },
  stringMap(
    scope: Construct,
    name: string,
    options: InputOptions<Record<string, string>>,
  ): TerraformVariable {
    return declare(scope, name, VariableType.MAP_STRING, options);
  },
  /** For object/tuple types: pass the Terraform type expression yourself. */
  typed<T>(scope: Construct, name: string, type: string, options: InputOptions<T>) {
    return declare(scope, name, type, options);
  },
};

const hcl = (value: string | number): string =>
  typeof value === 'number' ? String(value) : JSON.stringify(value);

/** Reusable validation rules. Error messages must be full sentences (Terraform checks). */
export const Rule = {
  oneOf(values: readonly (string | number)[]): InputRule {
    return {
      condition: (v) => `contains([${values.map(hcl).join(', ')}], ${v})`,
      errorMessage: `Must be one of: ${values.join(', ')}.`,
    };
  },
  /** Every element of a list must be one of the values. */
  eachOneOf(values: readonly string[]): InputRule {
    return {
      condition: (v) => `alltrue([for x in ${v} : contains([${values.map(hcl).join(', ')}], x)])`,
      errorMessage: `Every element must be one of: ${values.join(', ')}.`,
    };
  },
  matches(regex: string, meaning: string): InputRule {
    return {
      condition: (v) => `can(regex(${hcl(regex)}, ${v}))`,
      errorMessage: `Must be ${meaning}.`,
    };
  },
  /** Every element of a list must match the regular expression. */
  eachMatches(regex: string, meaning: string): InputRule {
    return {
      condition: (v) => `alltrue([for x in ${v} : can(regex(${hcl(regex)}, x))])`,
      errorMessage: `Every element must be ${meaning}.`,
    };
  },
  cidr(): InputRule {
    return {
      condition: (v) => `can(cidrnetmask(${v}))`,
      errorMessage: 'Must be an IPv4 CIDR block such as 10.0.0.0/16.',
    };
  },
  eachCidr(): InputRule {
    return {
      condition: (v) => `alltrue([for x in ${v} : can(cidrnetmask(x))])`,
      errorMessage: 'Every element must be an IPv4 CIDR block such as 203.0.113.0/24.',
    };
  },
  between(min: number, max: number): InputRule {
    return {
      condition: (v) => `${v} >= ${min} && ${v} <= ${max}`,
      errorMessage: `Must be between ${min} and ${max}.`,
    };
  },
  lengthBetween(min: number, max: number): InputRule {
    return {
      condition: (v) => `length(${v}) >= ${min} && length(${v}) <= ${max}`,
      errorMessage: `Must contain between ${min} and ${max} elements.`,
    };
  },
  distinct(): InputRule {
    return {
      condition: (v) => `length(distinct(${v})) == length(${v})`,
      errorMessage: 'Elements must not repeat.',
    };
  },
  /**
   * What staging and production must have, development may go without: the condition reads
   * `var.environment == "development" || (<requirement>)` (the policy controls look for it).
   */
  outsideDevelopment(requirement: (address: string) => string, errorMessage: string): InputRule {
    return {
      condition: (v) => `var.environment == "development" || (${requirement(v)})`,
      errorMessage,
    };
  },
  /** A free-form rule: `condition` receives the variable address (`var.<name>`). */
  custom(condition: (address: string) => string, errorMessage: string): InputRule {
    return { condition, errorMessage };
  },
};

/** A lowercase DNS name such as api.example.com (labels of 1-63 characters, a top-level domain). */
export const DNS_NAME_PATTERN = '([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}';
/** An input holding a DNS name, or "" when `allowEmpty`. */
export const dnsName = (allowEmpty = false): InputRule =>
  Rule.matches(
    allowEmpty ? `^(${DNS_NAME_PATTERN})?$` : `^${DNS_NAME_PATTERN}$`,
    allowEmpty ? 'empty or a lowercase DNS name' : 'a lowercase DNS name',
  );

/** Values CloudWatch Logs accepts for `retention_in_days`. */
export const CLOUDWATCH_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288,
  3653,
] as const;
