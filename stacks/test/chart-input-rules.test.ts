// Module inputs that become chart values are refused at plan when the chart's values.schema.json
// would refuse them at apply. Derived from the schemas: for every keyword of every value an input
// becomes (integer, minimum, maximum, enum, pattern, maxLength, minItems), a value breaking only
// that keyword is given to Terraform, which must reject the input.
import { resolve } from 'node:path';
import { expect } from 'chai';
import { parse } from 'yaml';
import { API_CHART_SCHEMA, CHART_VALUES_OF_INPUTS } from '../app/app-stack';
import { exampleAppInputs } from '../app/example-inputs';
import { ChartValuesSchema, type SchemaNode } from '../lib/chart-values-schema';
import { examplePlatformInputs } from '../platform/example-inputs';
import {
  PLATFORM_RESOURCES_CHART,
  PLATFORM_RESOURCES_VALUES_OF_INPUTS,
} from '../platform/platform-stack';
import { localChartReleases, readModule } from './chart-renders';
import { requireTerraform } from './kubernetes-module';
import { type LiveTree, loadLiveTree } from '../../live/test/live-contract';
import { evaluateModuleExpressions } from './platform-terraform-evaluation';

const repoRoot = resolve(__dirname, '..', '..');
type Inputs = Record<string, unknown>;

/** A value of `valid`'s kind that breaks `keyword` of `node` only, or undefined. */
function breaking(keyword: string, node: SchemaNode, valid: unknown): unknown {
  const pattern = node.pattern ? new RegExp(node.pattern) : undefined;
  switch (keyword) {
    case 'integer':
      return Number(valid) + 0.5;
    case 'minimum':
      return (node.minimum ?? 0) - (node.type === 'integer' ? 1 : 0.5);
    case 'maximum':
      return (node.maximum ?? 0) + (node.type === 'integer' ? 1 : 0.5);
    case 'enum':
      return 'not-one-of-them';
    case 'pattern':
      return 'Not A Match!';
    case 'maxLength': {
      // One character too many: the valid value, its first DNS label (at most 63) lengthened.
      let value = String(valid);
      while (value.length <= (node.maxLength ?? 0)) {
        const firstLabel = value.split('.')[0]?.length ?? 0;
        value = firstLabel < 63 ? `a${value}` : `a.${value}`;
      }
      return pattern && !pattern.test(value) ? undefined : value;
    }
    default:
      return undefined;
  }
}

/** Keywords of a scalar node the schemas use, in a fixed order. */
const KEYWORDS = ['integer', 'minimum', 'maximum', 'enum', 'pattern', 'maxLength'] as const;
const keywordsOf = (node: SchemaNode) =>
  KEYWORDS.filter((k) => (k === 'integer' ? node.type === 'integer' : node[k] !== undefined));

interface Breach {
  readonly input: string;
  readonly path: string;
  readonly keyword: string;
  readonly value: unknown;
}

/** The module's inputs: the example ones over the variables' defaults. */
function withDefaults(module: string, inputs: Inputs): Inputs {
  const variables = (readModule(module).variable ?? {}) as Record<string, { default?: unknown }>;
  const defaults = Object.entries(variables).filter(([, v]) => v.default !== undefined);
  return { ...Object.fromEntries(defaults.map(([name, v]) => [name, v.default])), ...inputs };
}

/** Every breach of every schema keyword of every value an input becomes. */
function breaches(
  schema: ChartValuesSchema,
  mapping: Readonly<Record<string, readonly string[]>>,
  valid: Inputs,
): Breach[] {
  return Object.entries(mapping).flatMap(([input, paths]) =>
    paths.flatMap((path): Breach[] => {
      const node = schema.node(path);
      const item = schema.items(path);
      if (item) {
        const first = (valid[input] as unknown[])[0];
        return [
          ...(node.minItems ? [{ input, path, keyword: 'minItems', value: [] }] : []),
          ...keywordsOf(item).map((keyword) => {
            const value = breaking(keyword, item, first);
            return { input, path, keyword, value: value === undefined ? value : [value] };
          }),
        ];
      }
      return keywordsOf(node).map((keyword) => ({
        input,
        path,
        keyword,
        value: breaking(keyword, node, valid[input]),
      }));
    }),
  );
}

