// cdktf.json promises the CDKTF CLI: `npx cdktf synth` (cdktf-cli, a pinned dev dependency, works
// offline) runs stacks/main.ts, which writes modules/ exactly as `npm run synth` does, and CDKTF's
// own cdktf.out/ holding the same Terraform. On Node.js 24 it needs package.json's replacement of
// @cdktf/node-pty-prebuilt-multiarch (stacks/README.md says why).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { moduleTerraform } from '../lib/module-synthesis';
import type { TerraformJson } from '../lib/module-readme';
import { moduleStacks } from '../main';

const root = join(__dirname, '..', '..');
const names = Object.keys(moduleStacks).sort();

describe('npx cdktf synth (cdktf.json)', function () {
  let scratch = '';
  let cliModules = '';
  let cliOut = '';

  before(function () {
    this.timeout(300_000); // a hang guard: the CLI then the stacks load on a busy 2-core machine
    scratch = mkdtempSync(join(tmpdir(), 'payflow-cdktf-cli-'));
    cliModules = join(scratch, 'modules');
    cliOut = join(scratch, 'cdktf.out');
    const cli = require.resolve('cdktf-cli/bundle/bin/cdktf');
    const result = spawnSync(process.execPath, [cli, 'synth', '--output', cliOut], {
      cwd: root,
      encoding: 'utf8',
      // No telemetry call (there is no network in CI); modules written to the scratch directory.
      env: { ...process.env, CHECKPOINT_DISABLE: '1', CI: 'true', PAYFLOW_MODULES_DIR: cliModules },
      timeout: 300_000,
    });
    expect(result.status, `${result.stdout}${result.stderr}`).to.equal(0);
  });

  after(function () {
    rmSync(scratch, { recursive: true, force: true });
  });

  it('writes the modules byte for byte as committed in modules/ (= npm run synth, module-drift)', function () {
    expect(readdirSync(cliModules).sort()).to.deep.equal(names);
    for (const name of names) {
      for (const file of ['main.tf.json', 'README.md']) {
        expect(
          readFileSync(join(cliModules, name, file), 'utf8') ===
            readFileSync(join(root, 'modules', name, file), 'utf8'),
          `cdktf synth's ${name}/${file} differs from modules/${name}/${file}`,
        ).to.equal(true);
      }
    }
  });

  it('writes cdktf.out/ for the CLI: one stack per module, the same Terraform as modules/', function () {
    const manifest = JSON.parse(readFileSync(join(cliOut, 'manifest.json'), 'utf8')) as {
      stacks: Record<string, { synthesizedStackPath: string }>;
    };
    expect(Object.keys(manifest.stacks).sort()).to.deep.equal(names);
    for (const name of names) {
      const cdktfOut = JSON.parse(
        readFileSync(join(cliOut, manifest.stacks[name]?.synthesizedStackPath ?? ''), 'utf8'),
      ) as TerraformJson;
      const committed = JSON.parse(
        readFileSync(join(root, 'modules', name, 'main.tf.json'), 'utf8'),
      ) as TerraformJson;
      expect(moduleTerraform(cdktfOut), name).to.deep.equal(committed);
    }
  });
});
