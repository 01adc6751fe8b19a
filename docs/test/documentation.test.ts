// Keeps the documentation honest: links and anchors resolve, the commands it tells a reader to run
// exist, every alert's runbook exists, and every Mermaid diagram parses.
import { expect } from 'chai';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import MarkdownIt from 'markdown-it';
import GithubSlugger from 'github-slugger';
import { parse as parseYaml } from 'yaml';
import { JSDOM } from 'jsdom';

const repoRoot = resolve(__dirname, '..', '..');
const skippedDirs = new Set([
  'node_modules',
  '.git',
  'cdktf.out',
  '.terraform',
  'coverage',
  'reports',
  'dist',
  '.terragrunt-cache',
]);
const markdown = new MarkdownIt({ html: true });

interface MarkdownDocument {
  path: string;
  text: string;
}

function findMarkdown(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) return skippedDirs.has(name) ? [] : findMarkdown(full);
    return name.endsWith('.md') ? [full] : [];
  });
}

function loadDocuments(): MarkdownDocument[] {
  return (
    findMarkdown(repoRoot)
      // modules/<name>/copied holds synthesis's copies: checked where they come from.
      .filter((path) => !/[/\\]modules[/\\][^/\\]+[/\\]copied[/\\]/.test(path))
      .map((path) => ({ path, text: readFileSync(path, 'utf8') }))
  );
}

type Token = ReturnType<typeof markdown.parse>[number];
function flatten(tokens: Token[]): Token[] {
  return tokens.flatMap((t) => [t, ...flatten(t.children ?? [])]);
}

/** Anchors GitHub generates for a document's headings (and explicit <a id|name> tags). */
export function anchorsOf(text: string): Set<string> {
  const slugger = new GithubSlugger();
  const tokens = markdown.parse(text, {});
  const anchors = new Set<string>();
  tokens.forEach((token, i) => {
    if (token.type === 'heading_open') {
      const inline = tokens[i + 1];
      const plain = flatten(inline?.children ?? [])
        .filter((t) => t.type === 'text' || t.type === 'code_inline')
        .map((t) => t.content)
        .join('');
      anchors.add(slugger.slug(plain));
    }
  });
  for (const match of text.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) anchors.add(match[1] ?? '');
  return anchors;
}

/** Relative links whose file or anchor does not exist. */
export function brokenLinks(
  doc: MarkdownDocument,
  readTarget: (path: string) => string | undefined,
): string[] {
  const hrefs = flatten(markdown.parse(doc.text, {}))
    .filter((t) => t.type === 'link_open' || t.type === 'image')
    .map((t) => String(t.attrGet('href') ?? t.attrGet('src') ?? ''));
  const broken: string[] = [];
  for (const href of hrefs) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(href) || href === '') continue; // http:, mailto:, …
    const [pathPart, anchor] = href.split('#', 2) as [string, string | undefined];
    const target =
      pathPart === '' ? doc.path : resolve(dirname(doc.path), decodeURIComponent(pathPart));
    const content = readTarget(target);
    if (content === undefined) {
      broken.push(`${href} (no such file)`);
    } else if (
      anchor &&
      target.endsWith('.md') &&
      !anchorsOf(content).has(decodeURIComponent(anchor))
    ) {
      broken.push(`${href} (no such heading)`);
    }
  }
  return broken;
}

function readFromDisk(path: string): string | undefined {
  if (!existsSync(path)) return undefined;
  return statSync(path).isDirectory() ? '' : readFileSync(path, 'utf8');
}

/**
 * Text of every code span and code block, where readers find the commands to type; `text`
 * blocks are what a command prints ("make test needs PostgreSQL and Redis:"), not commands.
 */
function codeOf(text: string): string[] {
  return flatten(markdown.parse(text, {}))
    .filter(
      (t) =>
        t.type === 'code_inline' ||
        t.type === 'code_block' ||
        (t.type === 'fence' && t.info.trim() !== 'text'),
    )
    .map((t) => t.content);
}

