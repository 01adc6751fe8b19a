// Generic Terraform harness: for every modules/<m>, `terraform init -backend=false`,
// `terraform validate` and `terraform test` (tests/*.tftest.hcl, mocked providers), each
// `run` block of the tests reported as its own mocha test.
// Runs in a temporary copy of each module so that no .terraform/ or lock file lands in modules/.
// PAYFLOW_TF_MODULES=data,shared restricts the run to those modules (stacks/README.md).
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import type { TerraformJson } from '../lib/module-readme';
import { type CommandResult, terraform, terraformEnvironment } from './terraform-cli';

const modulesDir = join(__dirname, '..', '..', 'modules');
const mirror = process.env.TF_PLUGIN_MIRROR;

function terraformVersion(): string | undefined {
  const result = spawnSync('terraform', ['version'], { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.split('\n')[0] : undefined;
}

/** Provider source addresses (`registry.terraform.io/hashicorp/aws`) a module requires. */
function requiredProviders(tf: TerraformJson): string[] {
  return Object.entries(tf.terraform?.required_providers ?? {}).map(([name, spec]) => {
    const source = spec.source ?? name;
    const parts = source.split('/');
    if (parts.length === 1) return `registry.terraform.io/hashicorp/${source}`;
    if (parts.length === 2) return `registry.terraform.io/${source}`;
    return source;
  });
}

/** With a mirror, only providers present in it are installable; without, the registry is used. */
function missingProviders(tf: TerraformJson): string[] {
  if (!mirror) return [];
  return requiredProviders(tf).filter((source) => !existsSync(join(mirror, source)));
}

/** `run "name"` blocks of a .tftest.hcl file, in file order. */
function runNames(testFile: string): string[] {
  return [...readFileSync(testFile, 'utf8').matchAll(/^\s*run\s+"([^"]+)"/gm)].map(
    (m) => m[1] ?? '',
  );
}

/**
 * Status of one run in `terraform test` output, which reads:
 *   tests/x.tftest.hcl... in progress
 *     run "development"... pass
 *   tests/x.tftest.hcl... tearing down
 */
function runStatus(output: string, file: string, run: string): string | undefined {
  let inFile = false;
  for (const line of output.split('\n')) {
    if (line.startsWith(`${file}... `)) inFile = line.endsWith('in progress');
    const match = /^\s+run "(.+)"\.\.\. (\w+)/.exec(line);
    if (inFile && match?.[1] === run) return match[2];
  }
  return undefined;
}

const synthesizedModules = existsSync(modulesDir)
  ? readdirSync(modulesDir, { withFileTypes: true })
      .filter((d) => d.isDirectory() && existsSync(join(modulesDir, d.name, 'main.tf.json')))
      .map((d) => d.name)
      .sort()
  : [];

/**
 * PAYFLOW_TF_MODULES=data,shared runs those modules only (a quicker loop while working on one
 * stack); unset or empty runs every module. A name that is not a module fails the run.
 */
export function selectModules(
  available: readonly string[],
  filter: string | undefined,
): { selected: string[]; unknown: string[] } {
  const wanted = [
    ...new Set(
      (filter ?? '')
        .split(',')
        .map((name) => name.trim())
        .filter(Boolean),
    ),
  ];
  if (wanted.length === 0) return { selected: [...available], unknown: [] };
  return {
    selected: available.filter((name) => wanted.includes(name)),
    unknown: wanted.filter((name) => !available.includes(name)),
  };
}

const moduleFilter = process.env.PAYFLOW_TF_MODULES;
const { selected: modules, unknown: unknownModules } = selectModules(
  synthesizedModules,
  moduleFilter,
);

describe('PAYFLOW_TF_MODULES (module filter of this harness)', function () {
  it('selects the listed modules only, in module order, ignoring spaces and repeats', function () {
    const all = ['app', 'cluster', 'data', 'network', 'shared'];
    expect(selectModules(all, ' shared,data , data').selected).to.deep.equal(['data', 'shared']);
    expect(selectModules(all, undefined).selected).to.deep.equal(all);
    expect(selectModules(all, '').selected).to.deep.equal(all);
  });

  it('reports names that are not modules', function () {
    expect(selectModules(['data', 'network'], 'data,netwrok').unknown).to.deep.equal(['netwrok']);
  });

  it('names only existing modules in this run', function () {
    expect(unknownModules, `PAYFLOW_TF_MODULES=${moduleFilter ?? ''}`).to.deep.equal([]);
  });
});

describe('terraform modules (init, validate, test with mocked providers)', function () {
  this.timeout(300_000); // terraform test of a module: up to a minute on a busy machine
  const version = terraformVersion();

  before(function () {
    if (!version) {
      if (process.env.CI) {
        throw new Error('terraform is not installed: CI must provide it (see .ci/run)');
      }
      console.warn(
        '\n  !!! SKIPPED: terraform is not installed, modules/ were NOT validated. ' +
          'Install Terraform >= 1.11 (mise install) and run again.\n',
      );
      this.skip();
    }
  });

  it('finds the synthesized modules', function () {
    expect(synthesizedModules, 'run npm run synth').to.include.members(['network', 'cluster']);
    if (moduleFilter?.trim()) {
      console.log(
        `      PAYFLOW_TF_MODULES=${moduleFilter}: only ${modules.join(', ') || '(none)'}`,
      );
    }
  });

  for (const name of modules) {
    const moduleDir = join(modulesDir, name);
    const tf = JSON.parse(readFileSync(join(moduleDir, 'main.tf.json'), 'utf8')) as TerraformJson;
    const testsDir = join(moduleDir, 'tests');
    const testFiles = existsSync(testsDir)
      ? readdirSync(testsDir)
          .filter((f) => f.endsWith('.tftest.hcl'))
          .sort()
      : [];

    describe(`modules/${name}`, function () {
      let workDir = '';
      let env: NodeJS.ProcessEnv = {};
      let initialised = false;
      let testResult: CommandResult | undefined;

      before(function () {
        const missing = missingProviders(tf);
        if (missing.length > 0) {
          console.warn(
            `\n  !!! SKIPPED modules/${name}: providers ${missing.join(', ')} are not in the ` +
              `offline mirror ${mirror}; GitHub Actions validates this module with the registry.\n`,
          );
          this.skip();
        }
        workDir = mkdtempSync(join(tmpdir(), `payflow-tf-${name}-`));
        cpSync(join(moduleDir, 'main.tf.json'), join(workDir, 'main.tf.json'));
        if (existsSync(testsDir)) cpSync(testsDir, join(workDir, 'tests'), { recursive: true });
        env = terraformEnvironment(workDir, mirror);
      });

      after(function () {
        if (workDir) rmSync(workDir, { recursive: true, force: true });
      });

      it('terraform init -backend=false', function () {
        const result = terraform(
          ['init', '-backend=false', '-input=false', '-no-color'],
          workDir,
          env,
        );
        expect(result.status, result.output).to.equal(0);
        initialised = true;
      });

      it('terraform validate', function () {
        if (!initialised) this.skip();
        const result = terraform(['validate', '-no-color'], workDir, env);
        expect(result.status, result.output).to.equal(0);
        expect(result.output).to.match(/The configuration is valid/);
      });

      if (requiredProviders(tf).includes('registry.terraform.io/hashicorp/aws')) {
        it('has terraform tests (tests/*.tftest.hcl)', function () {
          expect(
            testFiles,
            `add modules/${name}/tests/<name>.tftest.hcl`,
          ).to.have.length.greaterThan(0);
        });
      }

      for (const file of testFiles) {
        for (const run of runNames(join(testsDir, file))) {
          it(`terraform test: tests/${file} run "${run}" passes`, function () {
            if (!initialised) this.skip();
            testResult ??= terraform(['test', '-no-color'], workDir, env);
            const status = runStatus(testResult.output, `tests/${file}`, run);
            expect(status, testResult.output).to.equal('pass');
          });
        }
      }

      if (testFiles.length > 0) {
        it('terraform test exits 0 (every run passed)', function () {
          if (!initialised) this.skip();
          testResult ??= terraform(['test', '-no-color'], workDir, env);
          expect(testResult.status, testResult.output).to.equal(0);
        });
      }
    });
  }
});
