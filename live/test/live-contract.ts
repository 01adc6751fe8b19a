// Contract between the Terragrunt live tree (root.hcl, live/**) and the synthesized modules
// (modules/<m>/main.tf.json), checked without a Terragrunt binary: @cdktf/hcl2json reads each
// file, and a small evaluator (below) gives a meaning to the few Terragrunt forms the tree uses;
// anything else is Unresolved, which no rule treats as satisfied.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, posix, relative, sep } from 'node:path';
import { parse } from '@cdktf/hcl2json';

export type Hcl = Record<string, unknown>;

export interface ModuleSchema {
  readonly variables: ReadonlyMap<string, { readonly required: boolean }>;
  readonly outputs: ReadonlySet<string>;
}

/** Every parsed file by repository-relative POSIX path, and every module by name. */
export interface LiveTree {
  readonly files: Map<string, Hcl>;
  readonly modules: Map<string, ModuleSchema>;
}

/** What a rule is checked against: names of environments and layers, production checks. */
export interface ContractSpec {
  readonly environments: readonly string[];
  readonly layers: readonly string[];
  /** Units outside the environments (e.g. "shared"), as paths below live/. */
  readonly accountUnits: readonly string[];
  /**
   * Files some layers include beside root.hcl and their layer file, by layer then include
   * label (e.g. platform: { cluster: "live/_units/_cluster-dependency.hcl" }). Terragrunt has
   * no nested include, so wiring shared by several layers is included by each of their units.
   */
  readonly layerIncludes?: Readonly<Record<string, Readonly<Record<string, string>>>>;
  readonly productionRules: readonly ProductionRule[];
  /** Regions environments use besides their own, which an account unit must grant. */
  readonly regionGrants?: readonly RegionGrant[];
  /** Environment the production rules apply to, and the one "longer than" compares with. */
  readonly production: string;
  readonly development: string;
}

/** One production requirement on a resolved module input. */
export interface ProductionRule {
  readonly description: string;
  readonly layer: string;
  readonly variable: string;
  /** production's value, development's value (for "longer than development" rules). */
  readonly holds: (production: unknown, development: unknown) => boolean;
}

/**
 * An environment input naming a second region the environment deploys to (e.g. the data layer's
 * backup replication region), and the account unit input listing the regions the deploy role may
 * work in: an environment region missing there is denied at apply time, in CI only.
 */
export interface RegionGrant {
  readonly layer: string;
  readonly variable: string;
  /** Account unit, as a path below live/ (e.g. "shared/global"). */
  readonly accountUnit: string;
  readonly grantedBy: string;
}

export interface Violation {
  readonly rule: string;
  readonly unit: string;
  readonly message: string;
}

// ------------------------------------------------------------------------------------ loading

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (name.startsWith('.')) return [];
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

const toPosix = (path: string): string => path.split(sep).join('/');

/** Module variables and outputs from a Terraform JSON document. */
export function moduleSchema(json: Hcl): ModuleSchema {
  const variables = new Map<string, { required: boolean }>();
  for (const [name, spec] of Object.entries((json.variable ?? {}) as Record<string, Hcl>)) {
    variables.set(name, { required: !('default' in spec) });
  }
  return { variables, outputs: new Set(Object.keys((json.output ?? {}) as Hcl)) };
}

/** Parses HCL sources (repository-relative path → text) and module JSON into a tree. */
export async function buildLiveTree(
  sources: ReadonlyMap<string, string>,
  moduleJson: ReadonlyMap<string, Hcl>,
): Promise<LiveTree> {
  const files = new Map<string, Hcl>();
  for (const [path, text] of sources) files.set(path, await parseUnitFile(path, text));
  const modules = new Map<string, ModuleSchema>();
  for (const [name, json] of moduleJson) modules.set(name, moduleSchema(json));
  return { files, modules };
}

/**
 * Where a parsed file keeps the sections of `inputs = merge(local.env.a, local.env.b, { ... })`:
 * their expressions ("${local.env.a}"), in order, while `inputs` keeps the literal object, whose
 * keys come last and win as merge() does. A key no HCL attribute can have, so no clash.
 */
export const MERGED_SECTIONS = 'merge() sections of inputs';

/**
 * hcl2json keeps `inputs = merge(...)` as one expression string. The literal object in it is
 * parsed again as HCL, so that its keys are checked one by one like those of `inputs = { ... }`;
 * any other form of inputs stays a string, which resolveUnit reports as not understood.
 */
