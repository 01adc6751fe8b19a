// Running the Terraform CLI from the tests: in a temporary working directory, from the offline
// provider mirror when the machine has one (TF_PLUGIN_MIRROR, set by .ci/run), never prompting.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface CommandResult {
  status: number | null;
  output: string;
}

/** `terraform <args>` in cwd; status null when it could not run or ran out of time. */
export function terraform(
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
  timeout = 300_000,
): CommandResult {
  const result = spawnSync('terraform', args, { cwd, env, encoding: 'utf8', timeout });
  return {
    status: result.error ? null : result.status,
    output: `${result.stdout ?? ''}${result.stderr ?? ''}${result.error ? String(result.error) : ''}`,
  };
}

/** Terraform's CLI configuration for this run: only the mirror, never the network. */
export function terraformEnvironment(
  workDir: string,
  mirror: string | undefined,
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, TF_IN_AUTOMATION: '1', CHECKPOINT_DISABLE: '1' };
  delete env.TF_WORKSPACE;
  if (mirror) {
    const config = join(workDir, 'terraform-cli.tfrc');
    writeFileSync(
      config,
      [
        'provider_installation {',
        '  filesystem_mirror {',
        `    path    = ${JSON.stringify(mirror)}`,
        '    include = ["*/*/*"]',
        '  }',
        '  direct {',
        '    exclude = ["*/*/*"]',
        '  }',
        '}',
        '',
      ].join('\n'),
    );
    env.TF_CLI_CONFIG_FILE = config;
    // An unpacked mirror is symlinked into .terraform; a plugin cache would copy 700 MB instead.
    delete env.TF_PLUGIN_CACHE_DIR;
  } else {
    // From the registry: download the AWS provider once for all modules and all runs.
    env.TF_PLUGIN_CACHE_DIR ??= join(tmpdir(), 'payflow-terraform-plugin-cache');
    mkdirSync(env.TF_PLUGIN_CACHE_DIR, { recursive: true });
  }
  return env;
}
