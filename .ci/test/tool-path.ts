// A PATH directory for tests that run the repository's shell entry points (Makefile, .ci/run) as
// on another machine: chosen programs of this one (symlinks), plus stand-in scripts that record
// their calls. A program left out is a program that machine lacks.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** Creates `dir` with `tools` linked from this machine's PATH and `standIns` as bash scripts. */
export function toolPath(
  dir: string,
  tools: readonly string[],
  standIns: Readonly<Record<string, string>> = {},
): string {
  mkdirSync(dir, { recursive: true });
  for (const tool of tools) {
    const found = spawnSync('bash', ['-c', `command -v ${tool}`], { encoding: 'utf8' });
    if (found.status === 0) symlinkSync(found.stdout.trim(), path.join(dir, tool));
  }
  for (const [name, body] of Object.entries(standIns)) {
    writeFileSync(path.join(dir, name), `#!/bin/bash\n${body}\n`);
    chmodSync(path.join(dir, name), 0o755);
  }
  return dir;
}