async function parseUnitFile(path: string, text: string): Promise<Hcl> {
  const file = (await parse(path, text)) as Hcl;
  const merged =
    typeof file.inputs === 'string' ? /^\$\{merge\(([\s\S]*)\)\}$/.exec(file.inputs) : null;
  const args = merged?.[1] !== undefined && balanced(merged[1]) ? splitArguments(merged[1]) : [];
  const literal = args.at(-1);
  if (literal?.startsWith('{')) {
    const parsed = (await parse(path, `inputs = ${literal}\n`)) as Hcl;
    file.inputs = parsed.inputs;
    file[MERGED_SECTIONS] = args.slice(0, -1).map((section) => `\${${section}}`);
  }
  return file;
}

/** root.hcl, every .hcl under live/ and every modules/<m>/main.tf.json of a checkout. */
export async function loadLiveTree(repoRoot: string): Promise<LiveTree> {
  const sources = new Map<string, string>();
  sources.set('root.hcl', readFileSync(join(repoRoot, 'root.hcl'), 'utf8'));
  for (const path of walk(join(repoRoot, 'live')).filter((p) => p.endsWith('.hcl'))) {
    sources.set(toPosix(relative(repoRoot, path)), readFileSync(path, 'utf8'));
  }
  const moduleJson = new Map<string, Hcl>();
  const modulesDir = join(repoRoot, 'modules');
  for (const name of readdirSync(modulesDir)) {
    const path = join(modulesDir, name, 'main.tf.json');
    try {
      moduleJson.set(name, JSON.parse(readFileSync(path, 'utf8')) as Hcl);
    } catch {
      // a folder without main.tf.json is not a module; source checks report it when used
    }
  }
  return buildLiveTree(sources, moduleJson);
}

/** Deep copy, so that a test can break a copy and keep the original. */
export function cloneTree(tree: LiveTree): LiveTree {
  return { files: structuredClone(tree.files), modules: structuredClone(tree.modules) };
}

// ------------------------------------------------------------------------------------ evaluating

export class Unresolved {
  constructor(readonly expression: string) {}
}

export class DependencyOutput {
  constructor(
    readonly dependency: string,
    readonly output: string,
  ) {}
}

interface Scope {
  /** Directory of the unit being evaluated (repository-relative, POSIX). */
  readonly unitDir: string;
  /** Locals of the file whose expression is evaluated (unevaluated JSON). */
  readonly locals: Hcl;
  readonly tree: LiveTree;
  /** Files included with expose = true, by label (include.<label>.locals.<path>). */
  readonly exposed?: ReadonlyMap<string, Hcl>;
}

/** Locals of a parsed file: hcl2json gives one object per `locals` block. */
export function localsOf(file: Hcl | undefined): Hcl {
  return Object.assign({}, ...((file?.locals as Hcl[] | undefined) ?? []));
}

/** Blocks such as `dependency "x" {}` come out as { x: [ {...} ] }. */
export function labelledBlocks(file: Hcl | undefined, type: string): Map<string, Hcl> {
  const blocks = new Map<string, Hcl>();
  for (const [label, list] of Object.entries((file?.[type] ?? {}) as Record<string, Hcl[]>)) {
    if (list[0]) blocks.set(label, list[0]);
  }
  return blocks;
}

export function firstBlock(file: Hcl | undefined, type: string): Hcl | undefined {
  return ((file?.[type] as Hcl[] | undefined) ?? [])[0];
}

/** Splits "a, f(b, c), \"d,e\"" at top-level commas. */
function splitArguments(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let current = '';
  for (let i = 0; i < text.length; i += 1) {
    const char = text[i];
    if (char === '"' && text[i - 1] !== '\\') quoted = !quoted;
    if (!quoted && (char === '(' || char === '[' || char === '{')) depth += 1;
    if (!quoted && (char === ')' || char === ']' || char === '}')) depth -= 1;
    if (!quoted && depth === 0 && char === ',') {
      parts.push(current.trim());
      current = '';
    } else {
      current += char;
    }
  }
  if (current.trim()) parts.push(current.trim());
  return parts;
}

function traverse(value: unknown, path: string[]): unknown {
  let current = value;
  for (const key of path) {
    if (current === null || typeof current !== 'object' || !(key in current)) {
      return new Unresolved(path.join('.'));
    }
    current = (current as Hcl)[key];
  }
  return current;
}

