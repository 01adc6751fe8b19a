import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { MODULE_COPIES_DIR } from '../lib/module-stack';

/** The parts of a synthesized module the evaluation needs. */
export interface ModuleJson {
  readonly variable?: Record<string, unknown>;
  readonly resource?: Record<string, Record<string, Record<string, unknown>>>;
}

export interface EvaluationResult {
  /** Terraform's exit status: non-zero when an input fails its validation. */
  readonly status: number;
  readonly stderr: string;
  /** `name` -> evaluated value (only when status is 0). */
  readonly values: Record<string, unknown>;
}

const REPOSITORY_ROOT = resolve(__dirname, '..', '..');

/**
 * Evaluates expressions of a synthesized Kubernetes-level module with real Terraform and
 * example inputs, without any provider: a throw-away configuration holding only the module's
 * variables (with their validations) and one output per expression. This runs the exact
 * `yamlencode(...)`/`file(...)` expressions the helm_release resources carry, offline, where
 * the helm and kubernetes providers cannot be installed. `path.module` keeps its meaning: the
 * configuration holds (a link to) the module's own copied/ folder, and nothing else.
 */
export function evaluateModuleExpressions(
  moduleName: string,
  module: ModuleJson,
  expressions: Record<string, unknown>,
  inputs: Record<string, unknown>,
): EvaluationResult {
  const root = mkdtempSync(join(tmpdir(), `payflow-${moduleName}-eval-`));
  try {
    const dir = join(root, moduleName);
    mkdirSync(dir, { recursive: true });
    const copies = join(REPOSITORY_ROOT, 'modules', moduleName, MODULE_COPIES_DIR);
    if (existsSync(copies)) symlinkSync(copies, join(dir, MODULE_COPIES_DIR));
    const outputs = Object.fromEntries(
      Object.entries(expressions).map(([name, value]) => [name, { value }]),
    );
    writeFileSync(
      join(dir, 'main.tf.json'),
      JSON.stringify({ variable: module.variable ?? {}, output: outputs }),
    );
    writeFileSync(join(dir, 'inputs.tfvars.json'), JSON.stringify(inputs));
    const env = { ...process.env, TF_IN_AUTOMATION: '1', CHECKPOINT_DISABLE: '1' };
    const terraform = (...args: string[]) =>
      spawnSync('terraform', args, { cwd: dir, env, encoding: 'utf8' });
    const init = terraform('init', '-backend=false', '-input=false', '-no-color');
    if (init.status !== 0) return { status: init.status ?? 1, stderr: init.stderr, values: {} };
    const apply = terraform(
      'apply',
      '-auto-approve',
      '-input=false',
      '-no-color',
      '-var-file=inputs.tfvars.json',
    );
    if (apply.status !== 0) return { status: apply.status ?? 1, stderr: apply.stderr, values: {} };
    const output = terraform('output', '-json');
    const parsed = JSON.parse(output.stdout) as Record<string, { value: unknown }>;
    return {
      status: 0,
      stderr: '',
      values: Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, v.value])),
    };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** Whether `terraform` can be run here (tests skip loudly without it, and fail in CI). */
export function terraformAvailable(): boolean {
  return spawnSync('terraform', ['version'], { encoding: 'utf8' }).status === 0;
}
