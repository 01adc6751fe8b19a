// Keeps what the documentation claims about the code equal to the code: the README stays a short
// front door with its French twin, tool versions are the pinned ones, files and settings named
// exist where the text says, and statements that drifted once (a "drop-in" API that needed Redis,
// Node.js-free deploys, Terragrunt removals, "what CI runs") cannot come back unnoticed.
// Each rule is also run on the broken text it was written against.
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import MarkdownIt from 'markdown-it';

const repoRoot = resolve(__dirname, '..', '..');
const markdown = new MarkdownIt({ html: true });
const read = (path: string) => readFileSync(join(repoRoot, path), 'utf8');

export const README_LINE_LIMIT = 150;

interface Text {
  path: string;
  text: string;
}

/** Every tracked file, and every folder holding one (paths relative to the repository). */
function trackedPaths(): Set<string> {
  const files = execFileSync('git', ['ls-files', '-co', '--exclude-standard'], {
    cwd: repoRoot,
    encoding: 'utf8',
  })
    .split('\n')
    .filter(Boolean);
  const paths = new Set<string>();
  for (const file of files) {
    const parts = file.split('/');
    for (let i = 1; i <= parts.length; i += 1) paths.add(parts.slice(0, i).join('/'));
  }
  return paths;
}

/** The hand-written Markdown (generated module READMEs and the bench's output excluded). */
function handWrittenMarkdown(paths: Set<string>): Text[] {
  return [...paths]
    .filter((p) => p.endsWith('.md') && !p.startsWith('modules/') && !p.includes('node_modules'))
    .filter((p) => p !== 'docs/performance.md' && statSync(join(repoRoot, p)).isFile())
    .map((path) => ({ path, text: read(path) }));
}

/** The module READMEs npm run synth writes (not the copies under copied/). */
function generatedModuleReadmes(paths: Set<string>): Text[] {
  return [...paths]
    .filter((p) => /^modules\/[^/]+\/README\.md$/.test(p))
    .map((path) => ({ path, text: read(path) }));
}