/** find_in_parent_folders: from the unit's directory upwards, like Terragrunt (not the unit itself). */
export function findInParentFolders(
  tree: LiveTree,
  unitDir: string,
  name: string,
): string | undefined {
  let dir = posix.dirname(unitDir);
  for (;;) {
    const candidate = dir === '.' ? name : `${dir}/${name}`;
    if (tree.files.has(candidate)) return candidate;
    if (dir === '.') return undefined;
    dir = posix.dirname(dir);
  }
}

const REPO_ROOT = '<repo>';

function callFunction(name: string, args: string[], scope: Scope): unknown {
  const arg = (i: number): unknown => evaluateExpression(args[i] ?? '', scope);
  switch (name) {
    case 'get_repo_root':
      return REPO_ROOT;
    case 'get_terragrunt_dir':
      return `${REPO_ROOT}/${scope.unitDir}`;
    case 'path_relative_to_include':
      return scope.unitDir;
    case 'dirname': {
      const path = arg(0);
      return typeof path === 'string' ? posix.dirname(path) : new Unresolved(`dirname(${args[0]})`);
    }
    case 'find_in_parent_folders': {
      const file = arg(0);
      const found =
        typeof file === 'string' && findInParentFolders(scope.tree, scope.unitDir, file);
      return found ? `${REPO_ROOT}/${found}` : new Unresolved(`find_in_parent_folders(${args[0]})`);
    }
    case 'read_terragrunt_config': {
      const path = arg(0);
      const file = typeof path === 'string' ? scope.tree.files.get(fromRepo(path)) : undefined;
      if (!file) return new Unresolved(`read_terragrunt_config(${args[0]})`);
      // Its locals are evaluated in its own scope, as Terragrunt does.
      const fileScope: Scope = { ...scope, locals: localsOf(file) };
      return {
        locals: evaluate(localsOf(file), fileScope),
        inputs: evaluate(file.inputs ?? {}, fileScope),
      };
    }
    case 'get_env':
      return args.length > 1 ? arg(1) : new Unresolved(`get_env(${args.join(', ')})`);
    case 'try': {
      for (let i = 0; i < args.length; i += 1) {
        const value = arg(i);
        if (!containsUnresolved(value)) return value;
      }
      return new Unresolved(`try(${args.join(', ')})`);
    }
    default:
      return new Unresolved(`${name}(${args.join(', ')})`);
  }
}

/** A repository path from an evaluated "<repo>/..." path, normalized. */
export function fromRepo(path: string): string {
  return posix.normalize(
    path.startsWith(`${REPO_ROOT}/`) ? path.slice(REPO_ROOT.length + 1) : path,
  );
}

function evaluateExpression(source: string, scope: Scope): unknown {
  const expression = source.trim();
  const string = /^"((?:[^"\\]|\\.)*)"$/.exec(expression);
  if (string) return evaluateTemplate(JSON.parse(`"${string[1]}"`) as string, scope);
  if (/^(true|false)$/.test(expression)) return expression === 'true';
  if (/^-?\d+(\.\d+)?$/.test(expression)) return Number(expression);
  const reference = /^dependency\.([\w-]+)\.outputs\.([\w-]+)$/.exec(expression);
  if (reference?.[1] && reference[2]) return new DependencyOutput(reference[1], reference[2]);
  const local = /^local\.([\w-]+)((?:\.[\w-]+)*)$/.exec(expression);
  if (local?.[1]) {
    if (!(local[1] in scope.locals)) return new Unresolved(expression);
    const value = evaluate(scope.locals[local[1]], scope);
    return traverse(value, local[2] ? local[2].slice(1).split('.') : []);
  }
  const included = /^include\.([\w-]+)\.locals((?:\.[\w-]+)+)$/.exec(expression);
  if (included?.[1] && included[2]) {
    const file = scope.exposed?.get(included[1]);
    if (!file) return new Unresolved(expression);
    const locals = evaluate(localsOf(file), {
      ...scope,
      locals: localsOf(file),
      exposed: undefined,
    });
    return traverse(locals, included[2].slice(1).split('.'));
  }
  const call = /^([a-z_]+)\(([\s\S]*)\)((?:\.[\w-]+)*)$/.exec(expression);
  if (call?.[1] !== undefined && balanced(call[2] ?? '')) {
    const value = callFunction(call[1], splitArguments(call[2] ?? ''), scope);
    return call[3] ? traverse(value, call[3].slice(1).split('.')) : value;
  }
  return new Unresolved(expression);
}