/** `a.b.c` of an object. */
const at = (value: unknown, path: string): unknown =>
  path.split('.').reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], value);

interface ModuleCase {
  readonly module: string;
  readonly schema: string;
  readonly mapping: Readonly<Record<string, readonly string[]>>;
  readonly inputs: (tree: LiveTree) => Inputs;
}

const MODULE_CASES: readonly ModuleCase[] = [
  {
    module: 'app',
    schema: API_CHART_SCHEMA,
    mapping: CHART_VALUES_OF_INPUTS,
    inputs: (tree) => exampleAppInputs(tree, 'staging'),
  },
  {
    module: 'platform',
    schema: `modules/platform/${PLATFORM_RESOURCES_CHART}/values.schema.json`,
    mapping: PLATFORM_RESOURCES_VALUES_OF_INPUTS,
    inputs: () => examplePlatformInputs('staging'),
  },
];

describe('module inputs are at least as strict as the chart schemas they feed', function () {
  this.timeout(300_000);
  let tree: LiveTree;
  before(requireTerraform);
  before(async function () {
    tree = await loadLiveTree(repoRoot);
  });

  for (const { module, schema: file, mapping, inputs } of MODULE_CASES) {
    const schema = new ChartValuesSchema(file);
    const releases = localChartReleases().filter((r) => r.module === module);
    const expressions = Object.fromEntries(releases.map((r) => [r.release, r.valuesExpression]));

    it(`${module}: every variable in the chart values is mapped to the values it becomes`, () => {
      const referenced = new Set(
        Object.values(expressions).flatMap((e) =>
          [...e.matchAll(/\bvar\.([a-z0-9_]+)/g)].map(([, name]) => name ?? ''),
        ),
      );
      expect([...referenced].sort()).to.deep.equal(Object.keys(mapping).sort());
    });

    it(`${module}: each mapped value is the input, as Terraform computes it`, () => {
      const valid = withDefaults(module, inputs(tree));
      const result = evaluateModuleExpressions(module, readModule(module), expressions, valid);
      expect(result.status, result.stderr).to.equal(0);
      for (const [release, yaml] of Object.entries(result.values)) {
        const values = parse(String(yaml)) as unknown;
        for (const [input, paths] of Object.entries(mapping)) {
          for (const path of paths) {
            if (at(values, path) === undefined) continue; // not in this release's values
            expect(at(values, path), `${release}: ${path} <- var.${input}`).to.deep.equal(
              valid[input],
            );
          }
        }
      }
    });

    it(`${module}: Terraform rejects every value that breaks one schema keyword`, () => {
      const valid = withDefaults(module, inputs(tree));
      const all = breaches(schema, mapping, valid);
      const missing = all.filter((b) => b.value === undefined);
      expect(missing, 'keywords without a generated breach').to.deep.equal([]);
      const constrained = Object.entries(mapping)
        .filter(([, paths]) => paths.some((path) => schema.rule(path)))
        .map(([input]) => input);
      expect([...new Set(all.map((b) => b.input))].sort()).to.deep.equal(constrained.sort());
      // One Terraform run per round: the n-th breach of every input at once (Terraform reports
      // every invalid variable).
      const rounds: Breach[][] = [];
      const seen = new Map<string, number>();
      for (const breach of all) {
        const round = seen.get(breach.input) ?? 0;
        seen.set(breach.input, round + 1);
        (rounds[round] ??= []).push(breach);
      }
      const rejected = (round: readonly Breach[]) => {
        const { stderr } = evaluateModuleExpressions(module, readModule(module), expressions, {
          ...valid,
          ...Object.fromEntries(round.map((b) => [b.input, b.value])),
        });
        return round.filter((b) => stderr.includes(`var.${b.input} is`));
      };
      const accepted: string[] = [];
      for (const round of rounds) {
        const caught = rejected(round);
        // A rule reading another variable (max_replicas >= min_replicas) is not evaluated while
        // that one is invalid: what a round lets through is tried again alone.
        for (const b of round.filter((x) => !caught.includes(x))) {
          if (rejected([b]).length === 0)
            accepted.push(`${b.input} = ${JSON.stringify(b.value)} (${b.path}: ${b.keyword})`);
        }
      }
      expect(
        accepted,
        'inputs Terraform accepts although the chart schema refuses them',
      ).to.deep.equal([]);
    });
  }
});
