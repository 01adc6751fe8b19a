// The container image, for real: app/Dockerfile is built with buildah (no Docker daemon), then
// the built image runs the migrations and the API against the test PostgreSQL and Redis.
// Images cannot be pulled here, so both base images (NODE_IMAGE, which builds the code and
// provides node, and RUNTIME_BASE_IMAGE, which the image ships on) are stand-ins assembled from
// this machine's Node.js and C library (see container/standInImages.ts).
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import {
  createReadStream,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
} from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGunzip } from 'node:zlib';
import { Client } from 'pg';
import {
  buildah,
  buildahVersion,
  inspectImageConfig,
  processUid,
  WorkingContainer,
  type ContainerProcess,
  type ImageConfig,
} from './container/buildah';
import { ensureStandInNodeImage, ensureStandInRuntimeBaseImage } from './container/standInImages';
import { testKeyPrefix } from './support/servers';

const appDir = join(__dirname, '..');
const imageName = 'localhost/payflow-api:image-test';
const buildArgs = {
  APP_VERSION: '9.9.9-image-test',
  VCS_REF: '0123456789abcdef0123456789abcdef01234567',
  BUILD_DATE: '2026-01-01T00:00:00Z',
  SOURCE_URL: 'https://example.com/payflow/payflow-platform',
  MAINTAINER: 'Platform team <platform@example.com>',
};
const MiB = 1024 * 1024;
const MB = 1000 * 1000;
// Budget for the application layers (compiled code, migrations, production node_modules).
// Dev dependencies (typescript, mocha…) would blow it.
const appLayersBudgetBytes = 40 * MiB;
// Budget for what the node layer holds besides the node binary: its C++ runtime libraries
// (libstdc++ ≈ 2.5 MB, libgcc_s ≈ 0.2 MB). npm alone would blow it.
const nodeLibrariesBudgetBytes = 5 * MiB;
// The real runtime base, alpine:3.23 on linux/amd64, cannot be pulled here: published figures.
// Unpacked as `docker images` shows it, 8.3 MB for 3.22 (docker-library/repo-info), plus 3.23's
// 1.5 % larger compressed layer (3.67 MB against 3.62), rounded up; compressed, between 3.6 and
// 3.8 MB depending on the patch release, rounded up.
const alpineUnpackedBytes = 8.5 * MB;
const alpineCompressedBytes = 3.8 * MB;
// The brief's ceiling for a Node.js image (the 100 MB target is out of reach: the node
// binary of Node.js 24 alone weighs about 109 MB once stripped, 127 MB as released).
const imageCeilingBytes = 150 * MB;
// Package managers: the node image carries npm, npx, Yarn and corepack (which installs pnpm);
// the runtime image must carry none.
const packageManagers = ['npm', 'npx', 'yarn', 'yarnpkg', 'corepack', 'pnpm'];

const runId = randomBytes(4).toString('hex');