function balanced(text: string): boolean {
  let depth = 0;
  for (const char of text) {
    if (char === '(') depth += 1;
    if (char === ')') depth -= 1;
    if (depth < 0) return false;
  }
  return depth === 0;
}

/** Index of the `}` closing the `${` at the start of `text` (nested braces included). */
function closingBrace(text: string): number {
  let depth = 0;
  for (let i = 1; i < text.length; i += 1) {
    if (text[i] === '{') depth += 1;
    if (text[i] === '}' && --depth === 0) return i;
  }
  return -1;
}

/**
 * "${expr}" alone keeps the expression's type (an expression holding templates of its own, such
 * as merge({...}, { R = "x/${local.y}" }), is evaluated whole, so unresolved unless understood);
 * "a-${x}-b" is a string template.
 */
function evaluateTemplate(text: string, scope: Scope): unknown {
  if (text.startsWith('${') && closingBrace(text) === text.length - 1) {
    return evaluateExpression(text.slice(2, -1), scope);
  }
  if (!text.includes('${')) return text;
  let unresolved = false;
  const result = text.replace(/\$\{([^{}]*(?:\([^{}]*\))?[^{}]*)\}/g, (_match, inner: string) => {
    const value = evaluateExpression(inner, scope);
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
      return String(value);
    }
    unresolved = true;
    return '';
  });
  return unresolved ? new Unresolved(text) : result;
}

export function evaluate(value: unknown, scope: Scope): unknown {
  if (typeof value === 'string') return evaluateTemplate(value, scope);
  if (Array.isArray(value)) return value.map((item) => evaluate(item, scope));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, evaluate(v, scope)]));
  }
  return value;
}

export function containsUnresolved(value: unknown): boolean {
  if (value instanceof Unresolved) return true;
  if (Array.isArray(value)) return value.some(containsUnresolved);
  if (value !== null && typeof value === 'object' && !(value instanceof DependencyOutput)) {
    return Object.values(value).some(containsUnresolved);
  }
  return false;
}

// ------------------------------------------------------------------------------------ units

export interface Dependency {
  readonly name: string;
  /** Unit directory it points to (repository-relative), or undefined when it cannot be resolved. */
  readonly target: string | undefined;
  readonly configPath: unknown;
  readonly mockOutputs: Hcl | undefined;
  readonly allowedCommands: unknown;
}

export interface ResolvedUnit {
  /** Repository-relative directory, e.g. live/production/data. */
  readonly dir: string;
  /** Included files by label, repository-relative paths (or Unresolved). */
  readonly includes: ReadonlyMap<string, unknown>;
  readonly source: unknown;
  /** Module name when source is "<repo>/modules/<name>" (the module folder alone). */
  readonly module: string | undefined;
  readonly dependencies: ReadonlyMap<string, Dependency>;
  /** Evaluated inputs, and which file set each one. */
  readonly inputs: ReadonlyMap<string, { readonly value: unknown; readonly from: string }>;
  /**
   * The sections merged into inputs (local.env.<section> in merge(...)) and any inputs
   * expression not understood, evaluated: each must be an object for its keys to be checked.
   */
  readonly sections: readonly {
    readonly expression: string;
    readonly from: string;
    readonly value: unknown;
  }[];
  readonly references: readonly DependencyOutput[];
}

/** Unit directories: every folder of live/ holding a terragrunt.hcl. */
export function unitDirs(tree: LiveTree): string[] {
  return [...tree.files.keys()]
    .filter((path) => path.startsWith('live/') && path.endsWith('/terragrunt.hcl'))
    .map((path) => posix.dirname(path))
    .sort();
}

