// The platform's local chart (modules/platform/charts/platform-resources): its values.schema.json
// is strict (every object closed, every value typed) and equal to what the platform module
// produces: the module's values, over the chart's defaults, are valid in every environment, and
// every value of the schema is one the module sets or the chart defaults. helm-render.test.ts
// renders it with a real helm, which applies the same schema.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Ajv from 'ajv';
import { expect } from 'chai';
import { parse } from 'yaml';
import { ENVIRONMENTS } from '../lib/module-stack';
import { examplePlatformInputs } from '../platform/example-inputs';
import { PLATFORM_RESOURCES_CHART } from '../platform/platform-stack';
import { localChartReleases, readModule } from './chart-renders';
import { requireTerraform } from './kubernetes-module';
import { evaluateModuleExpressions } from './platform-terraform-evaluation';

type Values = Record<string, unknown>;
interface Node {
  type?: string;
  properties?: Record<string, Node>;
  additionalProperties?: unknown;
  items?: Node;
  required?: string[];
  $ref?: string;
}

const chartDir = resolve(__dirname, '..', '..', 'modules', 'platform', PLATFORM_RESOURCES_CHART);
const schema = JSON.parse(readFileSync(join(chartDir, 'values.schema.json'), 'utf8')) as Node & {
  definitions: Record<string, Node>;
};
const defaults = parse(readFileSync(join(chartDir, 'values.yaml'), 'utf8')) as Values;
const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
const deref = (node: Node | undefined): Node | undefined =>
  node?.$ref ? deref(schema.definitions[node.$ref.replace('#/definitions/', '')]) : node;

/** Helm's merge of values over the chart's defaults: maps merge, anything else replaces. */
function merged(base: unknown, over: unknown): unknown {
  const isMap = (v: unknown): v is Values => !!v && typeof v === 'object' && !Array.isArray(v);
  if (!isMap(base) || !isMap(over)) return over === undefined ? base : over;
  const keys = new Set([...Object.keys(base), ...Object.keys(over)]);
  return Object.fromEntries([...keys].map((k) => [k, merged(base[k], over[k])]));
}

/** Dotted paths of the leaves of a values tree (lists are leaves). */
const leaves = (value: unknown, path = ''): string[] =>
  value && typeof value === 'object' && !Array.isArray(value)
    ? Object.entries(value).flatMap(([k, v]) => leaves(v, path ? `${path}.${k}` : k))
    : [path];

describe('platform-resources chart (modules/platform/charts/platform-resources)', function () {
  this.timeout(120_000);

  it('values.schema.json closes every object and types every value', () => {
    const loose: string[] = [];
    const walk = (node: Node | undefined, path: string) => {
      const n = deref(node);
      if (!n?.type) loose.push(`${path}: no type`);
      if (n?.properties) {
        if (n.additionalProperties !== false) loose.push(`${path}: additionalProperties`);
        for (const [key, child] of Object.entries(n.properties))
          if (key !== 'global') walk(child, `${path}.${key}`);
      }
      if (n?.items) walk(n.items, `${path}[]`);
    };
    walk(schema, 'values');
    expect(loose).to.deep.equal([]);
  });

  it('accepts values.yaml', () => {
    expect(validate(defaults), JSON.stringify(validate.errors)).to.equal(true);
  });

  const bad: [string, (v: Values) => void][] = [
    ['an unknown key', (v) => (v.regionName = 'eu-west-3')],
    ['a region that is not one', (v) => (v.region = 'Paris')],
    ['a store usable from no namespace', (v) => ((v.clusterSecretStore as Values).namespaces = [])],
    ['an upper-case store name', (v) => ((v.clusterSecretStore as Values).name = 'AWS')],
    ['a secret name with a space', (v) => ((v.alerting as Values).secretName = 'payflow alerting')],
    ['a refresh interval in days', (v) => ((v.alerting as Values).refreshInterval = '1d')],
    [
      'a rule without an expression',
      (v) => (v.prometheusRules = { groups: [{ name: 'g', rules: [{ alert: 'A' }] }] }),
    ],
    [
      'a rule that is both an alert and a recording',
      (v) =>
        (v.prometheusRules = {
          groups: [{ name: 'g', rules: [{ alert: 'A', record: 'a:b', expr: 'up' }] }],
        }),
    ],
    [
      'an unknown rule field',
      (v) =>
        (v.prometheusRules = {
          groups: [{ name: 'g', rules: [{ alert: 'A', expr: 'up', severity: 'x' }] }],
        }),
    ],
  ];
  for (const [what, mutate] of bad) {
    it(`rejects ${what}`, () => {
      const values = structuredClone(defaults);
      mutate(values);
      expect(validate(values)).to.equal(false);
    });
  }

  describe('what the platform module produces', () => {
    before(requireTerraform);
    const release = localChartReleases().find((r) => r.release === 'platform-resources');

    for (const environment of ENVIRONMENTS) {
      it(`${environment}: the module's values over the defaults are valid, and set every value without a default`, () => {
        const result = evaluateModuleExpressions(
          'platform',
          readModule('platform'),
          { values: release?.valuesExpression },
          examplePlatformInputs(environment),
        );
        expect(result.status, result.stderr).to.equal(0);
        const produced = parse(String(result.values.values)) as Values;
        const values = merged(defaults, produced);
        expect(validate(values), JSON.stringify(validate.errors)).to.equal(true);
        // Equal, not only compatible: the schema declares exactly the module's values and the
        // chart's defaults (no value of the schema that nothing sets, none set outside it).
        const declared = (node: Node | undefined, path = ''): string[] => {
          const n = deref(node);
          if (!n?.properties || n.type !== 'object') return [path];
          return Object.entries(n.properties)
            .filter(([key]) => key !== 'global')
            .flatMap(([key, child]) => declared(child, path ? `${path}.${key}` : key));
        };
        expect(declared(schema).sort()).to.deep.equal(leaves(values).sort());
      });
    }
  });
});
