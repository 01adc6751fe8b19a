// No image can be pulled on the machines that run this suite, so the Dockerfile's two base images
// are replaced by stand-ins assembled from the Node.js that runs the tests, and passed through the
// Dockerfile's build arguments exactly as a mirror would be:
// - NODE_IMAGE (node:<version>-alpine): node and npm under /usr/local, a POSIX shell, `env` for
//   npm scripts' shebangs, `ldd`, `mkdir`, `cp` and `strip` (which the real build adds with apk),
//   CA certificates, root and nobody users, a sticky /tmp;
// - RUNTIME_BASE_IMAGE (alpine): what Alpine gives node at run time, the C library (here glibc
//   instead of musl), the root and nobody users and a sticky /tmp. No shell: the Dockerfile runs
//   nothing in its runtime stage, and the test proves it by building on a base that has none.
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
import { basename, dirname, join } from 'node:path';
import { buildah, imageExists } from './buildah';

// Bump when a recipe below changes: the images are cached under tags keyed by this and by the
// Node.js version, so later runs reuse them.
const RECIPE_REVISION = 3;

export const standInNodeImageName = `localhost/payflow-test/node-standin:${process.versions.node}-r${RECIPE_REVISION}`;
export const standInRuntimeBaseImageName = `localhost/payflow-test/runtime-base-standin:${process.versions.node}-r${RECIPE_REVISION}`;

const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * The C library's own files, which the runtime base provides and the Dockerfile's node-runtime
 * stage leaves out (the same rule as its `case`): the dynamic loader, libc and the parts of glibc
 * that musl folds into libc.
 */
const cLibrary = /^(ld-|libc\.|libm\.so\.|libdl\.so\.|libpthread\.so\.|librt\.so\.)/;

/** Returns the stand-in for NODE_IMAGE, creating it when this machine has none yet. */
export async function ensureStandInNodeImage(): Promise<string> {
  return ensureImage(standInNodeImageName, assembleNodeImage, {
    cmd: 'node',
    description:
      'Test stand-in for node:<version>-alpine with binutils, built from the host Node.js',
  });
}

/** Returns the stand-in for RUNTIME_BASE_IMAGE, creating it when this machine has none yet. */
export async function ensureStandInRuntimeBaseImage(): Promise<string> {
  return ensureImage(standInRuntimeBaseImageName, assembleRuntimeBase, {
    description: "Test stand-in for alpine: the host's C library, users and /tmp",
  });
}

async function ensureImage(
  name: string,
  assemble: (rootfs: string) => Record<string, string>,
  config: { cmd?: string; description: string },
): Promise<string> {
  if (await imageExists(name)) return name;

  const rootfs = mkdtempSync(join(tmpdir(), 'payflow-standin-'));
  try {
    const env = assemble(rootfs);
    const container = (await buildah(['from', 'scratch'])).stdout.trim();
    try {
      await buildah(['copy', container, `${rootfs}/`, '/']);
      await buildah([
        'config',
        ...Object.entries(env).flatMap(([key, value]) => ['--env', `${key}=${value}`]),
        ...(config.cmd ? ['--cmd', config.cmd] : []),
        '--label',
        `org.opencontainers.image.description=${config.description}`,
        container,
      ]);
      await buildah(['commit', '--rm', '--quiet', container, name]);
    } catch (error) {
      await buildah(['rm', container]).catch(() => undefined);
      throw error;
    }
  } finally {
    rmSync(rootfs, { recursive: true, force: true });
  }
  return name;
}

function destination(rootfs: string, path: string): string {
  mkdirSync(join(rootfs, dirname(path)), { recursive: true });
  return join(rootfs, path);
}

/** Users and a sticky /tmp, as in Alpine. */
function addUsersAndTmp(rootfs: string): void {
  writeFileSync(
    destination(rootfs, '/etc/passwd'),
    'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n',
  );
  writeFileSync(destination(rootfs, '/etc/group'), 'root:x:0:\nnogroup:x:65534:\n');
  mkdirSync(join(rootfs, 'root'), { mode: 0o700 });
  mkdirSync(join(rootfs, 'tmp'));
  chmodSync(join(rootfs, 'tmp'), 0o1777);
}

