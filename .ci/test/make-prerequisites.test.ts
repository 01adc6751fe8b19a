// The Makefile checks what a target needs before any npm ci (`make test` once spent 2 min 16 s
// installing before saying that no database was running), and `make up` checks for a Docker
// engine and the Compose v2 plugin instead of failing with docker's `unknown flag: --detach`.
// Each case runs the real Makefile in a sandbox copy without node_modules, on a PATH of chosen
// tools where npm and docker are stand-ins that record their calls.
import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { toolPath } from './tool-path';

const repoRoot = path.resolve(__dirname, '..', '..');

/** Programs a fresh machine has, taken from this one; deploy tools and servers are left out. */
const systemTools = [
  'bash',
  'sh',
  'env',
  'make',
  'node',
  'cat',
  'sed',
  'grep',
  'sort',
  'head',
  'tail',
  'tr',
  'cut',
  'dirname',
  'basename',
  'mkdir',
  'rm',
  'printf',
  'id',
  'uname',
  'awk',
  'date',
  'mktemp',
  'ls',
  'cp',
  'mv',
  'chmod',
  'readlink',
  'realpath',
  'wc',
  'sleep',
  'find',
  'xargs',
];

type DockerKind = 'absent' | 'no-engine' | 'no-compose' | 'old-compose' | 'ok';

// Stand-ins. docker behaves like the CLI of the machine kind asked for: the 'no-compose' one
// answers `docker compose up --detach` exactly as a CLI without the plugin does.
const dockerScript: Record<Exclude<DockerKind, 'absent'>, string> = {
  'no-engine': `[ "$1" = info ] && { echo 'Cannot connect to the Docker daemon' >&2; exit 1; }
[ "$1" = compose ] && { echo 'unknown flag: --detach' >&2; exit 125; }
exit 0`,
  'no-compose': `[ "$1" = info ] && exit 0
[ "$1" = compose ] && { echo "docker: unknown command: docker compose" >&2; echo 'unknown flag: --detach' >&2; exit 125; }
exit 0`,
  'old-compose': `[ "$1" = info ] && exit 0
[ "$1 $2" = "compose version" ] && { echo 2.20.3; exit 0; }
exit 0`,
  ok: `[ "$1" = info ] && exit 0
[ "$1 $2" = "compose version" ] && { echo v2.29.1; exit 0; }
exit 0`,
};

interface Sandbox {
  root: string;
  calls: string;
  env: NodeJS.ProcessEnv;
}

function sandbox(docker: DockerKind): Sandbox {
  const root = mkdtempSync(path.join(tmpdir(), 'payflow-make-'));
  for (const file of [
    'Makefile',
    '.env.example',
    'package.json',
    'package-lock.json',
    'mise.toml',
    'root.hcl',
    'app/package.json',
    'app/package-lock.json',
    'live',
  ]) {
    cpSync(path.join(repoRoot, file), path.join(root, file), { recursive: true });
  }
  const calls = path.join(root, '.calls');
  writeFileSync(calls, '');
  const bin = toolPath(path.join(root, '.bin'), systemTools, {
    npm: `echo "npm $*" >> ${calls}; exit 0`,
    ...(docker === 'absent'
      ? {}
      : { docker: `echo "docker $*" >> ${calls}\n${dockerScript[docker]}` }),
  });
  return { root, calls, env: { PATH: bin, HOME: root } };
}

function make(box: Sandbox, ...args: string[]) {
  const result = spawnSync('make', ['--no-print-directory', ...args], {
    cwd: box.root,
    env: box.env,
    encoding: 'utf8',
    // stdin not a socket: bash would take itself for a remote shell and read /etc/bash.bashrc.
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 60_000,
  });
  const calls = readFileSync(box.calls, 'utf8').split('\n').filter(Boolean);
  return { status: result.status, stdout: result.stdout, stderr: result.stderr, calls };
}