export function resolveUnit(tree: LiveTree, dir: string): ResolvedUnit {
  const unitFile = tree.files.get(`${dir}/terragrunt.hcl`) ?? {};
  const unitScope: Scope = { unitDir: dir, locals: localsOf(unitFile), tree };
  const includes = new Map<string, unknown>();
  const exposed = new Map<string, Hcl>();
  const chain: { path: string; file: Hcl }[] = [];
  for (const [label, block] of labelledBlocks(unitFile, 'include')) {
    const path = evaluate(block.path, unitScope);
    includes.set(label, typeof path === 'string' ? fromRepo(path) : path);
    const file = typeof path === 'string' ? tree.files.get(fromRepo(path)) : undefined;
    if (file) chain.push({ path: fromRepo(path as string), file });
    if (file && block.expose === true) exposed.set(label, file);
  }
  chain.push({ path: `${dir}/terragrunt.hcl`, file: unitFile });

  // Terragrunt's shallow include: each file sees only its own locals; inputs merge key by key
  // (root, layer file, other includes, then the unit), sections of merge(local.env.<s>, ...)
  // first; dependency blocks merge by name; the last terraform block wins.
  let source: unknown;
  const dependencies = new Map<string, Dependency>();
  const inputs = new Map<string, { value: unknown; from: string }>();
  const sections: { expression: string; from: string; value: unknown }[] = [];
  for (const { path, file } of chain) {
    const scope: Scope = { unitDir: dir, locals: localsOf(file), tree, exposed };
    const terraform = firstBlock(file, 'terraform');
    if (terraform && 'source' in terraform) source = evaluate(terraform.source, scope);
    const targetOf = (configPath: unknown): string | undefined =>
      typeof configPath !== 'string'
        ? undefined
        : configPath.startsWith(`${REPO_ROOT}/`)
          ? fromRepo(configPath)
          : posix.normalize(posix.join(dir, configPath));
    // `dependencies { paths = [...] }`: applied before, no outputs read (order only).
    for (const path of [firstBlock(file, 'dependencies')?.paths ?? []].flat()) {
      const configPath = evaluate(path, scope);
      const target = targetOf(configPath);
      dependencies.set(`order:${target ?? String(configPath)}`, {
        name: `dependencies ${String(configPath)}`,
        target,
        configPath,
        mockOutputs: undefined,
        allowedCommands: undefined,
      });
    }
    for (const [name, block] of labelledBlocks(file, 'dependency')) {
      const configPath = evaluate(block.config_path, scope);
      const target = targetOf(configPath);
      dependencies.set(name, {
        name,
        target,
        configPath,
        mockOutputs:
          block.mock_outputs === undefined
            ? undefined
            : (evaluate(block.mock_outputs, scope) as Hcl),
        allowedCommands: evaluate(block.mock_outputs_allowed_terraform_commands, scope),
      });
    }
    if (typeof file.inputs === 'string') {
      sections.push({ expression: file.inputs, from: path, value: new Unresolved(file.inputs) });
      continue;
    }
    for (const expression of (file[MERGED_SECTIONS] ?? []) as string[]) {
      const value = evaluate(expression, scope);
      sections.push({ expression, from: path, value });
      if (!isSection(value)) continue;
      for (const [key, item] of Object.entries(value)) {
        inputs.set(key, { value: item, from: `${path} (${expression.slice(2, -1)})` });
      }
    }
    for (const [key, value] of Object.entries((file.inputs ?? {}) as Hcl)) {
      inputs.set(key, { value: evaluate(value, scope), from: path });
    }
  }
  const moduleMatch =
    typeof source === 'string' ? /^<repo>\/modules\/([\w-]+)$/.exec(source) : null;
  // Scanned in the unevaluated text, so that a reference inside an expression the evaluator
  // does not know (concat(...), merge(...)) is still checked.
  const references = chain.flatMap(({ file }) =>
    [...JSON.stringify(file.inputs ?? {}).matchAll(/dependency\.([\w-]+)\.outputs\.([\w-]+)/g)].map(
      (match) => new DependencyOutput(match[1] ?? '', match[2] ?? ''),
    ),
  );
  return {
    dir,
    includes,
    source,
    module: moduleMatch?.[1],
    dependencies,
    inputs,
    sections,
    references,
  };
}

/** A plain object of evaluated values: what merge() can spread into inputs. */
function isSection(value: unknown): value is Hcl {
  return (
    value !== null &&
    typeof value === 'object' &&
    !Array.isArray(value) &&
    !(value instanceof Unresolved) &&
    !(value instanceof DependencyOutput)
  );
}

// ------------------------------------------------------------------------------------ rules

type Rule = (tree: LiveTree, spec: ContractSpec) => Violation[];

const environmentUnitDir = (environment: string, layer: string): string =>
  `live/${environment}/${layer}`;

function allUnits(tree: LiveTree, spec: ContractSpec): ResolvedUnit[] {
  const expected = [
    ...spec.environments.flatMap((e) => spec.layers.map((l) => environmentUnitDir(e, l))),
    ...spec.accountUnits.map((u) => `live/${u}`),
  ];
  const dirs = new Set([...unitDirs(tree), ...expected]);
  return [...dirs].sort().map((dir) => resolveUnit(tree, dir));
}

