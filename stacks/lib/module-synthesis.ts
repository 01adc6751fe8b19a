import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { App, Testing } from 'cdktf';
import type { Construct } from 'constructs';
import { renderModuleReadme, type TerraformJson } from './module-readme';
import { MODULE_COPIES_DIR, type ModuleStack } from './module-stack';

const REPOSITORY_ROOT = join(__dirname, '..', '..');

/** A stack class as registered in stacks/main.ts: `new (scope, moduleName)`. */
export type ModuleStackClass = new (scope: Construct, id: string) => ModuleStack;

export interface ModuleArtifacts {
  readonly name: string;
  /** Contents of modules/<name>/main.tf.json */
  readonly mainTfJson: string;
  /** Contents of modules/<name>/README.md */
  readonly readme: string;
  /** Repository paths copied into modules/<name>/copied/ (what the module reads at apply time). */
  readonly copies: readonly string[];
}

/**
 * Terraform JSON of one stack, deterministic: keys sorted, CDKTF's `//` metadata
 * (which carries the cdktf version and construct paths) removed, no backend block.
 * Testing.synth is CDKTF's public entry point doing exactly aspects + validations +
 * toTerraform() + metadata removal, without prepareStack() (which adds a LocalBackend
 * holding an absolute state path).
 */
export function synthesizeStack(stack: ModuleStack): TerraformJson {
  return moduleTerraform(JSON.parse(Testing.synth(stack, true)) as TerraformJson);
}

/** CDKTF's Terraform JSON of a stack as modules/ holds it: no metadata, no backend, keys sorted. */
export function moduleTerraform(tf: TerraformJson): TerraformJson {
  stripMetadata(tf);
  if (tf.terraform) {
    delete tf.terraform.backend;
  }
  return sortKeys(tf) as TerraformJson;
}

export function synthesizeModule(stack: ModuleStack): ModuleArtifacts {
  const tf = synthesizeStack(stack);
  const name = stack.node.id;
  return {
    name,
    mainTfJson: JSON.stringify(tf, null, 2) + '\n',
    readme: renderModuleReadme(name, stack.purpose, tf, stack.copiedPaths),
    copies: stack.copiedPaths,
  };
}

/** Synthesize every registered stack, in registration order, as stacks of `app`. */
export function synthesizeModules(
  registry: Readonly<Record<string, ModuleStackClass>>,
  app: App = new App({ skipValidation: true }),
): ModuleArtifacts[] {
  return Object.entries(registry).map(([name, StackClass]) =>
    synthesizeModule(new StackClass(app, name)),
  );
}

/**
 * What a copied folder holds for the repository only: its tests (app/chart/test), and the
 * .helmignore that keeps them out of helm package. The module reads neither.
 */
const NOT_COPIED: ReadonlySet<string> = new Set(['test', '.helmignore']);

/**
 * Write modules/<name>/{main.tf.json,README.md} and copied/ afresh (so a file deleted from the
 * repository leaves the module too); the hand-written files (tests/, charts/) are left alone.
 */
export function writeModules(artifacts: readonly ModuleArtifacts[], outDir: string): void {
  for (const module of artifacts) {
    const dir = join(outDir, module.name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'main.tf.json'), module.mainTfJson);
    writeFileSync(join(dir, 'README.md'), module.readme);
    rmSync(join(dir, MODULE_COPIES_DIR), { recursive: true, force: true });
    for (const path of module.copies) {
      cpSync(join(REPOSITORY_ROOT, path), join(dir, MODULE_COPIES_DIR, path), {
        recursive: true,
        filter: (source) => !NOT_COPIED.has(basename(source)),
      });
    }
  }
}

function stripMetadata(value: unknown): void {
  if (Array.isArray(value)) {
    value.forEach(stripMetadata);
  } else if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    delete record['//'];
    Object.values(record).forEach(stripMetadata);
  }
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([k, v]) => [k, sortKeys(v)]),
    );
  }
  return value;
}
