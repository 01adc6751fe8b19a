// .ci/run on a fresh Debian or Ubuntu machine: it installs the distribution's packages (never a
// hard-coded PostgreSQL major: postgresql-15 is not packaged on current Ubuntu or Debian 13), its
// list agrees with .ci/README.md, and `--check` names what it expects but does not install.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { toolPath } from './tool-path';

const repoRoot = path.resolve(__dirname, '..', '..');
const script = path.join(repoRoot, '.ci', 'run');
const scriptText = readFileSync(script, 'utf8');
const readmeText = readFileSync(path.join(repoRoot, '.ci', 'README.md'), 'utf8');

/** command → package pairs of the script's `installs=( … )` list. */
export function scriptInstalls(text: string): Map<string, string> {
  const block = /^installs=\(\n([\s\S]*?)^\)/m.exec(text)?.[1] ?? '';
  return new Map(
    [...block.matchAll(/^\s+([\w.-]+):([\w.+-]+)/gm)].map((m) => [m[1] ?? '', m[2] ?? '']),
  );
}

/** command → package rows of the README's "What it installs" table. */
export function readmeInstalls(text: string): Map<string, string> {
  const section = /## What it installs[\s\S]*?(?=\n## )/.exec(text)?.[0] ?? '';
  return new Map(
    [...section.matchAll(/^\| `([\w.-]+)`\s+\| `([\w.+-]+)`/gm)].map((m) => [
      m[1] ?? '',
      m[2] ?? '',
    ]),
  );
}

export function disagreements(script: Map<string, string>, readme: Map<string, string>): string[] {
  const names = new Set([...script.keys(), ...readme.keys()]);
  return [...names]
    .filter((name) => script.get(name) !== readme.get(name))
    .map((name) => `${name}: script ${script.get(name) ?? '-'}, README ${readme.get(name) ?? '-'}`)
    .sort();
}

/** Versioned PostgreSQL packages (postgresql-15…): the distribution's `postgresql` is meant. */
export function versionedPostgresPackages(text: string): string[] {
  return [...text.matchAll(/\bpostgresql-\d+\b/g)].map((m) => m[0]);
}

const basics = ['bash', 'dirname', 'find', 'sort', 'tail', 'tr', 'head', 'id'];

describe('.ci/run on a fresh Debian or Ubuntu machine', function () {
  describe('rules', function () {
    it('installs the same command:package pairs as .ci/README.md lists', function () {
      expect(scriptInstalls(scriptText).size).to.be.above(0);
      expect(disagreements(scriptInstalls(scriptText), readmeInstalls(readmeText))).to.deep.equal(
        [],
      );
      const dropped = scriptText.replace(/^\s+buildah:buildah\n/m, '');
      expect(disagreements(scriptInstalls(dropped), readmeInstalls(readmeText))).to.deep.equal([
        'buildah: script -, README buildah',
      ]);
    });

    it("installs the distribution's postgresql, never a versioned package", function () {
      expect(scriptInstalls(scriptText).get('initdb')).to.equal('postgresql');
      expect(versionedPostgresPackages(scriptText)).to.deep.equal([]);
      expect(versionedPostgresPackages('packages+=(postgresql-15)')).to.deep.equal([
        'postgresql-15',
      ]);
    });
  });

  describe('bash .ci/run --check', function () {
    let bin: string;
    let calls: string;
    const scratch = mkdtempSync(path.join(tmpdir(), 'payflow-ci-run-'));

    before(function () {
      calls = path.join(scratch, 'calls');
      writeFileSync(calls, '');
      // A fresh machine's basics; no redis-server, buildah, terraform…
      bin = toolPath(path.join(scratch, 'bin'), [...basics, 'node', 'npm'], {
        'apt-get': `echo "apt-get $*" >> ${calls}`,
        make: `echo "make $*" >> ${calls}`,
      });
    });
    after(function () {
      rmSync(scratch, { recursive: true, force: true });
    });

    const check = (env: NodeJS.ProcessEnv) => {
      const result = spawnSync(path.join(bin, 'bash'), [script, '--check'], {
        env: { HOME: scratch, ...env },
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
        timeout: 60_000,
      });
      return { ...result, calls: readFileSync(calls, 'utf8') };
    };

    it('names the packages it would install, reports a missing terraform, installs nothing', function () {
      const result = check({ PATH: bin });
      expect(result.status, result.stderr).to.equal(0);
      expect(result.stdout).to.match(/would install: redis-server buildah prometheus /);
      expect(result.stderr).to.include('!!! terraform: not found.');
      expect(result.stderr).to.include('FAIL under CI=true');
      expect(result.calls).to.equal('');
    });

    it('reports a provider mirror without the AWS provider', function () {
      const terraform = path.join(bin, 'terraform');
      writeFileSync(terraform, '#!/bin/bash\necho "Terraform v1.11.4"\n');
      chmodSync(terraform, 0o755);
      const emptyMirror = path.join(scratch, 'mirror');
      mkdirSync(emptyMirror);
      const result = check({ PATH: bin, TF_PLUGIN_MIRROR: emptyMirror });
      rmSync(terraform);
      expect(result.status).to.equal(0);
      expect(result.stderr).to.include(
        `!!! TF_PLUGIN_MIRROR=${emptyMirror} holds no registry.terraform.io/hashicorp/aws provider`,
      );
    });

    it('with another Node.js major, says it fetches the image’s release, and fetches nothing', function () {
      const release = /^node_release=(\S+)$/m.exec(scriptText)?.[1];
      const otherNode = toolPath(path.join(scratch, 'bin-node-20'), basics, {
        node: '[ "$1" = --version ] && echo v20.20.2; [ "$1" = -p ] && echo 20; exit 0',
        npm: `echo "npm $*" >> ${calls}`,
      });
      const result = check({ PATH: otherNode });
      expect(result.status, result.stderr).to.equal(0);
      expect(result.stdout).to.include(
        `Node.js v20.20.2 is not the image's release line (24.22): .ci/run uses Node.js ${release}`,
      );
      expect(result.calls).to.equal('');
    });

    it('stops with exit 2 when Node.js is missing', function () {
      const withoutNode = toolPath(path.join(scratch, 'bin-without-node'), basics);
      const result = check({ PATH: withoutNode });
      expect(result.status).to.equal(2);
      expect(result.stderr).to.include('!!! node: Node.js with npm is required');
    });
  });
});