function requiredEnv(name: 'DATABASE_URL' | 'REDIS_URL'): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} must point at the test server (see the repository README)`);
  return value;
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

async function freeLoopbackPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function envValue(config: ImageConfig, name: string): string | undefined {
  return config.Env?.find((entry) => entry.startsWith(`${name}=`))?.slice(name.length + 1);
}

async function gunzippedSize(file: string): Promise<number> {
  let size = 0;
  const stream = createReadStream(file).pipe(createGunzip());
  for await (const chunk of stream) size += (chunk as Buffer).length;
  return size;
}

interface Layer {
  digest: string;
  compressed: number;
  uncompressed: number;
  /** Everything but directories, as `tar` lists them (no leading slash). */
  files: string[];
}

function filesInLayer(blob: string, gzipped: boolean): string[] {
  const listing = execFileSync('tar', [gzipped ? '-tzf' : '-tf', blob], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  return listing
    .split('\n')
    .filter((entry) => entry !== '' && !entry.endsWith('/')) // directories end with a slash
    .map((entry) => entry.replace(/^\.?\//, ''));
}

/**
 * Layers as a registry would store them (`buildah push` to an OCI layout gzips each layer),
 * with their sizes and the files they hold.
 */
async function pushedLayers(image: string): Promise<Layer[]> {
  const layout = mkdtempSync(join(tmpdir(), 'payflow-image-size-'));
  try {
    await buildah(['push', '--quiet', image, `oci:${layout}:measured`]);
    const blob = (digest: string) => join(layout, 'blobs', ...digest.split(':'));
    const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8')) as {
      manifests: { digest: string }[];
    };
    const manifestDigest = index.manifests[0]?.digest;
    if (!manifestDigest) throw new Error('empty OCI index');
    const manifest = JSON.parse(readFileSync(blob(manifestDigest), 'utf8')) as {
      layers: { digest: string; size: number; mediaType: string }[];
    };
    const layers: Layer[] = [];
    for (const layer of manifest.layers) {
      const gzipped = layer.mediaType.endsWith('gzip');
      const uncompressed = gzipped ? await gunzippedSize(blob(layer.digest)) : layer.size;
      const files = filesInLayer(blob(layer.digest), gzipped);
      layers.push({ digest: layer.digest, compressed: layer.size, uncompressed, files });
    }
    return layers;
  } finally {
    rmSync(layout, { recursive: true, force: true });
  }
}

const sum = (layers: Layer[], key: 'compressed' | 'uncompressed') =>
  layers.reduce((total, layer) => total + layer[key], 0);
const inMiB = (bytes: number) => `${(bytes / MiB).toFixed(1)} MiB`;

describe('container image (app/Dockerfile, built and run with buildah)', function () {
  this.timeout(900_000);

  let nodeImage: string;
  let runtimeBaseImage: string;
  let config: ImageConfig;
  let container: WorkingContainer | undefined;
  let admin: Client | undefined;
  const database = `payflow_image_${runId}`;
  let databaseUrl: string;
  let redisUrl: string;

  before(async function () {
    const version = buildahVersion();
    if (!version) {
      if (process.env.CI) throw new Error('buildah is required in CI: apt-get install buildah');
      console.warn(
        [
          '',
          '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!',
          '!!! SKIPPED: the container image test needs buildah (apt-get install buildah).        !!!',
          '!!! app/Dockerfile was NOT built or run. CI (CI=true) fails instead of skipping.      !!!',
          '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!',
          '',
        ].join('\n'),
      );
      this.skip();
    }

    admin = new Client({ connectionString: requiredEnv('DATABASE_URL') });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${database}`);
    databaseUrl = withDatabase(requiredEnv('DATABASE_URL'), database);
    redisUrl = requiredEnv('REDIS_URL');

    nodeImage = await ensureStandInNodeImage();
    runtimeBaseImage = await ensureStandInRuntimeBaseImage();
    const started = Date.now();
    await buildah([
      'bud',
      '--isolation',
      'chroot',
      '--pull=never',
      '--layers', // reuse unchanged steps (npm ci) between runs
      '--force-rm', // a failed step must not leave its working container behind
      '--format',
      'docker', // the OCI format has no HEALTHCHECK field
      '--build-arg',
      `NODE_IMAGE=${nodeImage}`,
      '--build-arg',
      `RUNTIME_BASE_IMAGE=${runtimeBaseImage}`,
      ...Object.entries(buildArgs).flatMap(([key, value]) => ['--build-arg', `${key}=${value}`]),
      '--tag',
      imageName,
      '--file',
      join(appDir, 'Dockerfile'),
      appDir,
    ]);
    console.log(
      `      built ${imageName} from ${nodeImage} on ${runtimeBaseImage} in ${((Date.now() - started) / 1000).toFixed(0)} s`,
    );
    config = await inspectImageConfig(imageName);
    container = await WorkingContainer.create(imageName, `payflow-image-test-${runId}`);
  });

  const inContainer = (): WorkingContainer => {
    if (!container) throw new Error('the working container was not created (see the before hook)');
    return container;
  };

  after(async function () {
    await container?.remove().catch(() => undefined);
    if (admin) {
      await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch(() => undefined);
      await admin.end();
    }
  });

  it('runs as the non-root numeric user 10001', function () {
    expect(config.User).to.equal('10001:10001');
  });

  it('carries the OCI labels, filled from the build arguments', function () {
    const labels = config.Labels ?? {};
    expect(labels).to.include({
      'org.opencontainers.image.version': buildArgs.APP_VERSION,
      'org.opencontainers.image.revision': buildArgs.VCS_REF,
      'org.opencontainers.image.created': buildArgs.BUILD_DATE,
      'org.opencontainers.image.source': buildArgs.SOURCE_URL,
      'org.opencontainers.image.title': 'payflow-api',
      'org.opencontainers.image.licenses': 'MIT',
      'org.opencontainers.image.base.name': runtimeBaseImage,
    });
    expect(labels['org.opencontainers.image.description']).to.match(/payments API/);
    expect(labels['org.opencontainers.image.authors']).to.equal(buildArgs.MAINTAINER);
    expect(labels.maintainer).to.equal(buildArgs.MAINTAINER);
  });

  it('starts node in exec form with NODE_ENV=production and exposes port 8080', function () {
    expect(config.Entrypoint).to.deep.equal(['node']);
    expect(config.Cmd).to.deep.equal(['dist/server.js']);
    expect(config.WorkingDir).to.equal('/app');
    expect(config.ExposedPorts).to.have.all.keys('8080/tcp');
    expect(config.StopSignal).to.equal('SIGTERM');
    expect(envValue(config, 'NODE_ENV')).to.equal('production');
    expect(envValue(config, 'PORT')).to.equal('8080');
    expect(envValue(config, 'APP_VERSION')).to.equal(buildArgs.APP_VERSION);
  });

  it('declares a HEALTHCHECK on /health that needs nothing but node', function () {
    const test = config.Healthcheck?.Test ?? [];
    expect(test.slice(0, 2)).to.deep.equal(['CMD', 'node']);
    expect(test.join(' '))
      .to.include('/health')
      .and.not.match(/curl|wget/);
    expect(config.Healthcheck?.Interval).to.be.greaterThan(0);
    expect(config.Healthcheck?.Timeout).to.be.greaterThan(0);
  });

  it('contains only the compiled code, the migrations and production dependencies', async function () {
    const listing = await inContainer().run([
      'node',
      '-e',
      `const fs = require('node:fs');
       console.log(JSON.stringify({
         app: fs.readdirSync('/app').sort(),
         dist: fs.readdirSync('/app/dist'),
         migrations: fs.readdirSync('/app/migrations'),
         modules: fs.readdirSync('/app/node_modules'),
       }));`,
    ]);
    expect(listing.code, listing.stderr).to.equal(0);
    const contents = JSON.parse(listing.stdout) as Record<
      'app' | 'dist' | 'migrations' | 'modules',
      string[]
    >;
    expect(contents.app).to.deep.equal(['dist', 'migrations', 'node_modules', 'package.json']);
    expect(contents.dist).to.include.members(['server.js', 'migrate.js']);
    expect(contents.migrations.sort()).to.deep.equal(
      readdirSync(join(appDir, 'migrations'))
        .filter((file) => file.endsWith('.sql'))
        .sort(),
    );
    expect(contents.modules).to.include.members(['express', 'pg']);
    for (const devOnly of ['typescript', 'mocha', 'chai', 'tsx', 'c8', 'supertest', 'nock']) {
      expect(contents.modules, `${devOnly} is a dev dependency`).to.not.include(devOnly);
    }
  });

  it('carries node without npm, npx, Yarn or corepack', async function () {
    // Looks where the node image keeps them: every PATH directory, the global node_modules,
    // Yarn's /opt folder; and the Node.js headers, only useful to compile native addons.
    const search = await inContainer().run([
      'node',
      '-e',
      `const fs = require('node:fs'); const path = require('node:path');
       const names = new Set(${JSON.stringify(packageManagers)});
       const found = [];
       for (const dir of process.env.PATH.split(':')) {
         let entries = [];
         try { entries = fs.readdirSync(dir); } catch {}
         for (const entry of entries) if (names.has(entry)) found.push(path.join(dir, entry));
       }
       for (const dir of ['/usr/local/lib/node_modules', '/usr/local/include/node'])
         if (fs.existsSync(dir)) found.push(dir);
       let opt = [];
       try { opt = fs.readdirSync('/opt'); } catch {}
       for (const entry of opt) if (/^yarn/.test(entry)) found.push(path.join('/opt', entry));
       console.log(JSON.stringify({ node: process.execPath, version: process.version, found }));`,
    ]);
    expect(search.code, search.stderr).to.equal(0);
    const result = JSON.parse(search.stdout) as { node: string; version: string; found: string[] };
    expect(result.node).to.equal('/usr/local/bin/node');
    expect(result.version).to.equal(process.version);
    expect(result.found).to.deep.equal([]);
  });

  it('leaves nothing writable by the runtime user outside /tmp (read-only root friendly)', async function () {
    // Walks the image's own files as uid 10001. Paths that the container runtime provides
    // (/proc, /sys, /dev, /run, the DNS and hosts files) are not part of the image.
    const walk = await inContainer().run([
      'node',
      '-e',
      `const fs = require('node:fs'); const path = require('node:path');
       const skip = new Set(['/proc', '/sys', '/dev', '/run', '/tmp', '/etc/hosts', '/etc/hostname', '/etc/resolv.conf']);
       const writable = []; let checked = 0;
       const visit = (p) => {
         if (skip.has(p)) return;
         checked++;
         try { fs.accessSync(p, fs.constants.W_OK); writable.push(p); } catch {}
         const stat = fs.lstatSync(p);
         let entries = [];
         try { entries = stat.isDirectory() ? fs.readdirSync(p) : []; } catch {} // unreadable: not writable either
         for (const e of entries) visit(path.join(p, e));
       };
       visit('/');
       const tmp = fs.statSync('/tmp');
       console.log(JSON.stringify({ uid: process.getuid(), checked, writable, tmpMode: (tmp.mode & 0o7777).toString(8) }));`,
    ]);
    expect(walk.code, walk.stderr).to.equal(0);
    const result = JSON.parse(walk.stdout) as {
      uid: number;
      checked: number;
      writable: string[];
      tmpMode: string;
    };
    expect(result.uid).to.equal(10001);
    expect(result.checked).to.be.greaterThan(1000);
    expect(result.writable).to.deep.equal([]);
    expect(result.tmpMode).to.equal('1777');
  });

  it('applies the migrations with `node dist/migrate.js` from the same image', async function () {
    const command = [...(config.Entrypoint ?? []), 'dist/migrate.js'];
    const first = await inContainer().run(command, {
      DATABASE_URL: databaseUrl,
      LOG_LEVEL: 'info',
    });
    expect(first.code, `${first.stdout}\n${first.stderr}`).to.equal(0);

    const check = new Client({ connectionString: databaseUrl });
    await check.connect();
    try {
      const applied = await check.query<{ name: string }>(
        'SELECT name FROM pgmigrations ORDER BY name',
      );
      const onDisk = readdirSync(join(appDir, 'migrations'))
        .filter((file) => file.endsWith('.sql'))
        .map((file) => file.replace(/\.sql$/, ''))
        .sort();
      expect(applied.rows.map((row) => row.name)).to.deep.equal(onDisk);
    } finally {
      await check.end();
    }

    // A second run (a retried Job, the next deploy) finds nothing to do and still succeeds.
    const second = await inContainer().run(command, {
      DATABASE_URL: databaseUrl,
      LOG_LEVEL: 'info',
    });
    expect(second.code, `${second.stdout}\n${second.stderr}`).to.equal(0);
  });

  describe('the API started from the image', function () {
    let api: ContainerProcess | undefined;
    let port: number;
    const url = (path: string) => `http://127.0.0.1:${port}${path}`;
    const started = (): ContainerProcess => {
      if (!api) throw new Error('the API was not started (see the before hook)');
      return api;
    };
    const nodePid = (): number => {
      const pid = started().findProcess('node');
      if (pid === undefined)
        throw new Error(`no node process under buildah run:\n${started().logs}`);
      return pid;
    };

    before(async function () {
      port = await freeLoopbackPort();
      // The image's own ENTRYPOINT + CMD, as docker run would start it.
      api = inContainer().start([...(config.Entrypoint ?? []), ...(config.Cmd ?? [])], {
        PORT: String(port),
        DATABASE_URL: databaseUrl,
        REDIS_URL: redisUrl,
        REDIS_KEY_PREFIX: testKeyPrefix('image'),
        APP_ENV: 'test',
        LOG_LEVEL: 'info',
      });
      const deadline = Date.now() + 60_000;
      for (;;) {
        if (!api.running) throw new Error(`the API exited before answering:\n${api.logs}`);
        try {
          const response = await fetch(url('/health'), { signal: AbortSignal.timeout(1000) });
          if (response.status === 200) break;
        } catch {
          // not listening yet
        }
        if (Date.now() > deadline)
          throw new Error(`no answer on /health within 60 s:\n${api.logs}`);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    });

    after(function () {
      api?.kill();
    });

    it('answers /health and /ready (PostgreSQL and Redis reachable)', async function () {
      const health = await fetch(url('/health'));
      expect(health.status).to.equal(200);
      const ready = await fetch(url('/ready'));
      expect(ready.status, await ready.clone().text()).to.equal(200);
    });

    it('reads the schema that the migrations created (/users)', async function () {
      const users = await fetch(url('/users'));
      expect(users.status, await users.clone().text()).to.equal(200);
    });

    it('runs as uid 10001 inside the container', function () {
      expect(processUid(nodePid())).to.equal(10001);
    });

    it("passes the image's HEALTHCHECK command, which fails when nothing listens", async function () {
      const probe = (config.Healthcheck?.Test ?? []).slice(1); // drop "CMD"
      const healthy = await inContainer().run(probe, { PORT: String(port) });
      expect(healthy.code, healthy.stderr).to.equal(0);
      const unhealthy = await inContainer().run(probe, { PORT: String(await freeLoopbackPort()) });
      expect(unhealthy.code).to.equal(1);
    });

    it('drains and exits 0 on SIGTERM delivered to node (PID 1 in a real container)', async function () {
      process.kill(nodePid(), 'SIGTERM');
      const exit = await Promise.race([
        started().exited,
        new Promise<never>((_, reject) =>
          setTimeout(
            () => reject(new Error(`still running 30 s after SIGTERM:\n${started().logs}`)),
            30_000,
          ),
        ),
      ]);
      expect(exit, started().logs).to.deep.equal({ code: 0, signal: null });
      expect(started().logs).to.match(/"msg":"request completed"/);
    });
  });

  it('adds node, its libraries and the application, nothing else, to the runtime base', async function () {
    const base = await pushedLayers(runtimeBaseImage);
    const image = await pushedLayers(imageName);
    expect(image.slice(0, base.length).map((layer) => layer.digest)).to.deep.equal(
      base.map((layer) => layer.digest),
    );
    const [nodeLayer, ...appLayers] = image.slice(base.length);
    if (!nodeLayer) throw new Error(`${imageName} adds no layer to ${runtimeBaseImage}`);

    // The node layer: the binary, and shared libraries under their sonames (real files: a
    // dangling symlink would only fail when node starts). The C library stays the base's.
    const [binaries, libraries] = [
      nodeLayer.files.filter((file) => !/\.so(\.\d+)*$/.test(file)),
      nodeLayer.files.filter((file) => /\.so(\.\d+)*$/.test(file)),
    ];
    expect(binaries).to.deep.equal(['usr/local/bin/node']);
    const sonames = libraries.map((file) => file.slice(file.lastIndexOf('/') + 1));
    expect(sonames).to.include.members(['libstdc++.so.6', 'libgcc_s.so.1']);
    for (const soname of sonames) expect(soname).to.not.match(/^(ld-|libc\.)/);

    // The node the stand-in carries, stripped as the Dockerfile does: a node layer that holds the
    // binary with its symbol tables (18 MB for Node.js 24) exceeds the libraries' budget.
    const scratch = mkdtempSync(join(tmpdir(), 'payflow-node-stripped-'));
    const strippedNode = join(scratch, 'node');
    execFileSync('strip', ['-o', strippedNode, process.execPath]);
    const nodeBinaryBytes = statSync(strippedNode).size;
    rmSync(scratch, { recursive: true, force: true });
    const added = image.slice(base.length);
    const estimate = {
      uncompressed: alpineUnpackedBytes + sum(added, 'uncompressed'),
      compressed: alpineCompressedBytes + sum(added, 'compressed'),
    };
    const figures = (layers: Layer[]) => ({
      uncompressed: inMiB(sum(layers, 'uncompressed')),
      compressed: inMiB(sum(layers, 'compressed')),
    });
    const report = {
      standInRuntimeBase: figures(base),
      nodeLayer: { ...figures([nodeLayer]), nodeBinary: inMiB(nodeBinaryBytes), sonames },
      appLayers: figures(appLayers),
      addedByDockerfile: figures(added),
      wholeStandInImage: figures(image),
      onAlpineEstimate: {
        uncompressed: `${inMiB(estimate.uncompressed)} (${(estimate.uncompressed / MB).toFixed(1)} MB)`,
        compressed: `${inMiB(estimate.compressed)} (${(estimate.compressed / MB).toFixed(1)} MB)`,
      },
    };
    console.log(
      `      image size (docs/local-stack.md explains the figures): ${JSON.stringify(report, null, 2)}`,
    );
    expect(nodeLayer.uncompressed - nodeBinaryBytes).to.be.lessThan(nodeLibrariesBudgetBytes);
    expect(sum(appLayers, 'uncompressed')).to.be.lessThan(appLayersBudgetBytes);
    expect(estimate.uncompressed).to.be.lessThan(imageCeilingBytes);
  });
});