export function makeTargets(makefile: string): Set<string> {
  return new Set([...makefile.matchAll(/^([a-zA-Z][\w-]*)\s*:(?!=)/gm)].map((m) => m[1] ?? ''));
}

/** `make <target>` commands mentioned in the docs whose target the Makefile does not define. */
export function unknownMakeTargets(doc: MarkdownDocument, targets: Set<string>): string[] {
  const missing: string[] = [];
  for (const code of codeOf(doc.text)) {
    for (const match of code.matchAll(
      /(?:^|[\s;&|(`$>])make[ \t]+((?:[a-z][\w-]*(?:[ \t]+|$))+)/gm,
    )) {
      for (const word of (match[1] ?? '').trim().split(/\s+/)) {
        if (!targets.has(word)) missing.push(word);
      }
    }
  }
  return missing;
}

/** `npm run <script>` commands that no package.json (root or app) defines. */
export function unknownNpmScripts(doc: MarkdownDocument, scripts: Set<string>): string[] {
  const missing: string[] = [];
  for (const code of codeOf(doc.text)) {
    for (const match of code.matchAll(/npm run ([\w:-]+)/g)) {
      if (!scripts.has(match[1] ?? '')) missing.push(match[1] ?? '');
    }
  }
  return missing;
}

/** Alerts whose runbook_url does not name a page in docs/runbooks. */
export function alertsWithoutRunbook(
  rulesYaml: string,
  runbookExists: (page: string) => boolean,
): string[] {
  const rules = parseYaml(rulesYaml) as {
    groups?: { rules?: { alert?: string; annotations?: Record<string, string> }[] }[];
  };
  const missing: string[] = [];
  for (const group of rules.groups ?? []) {
    for (const rule of group.rules ?? []) {
      if (!rule.alert) continue;
      const url = rule.annotations?.runbook_url ?? '';
      const page = /docs\/runbooks\/([\w.-]+\.md)/.exec(url)?.[1];
      if (!page || !runbookExists(page))
        missing.push(`${rule.alert} → ${url || '(no runbook_url)'}`);
    }
  }
  return missing;
}

function mermaidBlocks(text: string): string[] {
  return flatten(markdown.parse(text, {}))
    .filter((t) => t.type === 'fence' && t.info.trim() === 'mermaid')
    .map((t) => t.content);
}

type MermaidApi = { initialize(config: object): void; parse(text: string): Promise<unknown> };
let mermaidApi: Promise<MermaidApi> | undefined;
function loadMermaid(): Promise<MermaidApi> {
  // Mermaid's parser expects a browser; a jsdom window is enough for parsing (nothing is rendered).
  mermaidApi ??= (async () => {
    const dom = new JSDOM('<!doctype html><html><body></body></html>');
    Object.assign(globalThis, { window: dom.window, document: dom.window.document });
    const { default: mermaid } = (await import('mermaid')) as unknown as { default: MermaidApi };
    mermaid.initialize({ startOnLoad: false });
    return mermaid;
  })();
  return mermaidApi;
}

describe('documentation', function () {
  const documents = loadDocuments();
  const rel = (path: string) => relative(repoRoot, path);

  it('finds the documentation (README, docs/, per-folder READMEs)', function () {
    const names = documents.map((d) => rel(d.path));
    expect(names).to.include.members(['README.md']);
    expect(names.filter((n) => n.startsWith('docs/')).length).to.be.greaterThan(5);
  });

  it('has no broken relative link or anchor', function () {
    const broken = documents.flatMap((doc) =>
      brokenLinks(doc, readFromDisk).map((b) => `${rel(doc.path)}: ${b}`),
    );
    expect(broken, broken.join('\n')).to.deep.equal([]);
  });

  it('mentions only make targets that the Makefile defines', function () {
    const targets = makeTargets(readFileSync(join(repoRoot, 'Makefile'), 'utf8'));
    const missing = documents.flatMap((doc) =>
      unknownMakeTargets(doc, targets).map((t) => `${rel(doc.path)}: make ${t}`),
    );
    expect(missing, missing.join('\n')).to.deep.equal([]);
  });

  it('mentions only npm scripts that exist', function () {
    const scripts = new Set<string>();
    for (const pkg of ['package.json', 'app/package.json']) {
      const path = join(repoRoot, pkg);
      if (existsSync(path))
        Object.keys(
          (JSON.parse(readFileSync(path, 'utf8')) as { scripts?: object }).scripts ?? {},
        ).forEach((s) => scripts.add(s));
    }
    const missing = documents.flatMap((doc) =>
      unknownNpmScripts(doc, scripts).map((s) => `${rel(doc.path)}: npm run ${s}`),
    );
    expect(missing, missing.join('\n')).to.deep.equal([]);
  });

  it('gives every alert a runbook page in docs/runbooks', function () {
    const rulesPath = join(repoRoot, 'monitoring/alerts/alerting-rules.yaml');
    const missing = alertsWithoutRunbook(readFileSync(rulesPath, 'utf8'), (page) =>
      existsSync(join(repoRoot, 'docs/runbooks', page)),
    );
    expect(missing, missing.join('\n')).to.deep.equal([]);
  });

  it('has Mermaid diagrams that parse', async function () {
    const mermaid = await loadMermaid();
    const failures: string[] = [];
    let count = 0;
    for (const doc of documents) {
      for (const block of mermaidBlocks(doc.text)) {
        count += 1;
        await mermaid
          .parse(block)
          .catch((e: Error) => failures.push(`${rel(doc.path)}: ${e.message.split('\n')[0]}`));
      }
    }
    expect(count, 'at least the README architecture diagram').to.be.greaterThan(0);
    expect(failures, failures.join('\n')).to.deep.equal([]);
  });

  describe('each rule catches a broken document', function () {
    const here = join(repoRoot, 'docs/example.md');
    const files: Record<string, string> = {
      [join(repoRoot, 'docs/target.md')]: '# Rollback\n\n## Database migrations\n',
    };
    const read = (p: string) => files[p];

    it('reports a link to a missing file and a missing anchor, accepts good ones', function () {
      const doc = {
        path: here,
        text: '[a](target.md#rollback) [b](missing.md) [c](target.md#nope) [d](https://x.test/y) [e](target.md#database-migrations)',
      };
      expect(brokenLinks(doc, read)).to.deep.equal([
        'missing.md (no such file)',
        'target.md#nope (no such heading)',
      ]);
    });

    it('reports an unknown make target', function () {
      const targets = makeTargets('test: install\n\t@true\nup:\n\t@true\nENV ?= x\n');
      const doc = {
        path: here,
        text: 'Run `make test` then:\n\n```bash\nmake up\nmake deploy ENV=production\n```\n',
      };
      expect(unknownMakeTargets(doc, targets)).to.deep.equal(['deploy']);
      const output = { path: here, text: '```text\nmake test needs PostgreSQL and Redis:\n```\n' };
      expect(unknownMakeTargets(output, targets), 'what a command prints').to.deep.equal([]);
    });

    it('reports an unknown npm script', function () {
      expect(
        unknownNpmScripts(
          { path: here, text: '`npm run synth` and `npm run nope`' },
          new Set(['synth']),
        ),
      ).to.deep.equal(['nope']);
    });

    it('reports an alert without a runbook page', function () {
      const rules =
        'groups:\n- name: g\n  rules:\n  - alert: A\n    annotations: {runbook_url: "https://e.test/docs/runbooks/a.md"}\n  - alert: B\n    annotations: {}\n';
      expect(alertsWithoutRunbook(rules, (page) => page === 'a.md')).to.deep.equal([
        'B → (no runbook_url)',
      ]);
    });

    it('rejects a Mermaid block that does not parse', async function () {
      const mermaid = await loadMermaid();
      const [block] = mermaidBlocks('```mermaid\nflowchart LR\n  A[unclosed --> B\n```\n');
      let error: unknown;
      await mermaid.parse(block ?? '').catch((e: unknown) => (error = e));
      expect(error).to.be.instanceOf(Error);
    });
  });
});
