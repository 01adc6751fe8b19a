// Shared setup of the tests of the Kubernetes-level modules (platform, app): their synthesized
// JSON, typed for the parts the tests read, and the Terraform availability guard of the tests
// that evaluate their Helm values with real Terraform, and the input validation cases.
import { expect } from 'chai';
import { App } from 'cdktf';
import type { ModuleStackClass } from '../lib/module-synthesis';
import { synthesizeStack } from '../lib/module-synthesis';
import {
  evaluateModuleExpressions,
  terraformAvailable,
  type ModuleJson,
} from './platform-terraform-evaluation';

export type Block = Record<string, unknown>;

export interface KubernetesModuleJson extends ModuleJson {
  provider: Record<string, Block[]>;
  resource: Record<string, Record<string, Block>>;
  variable: Record<string, Block>;
  output: Record<string, Block>;
  terraform: { required_providers: Record<string, { source: string; version: string }> };
}

export function synthesizeKubernetesModule(
  StackClass: ModuleStackClass,
  name: string,
): KubernetesModuleJson {
  return synthesizeStack(
    new StackClass(new App({ skipValidation: true }), name),
  ) as unknown as KubernetesModuleJson;
}

/** `before` hook of the Terraform evaluation suites: fail in CI, skip loudly on a laptop. */
export function requireTerraform(this: Mocha.Context): void {
  if (!terraformAvailable()) {
    if (process.env.CI) throw new Error('terraform is required in CI');
    console.warn('\n  !!! terraform not installed: Terraform evaluation tests SKIPPED !!!\n');
    this.skip();
  }
}

/**
 * One test per case: the module's input validation refuses `valid` with the case's override
 * (evaluated by Terraform with the module's variables, as in evaluateModuleExpressions).
 * `valid` may be a function, read when the test runs (inputs loaded by a `before` hook).
 */
export function itRejectsInputs(
  moduleName: string,
  tf: KubernetesModuleJson,
  expressions: Record<string, unknown>,
  valid: Record<string, unknown> | (() => Record<string, unknown>),
  cases: readonly [what: string, override: Record<string, unknown>][],
): void {
  for (const [what, override] of cases) {
    it(`input validation rejects ${what}`, () => {
      const inputs = typeof valid === 'function' ? valid() : valid;
      const result = evaluateModuleExpressions(moduleName, tf, expressions, {
        ...inputs,
        ...override,
      });
      expect(result.status).to.not.equal(0);
      expect(result.stderr).to.match(/Invalid value for variable/);
    });
  }
}
