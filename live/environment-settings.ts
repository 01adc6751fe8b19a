// What live/environment.sh knows of an environment's data, read with an HCL parser rather than
// regular expressions: the locals of live/<env>/env.hcl, live/shared/account.hcl and root.hcl,
// one `env.database.db_deletion_protection=true` line each (lists of words joined by spaces, other
// values as JSON), so that bash reads them with one `read`.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from '@cdktf/hcl2json';

const isWord = (item: unknown): boolean =>
  (typeof item === 'string' && /^\S+$/.test(item)) ||
  typeof item === 'number' ||
  typeof item === 'boolean';

function flatten(key: string, value: unknown, into: Map<string, string>): void {
  if (Array.isArray(value)) {
    into.set(key, value.every(isWord) ? value.map(String).join(' ') : JSON.stringify(value));
  } else if (value !== null && typeof value === 'object') {
    for (const [name, item] of Object.entries(value)) flatten(`${key}.${name}`, item, into);
  } else if (typeof value === 'string' && /[\r\n]/.test(value)) {
    into.set(key, JSON.stringify(value));
  } else {
    into.set(key, String(value));
  }
}

/** Every setting of an environment (the `locals` of each file), as environment.sh reads them. */
export async function readSettings(
  repoRoot: string,
  environment: string,
): Promise<Map<string, string>> {
  if (!/^[a-z][a-z0-9-]*$/.test(environment)) {
    throw new Error(`'${environment}' is not an environment name`);
  }
  const files = {
    env: `live/${environment}/env.hcl`,
    account: 'live/shared/account.hcl',
    root: 'root.hcl',
  };
  const settings = new Map<string, string>();
  for (const [prefix, path] of Object.entries(files)) {
    const file = join(repoRoot, path);
    if (!existsSync(file)) continue;
    let parsed: { locals?: Record<string, unknown>[] };
    try {
      parsed = (await parse(path, readFileSync(file, 'utf8'))) as typeof parsed;
    } catch (error) {
      throw new Error(`${path}: ${error instanceof Error ? error.message : String(error)}`);
    }
    for (const block of parsed.locals ?? []) {
      for (const [name, value] of Object.entries(block))
        flatten(`${prefix}.${name}`, value, settings);
    }
  }
  return settings;
}

async function main(): Promise<void> {
  const [environment] = process.argv.slice(2);
  try {
    const settings = await readSettings(join(__dirname, '..'), environment ?? '');
    const lines = [...settings].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k}=${v}`);
    process.stdout.write(lines.map((line) => `${line}\n`).join(''));
  } catch (error) {
    process.stdout.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
}

if (require.main === module) {
  void main();
}
