// The binaries the monitoring tests drive (promtool, prometheus, amtool, redis-server). A required
// tool that is missing fails the suite in CI and skips it locally with a loud message, so a
// laptop without Debian's prometheus package can still run the rest.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Absolute path of an executable found on PATH, or undefined. */
export function findExecutable(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

/**
 * Path of a tool the test cannot do without. Missing: throws in CI (process.env.CI), skips the
 * test locally after printing why.
 */
export function requireTool(context: Mocha.Context, name: string, installHint: string): string {
  const path = findExecutable(name);
  if (path) return path;
  const message = `${name} not found on PATH (${installHint})`;
  if (process.env.CI) throw new Error(`${message}: CI must provide it`);
  console.warn(`\n    !!! SKIPPED: ${message}\n`);
  context.skip();
}

export interface ToolResult {
  status: number | null;
  output: string;
}

/** Runs a tool to completion; output is stdout and stderr together, for assertion messages. */
export function runTool(path: string, args: readonly string[], cwd?: string): ToolResult {
  const result: SpawnSyncReturns<string> = spawnSync(path, args, {
    cwd,
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (result.error) throw result.error;
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}