const violation = (rule: string, unit: string, message: string): Violation => ({
  rule,
  unit,
  message,
});

export const rules: Readonly<Record<string, Rule>> = {
  /**
   * Each environment has every layer, and each layer unit includes root.hcl, its own layer file
   * and the shared files spec.layerIncludes names for that layer.
   */
  'every environment has every layer': (tree, spec) =>
    spec.environments.flatMap((environment) =>
      spec.layers.flatMap((layer) => {
        const dir = environmentUnitDir(environment, layer);
        if (!tree.files.has(`${dir}/terragrunt.hcl`)) {
          return [violation('layers', dir, `${dir}/terragrunt.hcl is missing`)];
        }
        const unit = resolveUnit(tree, dir);
        const found: Violation[] = [];
        if (unit.includes.get('root') !== 'root.hcl') {
          found.push(violation('layers', dir, 'does not include root.hcl as include "root"'));
        }
        const expected = { layer: `live/_units/${layer}.hcl`, ...spec.layerIncludes?.[layer] };
        for (const [label, path] of Object.entries(expected)) {
          if (unit.includes.get(label) !== path || !tree.files.has(path)) {
            found.push(violation('layers', dir, `does not include ${path} as include "${label}"`));
          }
        }
        return found;
      }),
    ),

  'source module exists': (tree, spec) =>
    allUnits(tree, spec).flatMap((unit) => {
      if (!unit.module) {
        return [
          violation(
            'source',
            unit.dir,
            `terraform.source ${JSON.stringify(unit.source)} is not "\${get_repo_root()}/modules/<name>"`,
          ),
        ];
      }
      return tree.modules.has(unit.module)
        ? []
        : [violation('source', unit.dir, `modules/${unit.module}/main.tf.json does not exist`)];
    }),

  /**
   * Inputs of the layer file and the unit must be variables of the module. root.hcl's common
   * inputs go to every unit; Terraform ignores a TF_VAR_* the module does not declare, so each
   * only has to be declared by some module (a typo there is still caught).
   */
  'every input is a module variable': (tree, spec) =>
    allUnits(tree, spec).flatMap((unit) => {
      const module = unit.module ? tree.modules.get(unit.module) : undefined;
      if (!module) return [];
      return [...unit.inputs].flatMap(([name, { from }]) => {
        if (from === 'root.hcl') {
          const declared = [...tree.modules.values()].some((m) => m.variables.has(name));
          return declared
            ? []
            : [violation('inputs', unit.dir, `root.hcl input "${name}" is declared by no module`)];
        }
        return module.variables.has(name)
          ? []
          : [
              violation(
                'inputs',
                unit.dir,
                `input "${name}" (${from}) is not a variable of modules/${unit.module}`,
              ),
            ];
      });
    }),

  /**
   * inputs = merge(local.env.<section>, ..., { ... }): each section must be an object of
   * env.hcl, else none of its keys reaches the module (and no other rule sees them).
   */
  'every merged section is an object': (tree, spec) =>
    allUnits(tree, spec).flatMap((unit) =>
      unit.sections
        .filter(({ value }) => !isSection(value))
        .map(({ expression, from }) =>
          violation(
            'sections',
            unit.dir,
            `inputs (${from}): ${expression.slice(2, -1)} is not an object of evaluated values ` +
              '(inputs must be { ... } or merge(local.env.<section>, ..., { ... }))',
          ),
        ),
    ),

  'every required variable is given': (tree, spec) =>
    allUnits(tree, spec).flatMap((unit) => {
      const module = unit.module ? tree.modules.get(unit.module) : undefined;
      if (!module) return [];
      return [...module.variables]
        .filter(([name, { required }]) => required && !unit.inputs.has(name))
        .map(([name]) =>
          violation(
            'required',
            unit.dir,
            `required variable "${name}" of modules/${unit.module} is not given`,
          ),
        );
    }),

  'every dependency path exists': (tree, spec) =>
    allUnits(tree, spec).flatMap((unit) =>
      [...unit.dependencies.values()]
        .filter((d) => !d.target || !tree.files.has(`${d.target}/terragrunt.hcl`))
        .map((d) =>
          violation(
            'dependency-path',
            unit.dir,
            `dependency "${d.name}" points to ${JSON.stringify(d.configPath)}, which is not a unit`,
          ),
        ),
    ),

  'every dependency output exists and is mocked': (tree, spec) =>
    allUnits(tree, spec).flatMap((unit) =>
      unit.references.flatMap((reference) => {
        const where = `dependency.${reference.dependency}.outputs.${reference.output}`;
        const dependency = unit.dependencies.get(reference.dependency);
        if (!dependency)
          return [
            violation(
              'dependency-output',
              unit.dir,
              `${where}: no dependency "${reference.dependency}"`,
            ),
          ];
        const found: Violation[] = [];
        const target =
          dependency.target && tree.files.has(`${dependency.target}/terragrunt.hcl`)
            ? resolveUnit(tree, dependency.target)
            : undefined;
        const module = target?.module ? tree.modules.get(target.module) : undefined;
        if (!module?.outputs.has(reference.output)) {
          found.push(
            violation(
              'dependency-output',
              unit.dir,
              `${where}: modules/${target?.module ?? '?'} has no output "${reference.output}"`,
            ),
          );
        }
        if (!dependency.mockOutputs || !(reference.output in dependency.mockOutputs)) {
          found.push(
            violation(
              'dependency-output',
              unit.dir,
              `${where}: no mock output "${reference.output}"`,
            ),
          );
        }
        return found;
      }),
    ),

  /** Mocks stand in for outputs only where nothing is changed: never for apply or destroy. */
  'mock outputs only for init, validate and plan': (tree, spec) =>
    allUnits(tree, spec).flatMap((unit) =>
      [...unit.dependencies.values()].flatMap((d) => {
        if (d.mockOutputs === undefined) return [];
        const allowed = d.allowedCommands;
        if (!Array.isArray(allowed)) {
          return [
            violation(
              'mocks',
              unit.dir,
              `dependency "${d.name}" has mock_outputs without mock_outputs_allowed_terraform_commands (mocks would be used by apply)`,
            ),
          ];
        }
        return allowed
          .filter((command) => !['init', 'validate', 'plan'].includes(String(command)))
          .map((command) =>
            violation(
              'mocks',
              unit.dir,
              `dependency "${d.name}" allows mock outputs for "${String(command)}"`,
            ),
          );
      }),
    ),

  'dependency graph is acyclic': (tree, spec) =>
    spec.environments.flatMap((environment) => {
      const graph = dependencyGraph(tree, spec, environment);
      const cycle = findCycle(graph);
      return cycle
        ? [violation('acyclic', `live/${environment}`, `dependency cycle: ${cycle.join(' -> ')}`)]
        : [];
    }),

  'dependency graph is the same in every environment': (tree, spec) => {
    const [reference, ...others] = spec.environments;
    if (!reference) return [];
    const expected = graphEdges(dependencyGraph(tree, spec, reference));
    return others.flatMap((environment) => {
      const edges = graphEdges(dependencyGraph(tree, spec, environment));
      return edges === expected
        ? []
        : [
            violation(
              'same-graph',
              `live/${environment}`,
              `dependencies ${edges} differ from ${reference}'s ${expected}`,
            ),
          ];
    });
  },

  'production satisfies the production rules': (tree, spec) =>
    spec.productionRules.flatMap((rule) => {
      const value = (environment: string): unknown =>
        resolveUnit(tree, environmentUnitDir(environment, rule.layer)).inputs.get(rule.variable)
          ?.value;
      const production = value(spec.production);
      const development = value(spec.development);
      return rule.holds(production, development)
        ? []
        : [
            violation(
              'production',
              environmentUnitDir(spec.production, rule.layer),
              `${rule.description}: ${rule.variable} = ${JSON.stringify(production)} (development: ${JSON.stringify(development)})`,
            ),
          ];
    }),

  /** "" (or no value: the module default) means the environment uses no second region. */
  'every second region of an environment is granted to the deploy role': (tree, spec) =>
    (spec.regionGrants ?? []).flatMap((grant) => {
      const accountDir = `live/${grant.accountUnit}`;
      const granted = resolveUnit(tree, accountDir).inputs.get(grant.grantedBy)?.value ?? [];
      return spec.environments.flatMap((environment) => {
        const dir = environmentUnitDir(environment, grant.layer);
        const region = resolveUnit(tree, dir).inputs.get(grant.variable)?.value;
        if (region === undefined || region === '') return [];
        if (typeof region === 'string' && Array.isArray(granted) && granted.includes(region)) {
          return [];
        }
        return [
          violation(
            'regions',
            dir,
            `${grant.variable} = ${JSON.stringify(region)} is not in ${accountDir}'s ${grant.grantedBy} ` +
              `(${JSON.stringify(granted)}): the deploy role would be denied there`,
          ),
        ];
      });
    }),

  'state bucket is hardened': (tree) => stateBucketViolations(tree.files.get('root.hcl')),
};