/** Comments of the configuration people read next to the docs: HCL, mise.toml, the deploy script. */
function configurationComments(paths: Set<string>): Text[] {
  return [...paths]
    .filter(
      (p) =>
        p === 'root.hcl' ||
        p === 'mise.toml' ||
        (p.startsWith('live/') && (p.endsWith('.hcl') || p.endsWith('.sh'))),
    )
    .map((path) => ({
      path,
      text: read(path)
        .split('\n')
        .map((line) => /^\s*#(.*)$/.exec(line)?.[1] ?? '')
        .join('\n'),
    }));
}

type Token = ReturnType<typeof markdown.parse>[number];
const flatten = (tokens: Token[]): Token[] =>
  tokens.flatMap((t) => [t, ...flatten(t.children ?? [])]);

function codeSpans(text: string): string[] {
  return flatten(markdown.parse(text, {}))
    .filter((t) => t.type === 'code_inline')
    .map((t) => t.content);
}

function fencedLines(text: string, languages = ['bash', 'sh', '']): string[] {
  return flatten(markdown.parse(text, {}))
    .filter((t) => t.type === 'fence' && languages.includes(t.info.trim()))
    .flatMap((t) => t.content.split('\n'));
}

/** Sentences (or table rows) of a text, one line each, Markdown line breaks joined. */
function sentences(text: string): string[] {
  return text
    .replace(/([^\n|])\n(?=[^\n|#-])/g, '$1 ')
    .split(/(?<=[.!?])\s+(?=[A-Z`*(])|\n/)
    .filter((s) => s.trim() !== '');
}

// ------------------------------------------------------------------ the README and its French twin

/** The README is a front door: at most README_LINE_LIMIT lines, the French guide linked on top. */
export function frontDoorProblems(readme: string): string[] {
  const problems: string[] = [];
  const lines = readme.split('\n').length - (readme.endsWith('\n') ? 1 : 0);
  if (lines > README_LINE_LIMIT)
    problems.push(`README.md has ${lines} lines, more than ${README_LINE_LIMIT}`);
  if (!readme.split('\n').slice(0, 6).join('\n').includes('(docs/fr/README.md)'))
    problems.push('README.md does not link docs/fr/README.md in its first lines');
  return problems;
}

/** Commands of the README's shell blocks and its measured figures that the French guide lacks. */
export function missingFromTranslation(readme: string, french: string): string[] {
  const commands = fencedLines(readme, ['bash'])
    .map((line) => line.replace(/\s+#.*$/, '').trim())
    .filter((line) => /^(make|curl|bash|git|docker|npm|npx)\b/.test(line));
  // The targets table between the bench's markers is rewritten by every make bench: not translated.
  const prose = readme
    .replace(/```[\s\S]*?```/g, '')
    .replace(/<!-- make bench: targets -->[\s\S]*?<!-- make bench: end -->/g, '');
  const figures = [...prose.matchAll(/\b\d+(?:[.,]\d+)? ?(?:s|min|MiB|MB|GB|USD)\b/g)].map(
    (m) => m[0],
  );
  // French writes 1,5 for 1.5 and Mo, Go for MB, GB.
  const normalized = french
    .replace(/(\d),(\d)/g, '$1.$2')
    .replace(/(\d ?)Mo\b/g, '$1MB')
    .replace(/(\d ?)Go\b/g, '$1GB');
  // A <placeholder> may be translated: it matches anything between angle brackets.
  const inFrench = (command: string) =>
    new RegExp(
      command
        .split(/(<[^>]+>)/)
        .map((part) =>
          part.startsWith('<') ? '<[^>]+>' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
        )
        .join(''),
    ).test(french);
  return [
    ...commands.filter((c) => !inFrench(c)).map((c) => `command: ${c}`),
    ...figures.filter((f) => !normalized.includes(f.replace(',', '.'))).map((f) => `figure: ${f}`),
  ];
}

// ------------------------------------------------------------------ tool versions

const toolNames: Record<string, string> = {
  terraform: 'Terraform',
  terragrunt: 'Terragrunt',
  kubectl: 'kubectl',
  helm: 'Helm',
  awscli: 'AWS CLI',
};

export function misePins(miseToml: string): Map<string, string> {
  return new Map(
    [...miseToml.matchAll(/^(\w+) = "([\d.]+)"$/gm)].map((m) => [m[1] ?? '', m[2] ?? '']),
  );
}

/**
 * Versions of a pinned tool the text claims: "Terragrunt 0.99.5", "terragrunt version v0.99.5",
 * "| Terragrunt | 0.99.5 (…)", and minimums ("Terragrunt at least 0.95", "… 0.95 or newer")
 * within the same table row or sentence (">= 1.4" stays free for "since when" history). Every one must be mise.toml's pin: the preflight of
 * make plan/deploy/destroy refuses anything older (live/environment.sh, check_tool).
 */
export function versionClaimsOffPin(text: string, pins: Map<string, string>): string[] {
  const problems: string[] = [];
  for (const [tool, name] of Object.entries(toolNames)) {
    const pin = pins.get(tool);
    if (!pin) continue;
    const toolPattern = name.replace(' ', '\\s+');
    const exact = new RegExp(
      `\\b${toolPattern}\\b[\\s|\`*:]*(?:\\(optional\\)[\\s|]*)?(?:version\\s+)?(?:v2,\\s*)?v?(\\d+\\.\\d+\\.\\d+)\\b`,
      'gi',
    );
    for (const m of text.matchAll(exact))
      if (m[1] !== pin) problems.push(`${name} ${m[1]} (mise.toml pins ${pin})`);
    // Up to 60 characters of the same table row or sentence (a dot inside a version or a
    // file name is no sentence end).
    const sameCell = '(?:[^.\\n]|\\.(?=\\S)){0,60}?';
    const minimum = new RegExp(
      `\\b${toolPattern}\\b${sameCell}(?:at least)\\s*v?(\\d+\\.\\d+(?:\\.\\d+)?)|\\b${toolPattern}\\b${sameCell}\\b(\\d+\\.\\d+(?:\\.\\d+)?)\\s+or\\s+newer`,
      'gi',
    );
    for (const m of text.matchAll(minimum)) {
      const claimed = m[1] ?? m[2] ?? '';
      if (claimed !== pin)
        problems.push(`${name} at least ${claimed} (the preflight needs ${pin})`);
    }
  }
  return problems;
}

// ------------------------------------------------------------------ files and settings named

const generatedRoots = ['node_modules', 'dist', 'coverage', 'reports', '.local', 'cdktf.out'];

/** A repository path the text names, `<placeholders>` matching one path segment. */
function pathExists(candidate: string, paths: Set<string>): boolean {
  if (!candidate.includes('<')) return paths.has(candidate.replace(/\/$/, ''));
  const pattern = new RegExp(
    `^${candidate
      .replace(/\/$/, '')
      .split(/(<[^>]+>)/)
      .map((part) => (part.startsWith('<') ? '[^/]+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
      .join('')}$`,
  );
  return [...paths].some((p) => pattern.test(p));
}

const pathLike = /^(?:[\w.<>-]+\/)+[\w.<>-]+\.(?:md|hcl|ts|sh|ya?ml|toml|json|tsv|mjs|cjs)$/;
const upperCaseDoc = /\b([A-Z][A-Z0-9_-]+\.md)\b/g;

/**
 * Files the text names that do not exist: repository paths in code spans (Markdown) or anywhere
 * (comments), and upper-case Markdown names such as DESIGN.md, looked up from the repository
 * root and from the text's own folder.
 */
export function missingFiles(doc: Text, paths: Set<string>, isMarkdown: boolean): string[] {
  const folder = doc.path.includes('/') ? doc.path.slice(0, doc.path.lastIndexOf('/')) : '';
  const candidates = isMarkdown
    ? codeSpans(doc.text).filter((c) => pathLike.test(c))
    : [...doc.text.matchAll(/[\w.<>-]+(?:\/[\w.<>-]+)+/g)]
        .map((m) => m[0])
        .filter((c) => pathLike.test(c));
  const names = [...doc.text.matchAll(upperCaseDoc)].map((m) => m[1] ?? '');
  const missing: string[] = [];
  for (const candidate of candidates) {
    if (generatedRoots.some((root) => candidate.split('/').includes(root))) continue;
    if (candidate.split('/').pop()?.startsWith('.terraform')) continue; // written by terraform init
    // From the root, or from the text's folder or one of its parents (app/chaos/README.md names
    // test/chaos.test.ts of app/).
    const bases = folder.split('/').map((_, i, parts) => parts.slice(0, i + 1).join('/'));
    const found = ['', ...bases].some((base) =>
      pathExists(base ? relative('.', join(base, candidate)) : candidate, paths),
    );
    if (!found) missing.push(candidate);
  }
  for (const name of names) {
    if (!paths.has(name) && !paths.has(folder ? `${folder}/${name}` : name)) missing.push(name);
  }
  return missing;
}

/**
 * "`NAME` in `path`": the setting or variable named must occur in that file (a stale
 * "`KUBERNETES_VERSION` in `.github/workflows/ci.yml`" after CI stopped having one).
 */
export function settingsNotInNamedFile(
  text: string,
  readRepoFile: (path: string) => string | undefined,
): string[] {
  const problems: string[] = [];
  for (const m of text.matchAll(/`([A-Z][A-Z0-9_]{2,})` (?:in|of|from) \[?`([\w./-]+\.[a-z]+)`/g)) {
    const [, name = '', file = ''] = m;
    const content = readRepoFile(file);
    if (content !== undefined && !content.includes(name))
      problems.push(`${name} is not in ${file}`);
  }
  return problems;
}

// ------------------------------------------------------------------ statements that drifted once

/**
 * A "drop-in replacement" claim holds only for the Jump Go API (`GET /users`) and only while the
 * API starts with that brief's settings alone; startWithBriefSettings returns the start-up error.
 */
export function unbackedDropInClaims(
  text: string,
  startWithBriefSettings: () => string | undefined,
): string[] {
  const claims = sentences(text).filter((s) => /drop-in/i.test(s));
  if (claims.length === 0) return [];
  const problems = claims
    .filter((s) => !/Go API|\/users/.test(s))
    .map((s) => `claims a drop-in replacement of something else than the Go API: ${s.trim()}`);
  const error = startWithBriefSettings();
  if (error)
    problems.push(`claims a drop-in replacement, but with the brief's settings alone: ${error}`);
  return problems;
}

/** `kubectl get secret … jsonpath='{.data.…}'` prints base64: a step that shows it must decode it. */
export function secretReadsNotDecoded(text: string): string[] {
  return text
    .split('\n')
    .filter((line) => /get secret\b.*jsonpath=.*\{\.data\./.test(line))
    .filter((line) => !/\|\s*base64 (?:-d|--decode)\b/.test(line))
    .map((line) => line.trim());
}

/**
 * What Terragrunt's release notes say was removed, and when (v0.84.0: the *-all commands;
 * v0.90.0: hclfmt and the other pre-redesign commands). run-all is deprecated, never removed.
 */
export const terragruntRemovals: Record<string, string | undefined> = {
  'plan-all': '0.84',
  'apply-all': '0.84',
  'destroy-all': '0.84',
  'output-all': '0.84',
  'validate-all': '0.84',
  hclfmt: '0.90',
  hclvalidate: '0.90',
  'render-json': '0.90',
  'graph-dependencies': '0.90',
  'run-all': undefined,
};

export function wrongRemovalClaims(text: string): string[] {
  const problems: string[] = [];
  for (const sentence of sentences(text)) {
    const removed = /removed in (?:Terragrunt )?v?(\d+\.\d+)/.exec(sentence);
    if (!removed) continue;
    for (const [command, version] of Object.entries(terragruntRemovals)) {
      if (!new RegExp(`\`?\\b${command}\\b\`?`).test(sentence.replace(/--all/g, ''))) continue;
      if (version !== removed[1])
        problems.push(
          `${command} "removed in ${removed[1]}": ${version ? `removed in ${version}` : 'deprecated, not removed'}`,
        );
    }
  }
  return problems;
}

/** "without Node.js … deploy": make deploy runs npm run synth, and its preflight requires npm. */
export function nodeFreeDeployClaims(text: string, deployNeedsNode: boolean): string[] {
  if (!deployNeedsNode) return [];
  return sentences(text)
    .filter((s) => /(?:without|nobody needs|no need for|not need) Node\.js[^.]*deploy/i.test(s))
    .map((s) => s.trim());
}

/** Whether a workflow step runs the command (a `run:` line, or a line of a `run: |` block, starting with it). */
function workflowRuns(command: string, workflows: string): boolean {
  return workflows
    .split('\n')
    .map((line) => line.trim().replace(/^(?:-\s*)?run:\s*/, ''))
    .some((line) => line.startsWith(command) || line.startsWith(`bash ${command}`));
}

/**
 * "what CI runs": the commands of that line (code spans, and the shell block right after it)
 * must be run by a workflow step, not merely mentioned (ci.yml shellchecks .ci/run).
 */
export function ciRunsClaimsOffWorkflows(text: string, workflows: string): string[] {
  const problems: string[] = [];
  for (const m of text.matchAll(/what CI runs|CI runs `/g)) {
    const lineStart = text.lastIndexOf('\n', m.index) + 1;
    const window = text.slice(lineStart, m.index + 400);
    const fence = /```\w*\n([\s\S]*?)```/.exec(window)?.[1] ?? '';
    const commands = [
      ...codeSpans(window.split('```')[0] ?? ''),
      ...fence.split('\n').map((l) => l.replace(/\s+#.*$/, '').trim()),
    ]
      .map((c) => c.replace(/^bash /, ''))
      .filter((c) => /^(?:make |npm |\.ci\/)/.test(c));
    for (const command of commands)
      if (!workflowRuns(command, workflows))
        problems.push(`"${command}" is said to be what CI runs, but no workflow runs it`);
  }
  return problems;
}

// ------------------------------------------------------------------ the tests

function briefSettingsStartError(): string | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'payflow-brief-'));
  try {
    const yaml = join(dir, 'postgres.yaml');
    writeFileSync(yaml, 'host: 127.0.0.1\nport: 5432\nuser: jump\nname: jump\nssl_mode: disable\n');
    // The API's own loader (app/src/config), through tsx: the settings of the SRE brief and nothing else.
    const script = `const { loadConfig } = require(${JSON.stringify(join(repoRoot, 'app/src/config/index.ts'))});
try { loadConfig({ POSTGRES_CONFIGURATION: ${JSON.stringify(yaml)}, POSTGRES_PASSWORD: 'brief' }); }
catch (e) { process.stdout.write(String(e.message)); }`;
    const out = execFileSync(process.execPath, ['--require', 'tsx/cjs', '-e', script], {
      cwd: join(repoRoot, 'app'),
      encoding: 'utf8',
    });
    return out === '' ? undefined : out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs a rule over texts and expects no problem, each reported with its file. */
function expectNoProblem(texts: Text[], rule: (text: Text) => string[]): void {
  const problems = texts.flatMap((t) => rule(t).map((p) => `${t.path}: ${p}`));
  expect(problems, problems.join('\n')).to.deep.equal([]);
}

describe('documentation claims', function () {
  const paths = trackedPaths();
  const docs = handWrittenMarkdown(paths);
  const comments = configurationComments(paths);
  const readRepoFile = (path: string) => (paths.has(path) ? read(path) : undefined);
  const workflows = readdirSync(join(repoRoot, '.github/workflows'))
    .map((f) => read(`.github/workflows/${f}`))
    .join('\n');

  it(`README.md is a front door of at most ${README_LINE_LIMIT} lines, the French guide linked on top`, function () {
    expect(frontDoorProblems(read('README.md'))).to.deep.equal([]);
  });

  it('the French guide carries every command and measured figure of the README', function () {
    expect(missingFromTranslation(read('README.md'), read('docs/fr/README.md'))).to.deep.equal([]);
  });

  it("claims only mise.toml's versions of the pinned tools", function () {
    const pins = misePins(read('mise.toml'));
    expectNoProblem([...docs, ...comments], (d) => versionClaimsOffPin(d.text, pins));
  });

  it('names only files that exist', function () {
    expectNoProblem([...docs, ...generatedModuleReadmes(paths)], (d) =>
      missingFiles(d, paths, true),
    );
    expectNoProblem(comments, (d) => missingFiles(d, paths, false));
  });

  it('finds each setting in the file the text puts it in', function () {
    expectNoProblem(docs, (d) => settingsNotInNamedFile(d.text, readRepoFile));
  });

  it("claims a drop-in replacement only of the Go API, which starts with the SRE brief's settings alone", function () {
    this.timeout(60000);
    let startError: string | undefined | null = null; // loaded once, only if a doc claims it
    const start = () =>
      startError === null ? (startError = briefSettingsStartError()) : startError;
    expectNoProblem(docs, (d) => unbackedDropInClaims(d.text, start));
    expect(start(), "the API refuses the SRE brief's settings alone").to.equal(undefined);
  });

  it('decodes every Kubernetes Secret value it shows how to read', function () {
    expectNoProblem(docs, (d) => secretReadsNotDecoded(d.text));
  });

  it("dates Terragrunt's command removals as its release notes do", function () {
    expectNoProblem([...docs, ...comments], (d) => wrongRemovalClaims(d.text));
  });

  it('never says a deploy works without Node.js while make deploy needs it', function () {
    const deployNeedsNode = /action" == deploy \]\] && ! command -v npm/.test(
      read('live/environment.sh'),
    );
    expect(deployNeedsNode, 'the preflight still requires npm for deploy').to.equal(true);
    expectNoProblem([...docs, ...comments], (d) => nodeFreeDeployClaims(d.text, deployNeedsNode));
  });

  it('says "what CI runs" only of what a workflow runs', function () {
    expectNoProblem(docs, (d) => ciRunsClaimsOffWorkflows(d.text, workflows));
  });

  describe('each rule catches the text it was written against', function () {
    it('a 522-line README without the French link', function () {
      const old = `# PayFlow Platform\n\n${'text\n'.repeat(520)}`;
      expect(frontDoorProblems(old)).to.deep.equal([
        'README.md has 522 lines, more than 150',
        'README.md does not link docs/fr/README.md in its first lines',
      ]);
    });

    it('a French guide without make dev and the measured 52 s', function () {
      const readme =
        'Measured: 52 s.\n\n```bash\nmake dev   # embedded\ncurl 127.0.0.1:8080/users\n```\n';
      expect(missingFromTranslation(readme, 'curl 127.0.0.1:8080/users, 52 s')).to.deep.equal([
        'command: make dev',
      ]);
      expect(missingFromTranslation(readme, 'make dev curl 127.0.0.1:8080/users')).to.deep.equal([
        'figure: 52 s',
      ]);
    });

    it('"Terragrunt 0.99.5 (`mise.toml`), at least 0.95" and "Terraform 1.10.0"', function () {
      const pins = misePins('terraform = "1.11.4"\nterragrunt = "0.99.5"\n');
      expect(
        versionClaimsOffPin(
          '| Terragrunt | 0.99.5 (`mise.toml`), at least 0.95 | x |\nTerraform 1.10.0 here; `terragrunt --version` shows `terragrunt version v0.99.5`.',
          pins,
        ),
      ).to.deep.equal([
        'Terraform 1.10.0 (mise.toml pins 1.11.4)',
        'Terragrunt at least 0.95 (the preflight needs 0.99.5)',
      ]);
    });

    it('DESIGN.md, live/shared/terragrunt.hcl and a missing placeholder path', function () {
      const known = new Set([
        'live',
        'live/shared',
        'live/shared/global',
        'live/shared/global/terragrunt.hcl',
        'live/staging',
        'live/staging/env.hcl',
      ]);
      expect(
        missingFiles(
          {
            path: 'live/shared/account.hcl',
            text: ' the unit (live/shared/terragrunt.hcl)\n docs: DESIGN.md, "Environments"',
          },
          known,
          false,
        ),
      ).to.deep.equal(['live/shared/terragrunt.hcl', 'DESIGN.md']);
      expect(
        missingFiles(
          {
            path: 'README.md',
            text: '`live/<env>/env.hcl` and `live/<env>/shared/terragrunt.hcl`',
          },
          known,
          true,
        ),
      ).to.deep.equal(['live/<env>/shared/terragrunt.hcl']);
    });

    it('"`KUBERNETES_VERSION` in `.github/workflows/ci.yml`" once ci.yml has none', function () {
      const files: Record<string, string> = {
        '.github/workflows/ci.yml': 'kube_version from env.hcl',
      };
      expect(
        settingsNotInNamedFile(
          'raise `KUBERNETES_VERSION` in `.github/workflows/ci.yml` with it',
          (p) => files[p],
        ),
      ).to.deep.equal(['KUBERNETES_VERSION is not in .github/workflows/ci.yml']);
    });

    it('"a drop-in replacement for both briefs\' applications" while REDIS_URL is required', function () {
      expect(
        unbackedDropInClaims(
          "`app/` is the PayFlow API: a drop-in replacement for both briefs' applications.",
          () => 'REDIS_URL is required',
        ),
      ).to.deep.equal([
        "claims a drop-in replacement of something else than the Go API: `app/` is the PayFlow API: a drop-in replacement for both briefs' applications.",
        "claims a drop-in replacement, but with the brief's settings alone: REDIS_URL is required",
      ]);
    });

    it('a Grafana password step that prints base64', function () {
      expect(
        secretReadsNotDecoded(
          "kubectl -n monitoring get secret grafana -o jsonpath='{.data.admin-password}'\nkubectl get secret g -o jsonpath='{.data.p}' | base64 -d",
        ),
      ).to.deep.equal([
        "kubectl -n monitoring get secret grafana -o jsonpath='{.data.admin-password}'",
      ]);
    });

    it('"the old `run-all`/`hclfmt` spellings were removed in 0.90"', function () {
      expect(
        wrongRemovalClaims(
          '0.99.x: the CLI redesign is complete; the old `run-all`/`hclfmt` spellings were removed in 0.90.',
        ),
      ).to.deep.equal(['run-all "removed in 0.90": deprecated, not removed']);
      expect(wrongRemovalClaims('`plan-all` was removed in 0.90.')).to.deep.equal([
        'plan-all "removed in 0.90": removed in 0.84',
      ]);
    });

    it('"without Node.js on the machine that deploys"', function () {
      expect(
        nodeFreeDeployClaims(
          'Operations want plain Terraform, without Node.js on the machine that deploys.',
          true,
        ),
      ).to.have.length(1);
    });

    it('"`bash .ci/run` (this is what CI runs)" while GitHub runs make test', function () {
      expect(
        ciRunsClaimsOffWorkflows(
          'On a fresh Debian machine (this is what CI runs), as root:\n\n```bash\nbash .ci/run\n```\n\n| `.ci/run` | what CI runs on a fresh machine |\n',
          "run: make test\n      - run: git ls-files -z -- '*.sh' '.ci/run' | xargs -0 shellcheck",
        ),
      ).to.deep.equal([
        '".ci/run" is said to be what CI runs, but no workflow runs it',
        '".ci/run" is said to be what CI runs, but no workflow runs it',
      ]);
    });
  });
});