function assembleRuntimeBase(rootfs: string): Record<string, string> {
  for (const library of sharedLibraries([process.execPath])) {
    if (cLibrary.test(basename(library.path))) {
      // copyFileSync follows symlinks: the real file lands under the name the loader looks for
      copyFileSync(library.path, destination(rootfs, library.path));
    }
  }
  addUsersAndTmp(rootfs);
  return { PATH };
}

function assembleNodeImage(rootfs: string): Record<string, string> {
  const put = (path: string) => destination(rootfs, path);

  copyFileSync(process.execPath, put('/usr/local/bin/node'));
  chmodSync(join(rootfs, '/usr/local/bin/node'), 0o755);

  // The npm on PATH, wherever it is installed: `npm root --global` would name the folder beside
  // this node, which holds no npm when node is another release than npm's (.ci/run fetches one).
  const npmCli = realpathSync(
    execFileSync('bash', ['-c', 'command -v npm'], { encoding: 'utf8' }).trim(),
  );
  const npmRoot = dirname(dirname(npmCli));
  cpSync(npmRoot, put('/usr/local/lib/node_modules/npm'), {
    recursive: true,
    verbatimSymlinks: true,
  });
  symlinkSync('../lib/node_modules/npm/bin/npm-cli.js', put('/usr/local/bin/npm'));
  symlinkSync('../lib/node_modules/npm/bin/npx-cli.js', put('/usr/local/bin/npx'));

  // npm runs scripts through /bin/sh, package binaries start with `#!/usr/bin/env node`, and the
  // Dockerfile's node-runtime stage uses mkdir and cp (busybox applets on Alpine), and strip,
  // which it installs with apk (binutils) where the image lacks it.
  const shell = realpathSync('/bin/sh');
  copyFileSync(shell, put('/bin/sh'));
  const tools = ['env', 'mkdir', 'cp', 'strip'].map((tool) => {
    const found = ['/usr/bin', '/bin']
      .map((dir) => join(dir, tool))
      .find((path) => existsSync(path));
    if (!found) throw new Error(`no ${tool} on this machine`);
    copyFileSync(found, put(`/usr/bin/${tool}`));
    chmodSync(join(rootfs, `/usr/bin/${tool}`), 0o755);
    return found;
  });
  const libraries = sharedLibraries([process.execPath, shell, ...tools]);
  for (const library of libraries) copyFileSync(library.path, put(library.path));

  // The Dockerfile gathers node's libraries with `ldd`. Alpine's ldd (musl-utils) is a one-line
  // script that asks the dynamic loader for the list; the same works with glibc's loader, and
  // needs no bash (which Debian's ldd script would).
  const loader = libraries.find((library) => library.isLoader);
  if (!loader) throw new Error(`ldd lists no dynamic loader for ${process.execPath}`);
  writeFileSync(put('/usr/bin/ldd'), `#!/bin/sh\nexec ${loader.path} --list "$@"\n`, {
    mode: 0o755,
  });

  addUsersAndTmp(rootfs);

  const env: Record<string, string> = { PATH, NODE_VERSION: process.versions.node };
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

interface SharedLibrary {
  path: string;
  /** The dynamic loader: the one line of `ldd` without `=>`. */
  isLoader: boolean;
}

/** Shared libraries and the dynamic loader that `ldd` lists for the given executables. */
function sharedLibraries(executables: string[]): SharedLibrary[] {
  const libraries = new Map<string, SharedLibrary>();
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
    for (const line of listing.split('\n')) {
      const resolved = /=>\s+(\/\S+)/.exec(line)?.[1];
      const loader = /^\s*(\/\S+)/.exec(line)?.[1];
      const path = resolved ?? loader;
      if (path) libraries.set(path, { path, isLoader: resolved === undefined });
    }
  }
  return [...libraries.values()];
}