describe('make: prerequisites before any npm ci', function () {
  const boxes: Sandbox[] = [];
  const box = (docker: DockerKind) => {
    const created = sandbox(docker);
    boxes.push(created);
    return created;
  };
  after(function () {
    for (const { root } of boxes) rmSync(root, { recursive: true, force: true });
  });

  for (const target of ['test', 'test-app', 'test-infra', 'bench']) {
    it(`make ${target} without servers nor Docker engine: exit 2, says what to do, no npm ci`, function () {
      const result = make(box('no-engine'), target);
      expect(result.calls.filter((call) => call.startsWith('npm'))).to.deep.equal([]);
      expect(result.status, result.stderr).to.equal(2);
      expect(result.stderr).to.include(`make ${target} needs PostgreSQL and Redis:`);
      expect(result.stderr).to.include("'make dev' needs none of them");
    });
  }

  for (const target of ['test', 'test-app', 'bench']) {
    it(`make ${target} without servers nor Docker engine, with redis-server: installs, then runs itself beside throw-away servers`, function () {
      const bare = box('no-engine');
      toolPath(path.join(bare.root, '.bin'), [], { 'redis-server': 'exit 0' });
      mkdirSync(path.join(bare.root, '.ci'));
      writeFileSync(
        path.join(bare.root, '.ci', 'with-test-servers'),
        `#!/bin/bash\necho ".ci/with-test-servers $*" >> ${bare.calls}\n`,
        { mode: 0o755 },
      );
      const result = make(bare, target);
      expect(result.status, result.stderr).to.equal(0);
      expect(result.calls).to.include('npm ci --no-audit --no-fund');
      expect(result.calls.at(-1)).to.equal(
        `.ci/with-test-servers make --no-print-directory ${target}`,
      );
    });
  }

  it('make test with DATABASE_URL and REDIS_URL set goes on to npm ci', function () {
    const servers = box('absent');
    servers.env.DATABASE_URL = 'postgres://postgres@127.0.0.1:1/postgres';
    servers.env.REDIS_URL = 'redis://127.0.0.1:1';
    const result = make(servers, 'test');
    expect(result.calls).to.include('npm ci --no-audit --no-fund');
  });

  for (const target of ['plan', 'deploy']) {
    it(`make ${target} ENV=development without the deploy tools: the preflight names them, no npm ci`, function () {
      const result = make(box('absent'), target, 'ENV=development');
      expect(result.status, result.stderr).to.equal(2);
      expect(result.stderr).to.include(`preflight for ${target} development found`);
      expect(result.stderr).to.include('terraform is not installed');
      expect(result.calls).to.deep.equal([]);
    });
  }

  it('without Node.js, npm ci is not attempted and the message says which version to install', function () {
    const bare = box('absent');
    rmSync(path.join(bare.root, '.bin', 'node'));
    const result = make(bare, 'install');
    expect(result.status).to.equal(2);
    expect(result.stderr).to.include(
      'make node_modules/.package-lock.json needs Node.js 24.11 or newer',
    );
    expect(result.calls).to.deep.equal([]);
  });
});

describe('make up: a Docker engine and the Compose v2 plugin, checked first', function () {
  const boxes: Sandbox[] = [];
  after(function () {
    for (const { root } of boxes) rmSync(root, { recursive: true, force: true });
  });
  const up = (docker: DockerKind) => {
    const created = sandbox(docker);
    boxes.push(created);
    return make(created, 'up');
  };
  const composeCalls = (calls: string[]) =>
    calls.filter((call) => call.startsWith('docker compose up'));

  const cases: Array<[DockerKind, string]> = [
    ['absent', 'make up needs Docker, which is not installed'],
    ['no-engine', 'make up: docker is installed but no Docker engine answers'],
    [
      'no-compose',
      "make up needs the Docker Compose v2 plugin ('docker compose'), which is missing",
    ],
    ['old-compose', 'make up needs Docker Compose 2.24 or newer; this machine has 2.20.3'],
  ];
  for (const [docker, message] of cases) {
    it(`${docker}: one message, exit 2, nothing started`, function () {
      const result = up(docker);
      expect(result.status).to.equal(2);
      // One line of ours; make adds its own "make: *** [Makefile:…: up] Error 2".
      const ours = result.stderr
        .split('\n')
        .filter((line) => line && !line.startsWith('make: ***'));
      expect(ours, result.stderr).to.have.lengthOf(1);
      expect(result.stderr).to.include(message);
      expect(result.stderr).to.not.include('unknown flag');
      expect(composeCalls(result.calls)).to.deep.equal([]);
    });
  }

  it('with Docker and Compose 2.29: starts the stack without a .env, and prints where to go', function () {
    const result = up('ok');
    expect(result.status, result.stderr).to.equal(0);
    expect(composeCalls(result.calls)).to.deep.equal(['docker compose up --detach --build --wait']);
    expect(result.stdout).to.include('API:     http://localhost/health');
    expect(result.stdout).to.include('(user admin, password local-only-grafana)');
    expect(existsSync(path.join(boxes.at(-1)?.root ?? '', '.env'))).to.equal(false);
  });
});
