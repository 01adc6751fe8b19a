// Entry point of `npm run synth`: every PayFlow stack is registered here, one line each.
// The key is the module name: the stack is synthesized into modules/<key>/.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { App } from 'cdktf';
import { type ModuleStackClass, synthesizeModules, writeModules } from './lib/module-synthesis';
import { AppStack } from './app/app-stack';
import { ClusterStack } from './cluster/cluster-stack';
import { DataStack } from './data/data-stack';
import { DnsStack } from './dns/dns-stack';
import { EdgeStack } from './edge/edge-stack';
import { NetworkStack } from './network/network-stack';
import { PlatformStack } from './platform/platform-stack';
import { SharedStack } from './shared/shared-stack';

export const moduleStacks: Readonly<Record<string, ModuleStackClass>> = {
  network: NetworkStack,
  cluster: ClusterStack,
  data: DataStack,
  edge: EdgeStack,
  shared: SharedStack,
  platform: PlatformStack,
  app: AppStack,
  dns: DnsStack,
};

/** `npm run synth [-- --out <dir>]`; PAYFLOW_MODULES_DIR works too; default modules/. */
function main(): void {
  const { values } = parseArgs({ options: { out: { type: 'string' } } });
  const outDir = resolve(
    values.out ?? process.env.PAYFLOW_MODULES_DIR ?? resolve(__dirname, '..', 'modules'),
  );
  const started = performance.now();
  const app = new App({ skipValidation: true });
  const artifacts = synthesizeModules(moduleStacks, app);
  writeModules(artifacts, outDir);
  // Under `npx cdktf synth` (cdktf.json's app), the CLI sets CDKTF_OUTDIR and then reads
  // cdktf.out/manifest.json: CDKTF's own output of the same stacks. modules/ is what Terragrunt
  // deploys; stacks/test/cdktf-cli.test.ts checks that both hold the same Terraform.
  if (process.env.CDKTF_OUTDIR) app.synth();
  const seconds = ((performance.now() - started) / 1000).toFixed(2);
  console.log(
    `synthesized ${artifacts.map((a) => a.name).join(', ')} into ${outDir} in ${seconds} s`,
  );
}

if (require.main === module) {
  main();
}
