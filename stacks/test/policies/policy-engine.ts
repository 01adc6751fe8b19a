// Runs the policy controls over the synthesized modules. `npx tsx stacks/test/policies/policy-engine.ts`
// prints the findings (none expected) and the control table.
import { join } from 'node:path';
import { CONTROLS, type Control } from './controls';
import { type TerraformModule, loadModules } from './terraform-config';

export interface Finding {
  readonly control: string;
  readonly address: string;
  readonly message: string;
}

export const MODULES_DIR = join(__dirname, '..', '..', '..', 'modules');

export function evaluate(
  modules: readonly TerraformModule[],
  controls: readonly Control[] = CONTROLS,
): Finding[] {
  return controls.flatMap((control) =>
    control.check(modules).map((v) => ({ control: control.id, ...v })),
  );
}

/** The control table as Markdown (stacks/test/policies/README.md embeds it). */
export function controlTable(controls: readonly Control[] = CONTROLS): string {
  const escape = (text: string) => text.replace(/\|/g, '\\|');
  return [
    '| id | category | control | rationale |',
    '| --- | --- | --- | --- |',
    ...controls.map(
      (c) => `| \`${c.id}\` | ${c.category} | ${escape(c.description)} | ${escape(c.rationale)} |`,
    ),
  ].join('\n');
}

if (require.main === module) {
  const modules = loadModules(MODULES_DIR);
  const findings = evaluate(modules);
  console.log(`${CONTROLS.length} controls over ${modules.map((m) => m.name).join(', ')}`);
  for (const f of findings) console.log(`FAIL ${f.control} ${f.address}: ${f.message}`);
  if (process.argv.includes('--table')) console.log(controlTable());
  process.exitCode = findings.length ? 1 : 0;
}
