// modules/ is committed: it must be exactly what a fresh `npm run synth` writes, and must
// carry nothing that depends on the machine (backend with a state path, absolute paths,
// CDKTF version metadata).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { App, LocalBackend, TerraformOutput, TerraformStack } from 'cdktf';
import { expect } from 'chai';
import { NetworkStack } from '../network/network-stack';
import { synthesizeStack } from '../lib/module-synthesis';
import { MODULE_COPIES_DIR } from '../lib/module-stack';
import { moduleStacks } from '../main';

const root = join(__dirname, '..', '..');
const modulesDir = join(root, 'modules');

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)))
    .sort();
}

/** Strings of a module's Terraform JSON that climb out of the module folder (`../`). */
export function pathsOutsideModule(json: string): string[] {
  const strings: string[] = [];
  const collect = (value: unknown): void => {
    if (typeof value === 'string') strings.push(value);
    else if (value !== null && typeof value === 'object') Object.values(value).forEach(collect);
  };
  collect(JSON.parse(json));
  return strings.filter((text) => /(^|[/"])\.\.\//.test(text));
}

/** Every finding that would make a module machine-dependent or clash with Terragrunt. */
export function machineDependentParts(json: string): string[] {
  const findings: string[] = [];
  const tf = JSON.parse(json) as { terraform?: { backend?: unknown } };
  if (tf.terraform?.backend !== undefined) findings.push('terraform.backend block');
  if (json.includes('"//"')) findings.push('CDKTF "//" metadata');
  const pathPatterns: [string, RegExp][] = [
    ['repository path', new RegExp(root.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))],
    ['home directory', new RegExp(homedir().replace(/[.*+?^${}()|[\]\\]/g, '\\$&') + '/')],
    ['absolute machine path', /"(\/(home|root|tmp|Users|work|var|opt)\/|[A-Za-z]:\\\\)/],
    ['tfstate path', /\.tfstate/],
    ['cdktf.out', /cdktf\.out/],
  ];
  for (const [label, pattern] of pathPatterns) {
    if (pattern.test(json)) findings.push(label);
  }
  return findings;
}

describe('synthesized modules', function () {
  let freshDir = '';

  before(function () {
    this.timeout(60_000); // a fresh Node.js process loading CDKTF, on a busy 2-core machine
    freshDir = mkdtempSync(join(tmpdir(), 'payflow-synth-'));
    const result = spawnSync(
      process.execPath,
      [require.resolve('tsx/cli'), join(root, 'stacks', 'main.ts'), '--out', freshDir],
      { cwd: root, encoding: 'utf8', timeout: 60_000 },
    );
    expect(result.status, `${result.stdout}${result.stderr}`).to.equal(0);
  });

  after(function () {
    rmSync(freshDir, { recursive: true, force: true });
  });

  it('synthesizes one module per registered stack', function () {
    expect(readdirSync(freshDir).sort()).to.deep.equal(Object.keys(moduleStacks).sort());
  });

  for (const name of Object.keys(moduleStacks)) {
    it(`modules/${name} is byte-for-byte what a fresh synth writes (run npm run synth)`, function () {
      const fresh = join(freshDir, name);
      for (const file of filesUnder(fresh)) {
        const committed = join(modulesDir, name, file);
        expect(existsSync(committed), `modules/${name}/${file} is missing`).to.equal(true);
        expect(
          readFileSync(committed, 'utf8') === readFileSync(join(fresh, file), 'utf8'),
          `modules/${name}/${file} differs from a fresh synthesis: run npm run synth`,
        ).to.equal(true);
      }
    });
  }

  for (const name of Object.keys(moduleStacks)) {
    it(`modules/${name}/copied holds exactly the repository files the module reads, no stale one`, function () {
      const copies = (dir: string) => (existsSync(dir) ? filesUnder(dir) : []);
      expect(copies(join(modulesDir, name, MODULE_COPIES_DIR))).to.deep.equal(
        copies(join(freshDir, name, MODULE_COPIES_DIR)),
      );
    });

    it(`modules/${name} stands alone: main.tf.json reads no file outside its folder`, function () {
      expect(
        pathsOutsideModule(readFileSync(join(modulesDir, name, 'main.tf.json'), 'utf8')),
      ).to.deep.equal([]);
    });
  }

  it('the stand-alone check catches a module reading a repository file through ../', function () {
    expect(
      pathsOutsideModule(
        JSON.stringify({
          chart: '${path.module}/../../app/chart',
          values: ['${file("../x.yaml")}'],
        }),
      ),
    ).to.deep.equal(['${path.module}/../../app/chart', '${file("../x.yaml")}']);
    expect(
      pathsOutsideModule(JSON.stringify({ chart: '${path.module}/copied/app/chart' })),
    ).to.deep.equal([]);
  });

  it('has no module left over from a stack that is no longer registered', function () {
    const committed = readdirSync(modulesDir, { withFileTypes: true })
      .filter((d) => d.isDirectory() && existsSync(join(modulesDir, d.name, 'main.tf.json')))
      .map((d) => d.name);
    expect(Object.keys(moduleStacks)).to.include.members(committed);
  });

  for (const name of Object.keys(moduleStacks)) {
    it(`modules/${name}/main.tf.json has no backend, no metadata and no machine path`, function () {
      const json = readFileSync(join(modulesDir, name, 'main.tf.json'), 'utf8');
      expect(machineDependentParts(json)).to.deep.equal([]);
    });
  }

  it('the machine-path check catches what CDKTF writes by default (LocalBackend)', function () {
    // A plain CDKTF stack, synthesized the way `cdktf synth` does: prepareStack() adds a
    // LocalBackend whose state path is absolute.
    const app = new App({ skipValidation: true });
    const stack = new TerraformStack(app, 'plain');
    new TerraformOutput(stack, 'answer', { value: 42 });
    stack.prepareStack();
    const raw = JSON.stringify(stack.toTerraform(), null, 2);
    expect(machineDependentParts(raw)).to.include.members([
      'terraform.backend block',
      'CDKTF "//" metadata',
      'repository path',
      'tfstate path',
    ]);
  });

  it('a ModuleStack synthesized by CDKTF itself has no backend either', function () {
    const app = new App({ skipValidation: true });
    const stack = new NetworkStack(app, 'network');
    stack.prepareStack();
    const tf = stack.toTerraform() as { terraform?: { backend?: unknown } };
    expect(tf.terraform?.backend).to.equal(undefined);
  });

  it('the pipeline removes a backend even when a stack declares one', function () {
    const app = new App({ skipValidation: true });
    const stack = new NetworkStack(app, 'network');
    new LocalBackend(stack, { path: '/somewhere/terraform.tfstate' });
    const tf = synthesizeStack(stack);
    expect(tf.terraform?.backend).to.equal(undefined);
    expect(machineDependentParts(JSON.stringify(tf))).to.deep.equal([]);
  });
});

describe('stack sources', function () {
  // A root import of a provider package loads every resource type: 8–10 s and 700 MB per synth.
  const rootImport = /from\s+'@cdktf\/provider-[a-z]+'/;

  it('import provider bindings deeply (@cdktf/provider-aws/lib/<resource>)', function () {
    const sources = readdirSync(join(root, 'stacks'), { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile() && e.name.endsWith('.ts'))
      .map((e) => join(e.parentPath, e.name));
    const offenders = sources.filter((file) => rootImport.test(readFileSync(file, 'utf8')));
    expect(offenders.map((f) => relative(root, f))).to.deep.equal([]);
  });

  it('the deep-import check catches a root import', function () {
    const packageRoot = ['@cdktf', 'provider-aws'].join('/'); // spelled apart: this file is scanned too
    expect(rootImport.test(`import { Vpc } from '${packageRoot}';`)).to.equal(true);
    expect(rootImport.test("import { Vpc } from '@cdktf/provider-aws/lib/vpc';")).to.equal(false);
  });
});