/** Edges "unit -> dependency" of one environment, by unit name ("shared" for live/shared). */
export function dependencyGraph(
  tree: LiveTree,
  spec: ContractSpec,
  environment: string,
): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const layer of spec.layers) {
    const dir = environmentUnitDir(environment, layer);
    if (!tree.files.has(`${dir}/terragrunt.hcl`)) continue;
    const unit = resolveUnit(tree, dir);
    graph.set(
      layer,
      [...unit.dependencies.values()].map((d) => {
        if (!d.target) return String(d.configPath);
        const prefix = `live/${environment}/`;
        return d.target.startsWith(prefix)
          ? d.target.slice(prefix.length)
          : d.target.replace(/^live\//, '');
      }),
    );
  }
  return graph;
}

function graphEdges(graph: Map<string, string[]>): string {
  return [...graph]
    .flatMap(([from, targets]) => targets.map((to) => `${from}->${to}`))
    .sort()
    .join(', ');
}

export function findCycle(graph: Map<string, string[]>): string[] | undefined {
  const state = new Map<string, 'visiting' | 'done'>();
  const path: string[] = [];
  const visit = (node: string): string[] | undefined => {
    if (state.get(node) === 'done') return undefined;
    if (state.get(node) === 'visiting') return [...path.slice(path.indexOf(node)), node];
    state.set(node, 'visiting');
    path.push(node);
    for (const next of graph.get(node) ?? []) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    path.pop();
    state.set(node, 'done');
    return undefined;
  };
  for (const node of graph.keys()) {
    const cycle = visit(node);
    if (cycle) return cycle;
  }
  return undefined;
}

