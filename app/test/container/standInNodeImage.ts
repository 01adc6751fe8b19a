// No image can be pulled on the machines that run this suite, so the Dockerfile's base image
// (node:<version>-alpine) is replaced by a stand-in assembled from the Node.js that runs the
// tests: the same layout as the official image (node and npm under /usr/local, a POSIX shell,
// `env` for npm scripts' shebangs, CA certificates, root and nobody users, a sticky /tmp).
// It goes through the Dockerfile's NODE_IMAGE build argument, exactly as a mirror would.
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { buildah, imageExists } from './buildah';

// Bump when the recipe below changes: the image is cached under a tag keyed by this and by
// the Node.js version, so later runs reuse it.
const RECIPE_REVISION = 1;

export const standInNodeImageName = `localhost/payflow-test/node-standin:${process.versions.node}-r${RECIPE_REVISION}`;

/** Returns the stand-in image's name, creating the image when this machine has none yet. */
export async function ensureStandInNodeImage(): Promise<string> {
  if (await imageExists(standInNodeImageName)) return standInNodeImageName;

  const rootfs = mkdtempSync(join(tmpdir(), 'payflow-node-standin-'));
  try {
    const env = assembleRootfs(rootfs);
    const container = (await buildah(['from', 'scratch'])).stdout.trim();
    try {
      await buildah(['copy', container, `${rootfs}/`, '/']);
      await buildah([
        'config',
        ...Object.entries(env).flatMap(([key, value]) => ['--env', `${key}=${value}`]),
        '--cmd',
        'node',
        '--label',
        'org.opencontainers.image.description=Test stand-in for node:20-alpine, built from the host Node.js',
        container,
      ]);
      await buildah(['commit', '--rm', '--quiet', container, standInNodeImageName]);
    } catch (error) {
      await buildah(['rm', container]).catch(() => undefined);
      throw error;
    }
  } finally {
    rmSync(rootfs, { recursive: true, force: true });
  }
  return standInNodeImageName;
}

function assembleRootfs(rootfs: string): Record<string, string> {
  const put = (path: string) => {
    mkdirSync(join(rootfs, dirname(path)), { recursive: true });
    return join(rootfs, path);
  };

  copyFileSync(process.execPath, put('/usr/local/bin/node'));
  chmodSync(join(rootfs, '/usr/local/bin/node'), 0o755);

  const npmRoot = join(
    execFileSync('npm', ['root', '--global'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim(),
    'npm',
  );
  cpSync(npmRoot, put('/usr/local/lib/node_modules/npm'), {
    recursive: true,
    verbatimSymlinks: true,
  });
  symlinkSync('../lib/node_modules/npm/bin/npm-cli.js', put('/usr/local/bin/npm'));
  symlinkSync('../lib/node_modules/npm/bin/npx-cli.js', put('/usr/local/bin/npx'));

  // npm runs scripts through /bin/sh, and package binaries start with `#!/usr/bin/env node`.
  const shell = realpathSync('/bin/sh');
  const envBinary = ['/usr/bin/env', '/bin/env'].find((path) => existsSync(path));
  if (!envBinary) throw new Error('no env binary on this machine');
  copyFileSync(shell, put('/bin/sh'));
  copyFileSync(envBinary, put('/usr/bin/env'));
  for (const library of sharedLibraries([process.execPath, shell, envBinary])) {
    copyFileSync(library, put(library)); // copyFileSync follows symlinks: the real file lands
  }

  writeFileSync(
    put('/etc/passwd'),
    'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n',
  );
  writeFileSync(put('/etc/group'), 'root:x:0:\nnogroup:x:65534:\n');
  mkdirSync(join(rootfs, 'root'), { mode: 0o700 });
  mkdirSync(join(rootfs, 'tmp'));
  chmodSync(join(rootfs, 'tmp'), 0o1777);

  const env: Record<string, string> = {
    PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    NODE_VERSION: process.versions.node,
  };
  // The machine's trust store, which may hold a proxy's CA: `npm ci` inside the build reaches
  // the registry the same way the host's npm does.
  const caBundle = [
    process.env.NODE_EXTRA_CA_CERTS,
    process.env.SSL_CERT_FILE,
    '/etc/ssl/certs/ca-certificates.crt',
  ].find((path): path is string => path !== undefined && path !== '' && existsSync(path));
  if (caBundle) {
    copyFileSync(caBundle, put('/etc/ssl/certs/ca-certificates.crt'));
    env.NODE_EXTRA_CA_CERTS = '/etc/ssl/certs/ca-certificates.crt';
  }
  const registry = execFileSync('npm', ['config', 'get', 'registry'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  }).trim();
  if (registry !== '' && registry !== 'https://registry.npmjs.org/')
    env.NPM_CONFIG_REGISTRY = registry;
  return env;
}

/** Shared libraries and the dynamic loader that `ldd` lists for the given executables. */
function sharedLibraries(executables: string[]): string[] {
  const libraries = new Set<string>();
  for (const executable of executables) {
    let listing: string;
    try {
      listing = execFileSync('ldd', [executable], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      });
    } catch {
      continue; // statically linked: nothing to copy
    }
    for (const match of listing.matchAll(/(\/\S+\.so[^\s]*)/g)) {
      if (match[1]) libraries.add(match[1]);
    }
  }
  return [...libraries];
}
