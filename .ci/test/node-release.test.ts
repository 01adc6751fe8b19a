// One Node.js release line from the tests to production: the image's (app/Dockerfile NODE_IMAGE)
// is the one .ci/run fetches for the tests (node_release) and the one the workflows set up
// (NODE_VERSION); the engines minimum is on that major, and the Makefile asks for that minimum.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { parse } from 'yaml';

const repoRoot = path.resolve(__dirname, '..', '..');
const read = (file: string) => readFileSync(path.join(repoRoot, file), 'utf8');

/** The files that name a Node.js version, by repository path. */
export type NodeReleaseFiles = Record<string, string>;

const workflows = ['.github/workflows/ci.yml', '.github/workflows/_deploy.yml'];
const packages = ['package.json', 'app/package.json'];
const fileNames = ['app/Dockerfile', '.ci/run', 'Makefile', ...workflows, ...packages];

export function repositoryFiles(): NodeReleaseFiles {
  return Object.fromEntries(fileNames.map((file) => [file, read(file)]));
}

/** What disagrees, one sentence per problem; empty when every file names the same line. */
export function nodeReleaseProblems(files: NodeReleaseFiles): string[] {
  const problems: string[] = [];
  const dockerfile = files['app/Dockerfile'] ?? '';
  const image = /^ARG NODE_IMAGE=node:(\d+)\.(\d+)-alpine(\d+\.\d+)(@sha256:[0-9a-f]{64})?$/m.exec(
    dockerfile,
  );
  const runtime = /^ARG RUNTIME_BASE_IMAGE=alpine:(\d+\.\d+)\.\d+(@sha256:[0-9a-f]{64})?$/m.exec(
    dockerfile,
  );
  if (!image) return ['app/Dockerfile: no ARG NODE_IMAGE=node:<major>.<minor>-alpine<release>'];
  const [, major, minor, alpine] = image;
  const line = `${major}.${minor}`;
  if (runtime?.[1] !== alpine)
    problems.push(
      `app/Dockerfile: RUNTIME_BASE_IMAGE is not on NODE_IMAGE's Alpine ${alpine} (node runs on its C library)`,
    );

  const pinned = /^node_release=(\d+\.\d+)\.\d+$/m.exec(files['.ci/run'] ?? '')?.[1];
  if (pinned !== line) problems.push(`.ci/run: node_release is ${pinned}, the image runs ${line}`);

  for (const workflow of workflows) {
    const env = (parse(files[workflow] ?? '') as { env?: Record<string, unknown> }).env ?? {};
    if (String(env.NODE_VERSION) !== line)
      problems.push(
        `${workflow}: NODE_VERSION is ${String(env.NODE_VERSION)}, the image runs ${line}`,
      );
  }

  const minimums = packages.map((file) => {
    const engines = (JSON.parse(files[file] ?? '{}') as { engines?: { node?: string } }).engines;
    const minimum = /^>=(\d+)\.(\d+)\.0$/.exec(engines?.node ?? '');
    if (!minimum || minimum[1] !== major || Number(minimum[2]) > Number(minor))
      problems.push(
        `${file}: engines.node is ${engines?.node}, not >=${major}.<minor ≤ ${minor}>.0`,
      );
    return minimum ? `${minimum[1]}.${minimum[2]}` : undefined;
  });
  if (minimums[0] !== minimums[1])
    problems.push(
      `package.json and app/package.json ask for different minimums: ${minimums.join(', ')}`,
    );

  const asked = [...(files.Makefile ?? '').matchAll(/needs Node\.js (\d+\.\d+) or newer/g)].map(
    (m) => m[1],
  );
  const checked = /process\.exit\(major > (\d+) \|\| \(major === \1 && minor >= (\d+)\)/.exec(
    files.Makefile ?? '',
  );
  if (asked.length === 0 || asked.some((version) => version !== minimums[0]))
    problems.push(
      `Makefile: its messages ask for Node.js ${asked.join(', ')}, engines for ${minimums[0]}`,
    );
  if (!checked || `${checked[1]}.${checked[2]}` !== minimums[0])
    problems.push(
      `Makefile: require_node checks ${checked?.slice(1).join('.')}, engines ask for ${minimums[0]}`,
    );
  return problems;
}

describe('one Node.js release line: image, .ci/run, workflows, engines, Makefile', function () {
  const files = repositoryFiles();
  const edited = (file: string, from: RegExp, to: string): NodeReleaseFiles => {
    const text = files[file] ?? '';
    expect(text, `${file} has ${String(from)}`).to.match(from);
    return { ...files, [file]: text.replace(from, to) };
  };

  it('every file names the image’s release line', function () {
    expect(nodeReleaseProblems(files)).to.deep.equal([]);
  });

  it('fails when the tests would run another release than the image', function () {
    const problems = nodeReleaseProblems(
      edited('.ci/run', /^node_release=.*$/m, 'node_release=22.20.0'),
    );
    expect(problems.join('\n')).to.include('.ci/run: node_release is 22.20, the image runs 24.22');
  });

  it('accepts the digest pins the Dockerfile recommends', function () {
    const digest = `@sha256:${'0'.repeat(64)}`;
    const pinned = edited('app/Dockerfile', /^(ARG NODE_IMAGE=.*)$/m, `$1${digest}`);
    const both = {
      ...pinned,
      'app/Dockerfile': (pinned['app/Dockerfile'] ?? '').replace(
        /^(ARG RUNTIME_BASE_IMAGE=.*)$/m,
        `$1${digest}`,
      ),
    };
    expect(nodeReleaseProblems(both)).to.deep.equal([]);
  });

  it('fails when a workflow sets up another Node.js', function () {
    const problems = nodeReleaseProblems(
      edited('.github/workflows/_deploy.yml', /NODE_VERSION: '[^']*'/, "NODE_VERSION: '20'"),
    );
    expect(problems.join('\n')).to.include('.github/workflows/_deploy.yml: NODE_VERSION is 20');
  });

  it('fails when the image moves without the runtime base, or the engines fall behind', function () {
    const otherAlpine = edited(
      'app/Dockerfile',
      /^ARG RUNTIME_BASE_IMAGE=alpine:.*$/m,
      'ARG RUNTIME_BASE_IMAGE=alpine:3.21.4',
    );
    expect(nodeReleaseProblems(otherAlpine).join('\n')).to.include(
      "RUNTIME_BASE_IMAGE is not on NODE_IMAGE's Alpine",
    );
    const oldEngines = edited('app/package.json', /"node": ">=[^"]*"/, '"node": ">=20.19.0"');
    expect(nodeReleaseProblems(oldEngines).join('\n')).to.include(
      'app/package.json: engines.node is >=20.19.0',
    );
  });

  it('fails when the Makefile asks for another minimum than engines', function () {
    const problems = nodeReleaseProblems(
      edited(
        'Makefile',
        /major > \d+ \|\| \(major === \d+ && minor >= \d+\)/,
        'major > 20 || (major === 20 && minor >= 19)',
      ),
    );
    expect(problems.join('\n')).to.include('Makefile: require_node checks 20.19');
  });
});