/** S3 state: encrypted, versioned, public access blocked, TLS-only, root access policy, lockfile. */
export function stateBucketViolations(root: Hcl | undefined): Violation[] {
  const found: Violation[] = [];
  const fail = (message: string): void => {
    found.push(violation('state', 'root.hcl', message));
  };
  const remoteState = firstBlock(root, 'remote_state');
  if (!remoteState) return [violation('state', 'root.hcl', 'no remote_state block')];
  if (remoteState.backend !== 's3')
    fail(`backend is ${JSON.stringify(remoteState.backend)}, not "s3"`);
  const generate = remoteState.generate as Hcl | undefined;
  if (generate?.path !== 'backend.tf' || generate.if_exists !== 'overwrite_terragrunt') {
    fail('generate must write backend.tf with if_exists = "overwrite_terragrunt"');
  }
  // The config is merge(bucket settings, optional lock table): read the bucket settings local.
  if (remoteState.config !== '${merge(local.state_bucket_config, local.state_lock_table_config)}') {
    fail('config must be merge(local.state_bucket_config, local.state_lock_table_config)');
  }
  const config = (localsOf(root).state_bucket_config ?? {}) as Hcl;
  const expected: Record<string, unknown> = {
    encrypt: true,
    use_lockfile: true,
    skip_bucket_versioning: false,
    skip_bucket_ssencryption: false,
    skip_bucket_enforced_tls: false,
    skip_bucket_public_access_blocking: false,
    skip_bucket_root_access: false,
  };
  for (const [key, value] of Object.entries(expected)) {
    if (config[key] !== value)
      fail(
        `state_bucket_config.${key} must be ${String(value)} (is ${JSON.stringify(config[key])})`,
      );
  }
  if (typeof config.key !== 'string' || !config.key.includes('${path_relative_to_include()}')) {
    fail('state key must contain path_relative_to_include() so every unit has its own state');
  }
  if (
    typeof config.bucket !== 'string' ||
    !config.bucket.includes('${local.account_id}') ||
    !config.bucket.includes('${local.region}')
  ) {
    fail('bucket name must contain the account id and the region');
  }
  if (!root?.terraform_version_constraint || !root.terragrunt_version_constraint) {
    fail('terraform_version_constraint and terragrunt_version_constraint are required');
  }
  return found;
}

/** Every rule, run on a tree: the empty list means the contract holds. */
export function checkContract(tree: LiveTree, spec: ContractSpec): Violation[] {
  return Object.values(rules).flatMap((rule) => rule(tree, spec));
}
