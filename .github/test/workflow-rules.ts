// The CI/CD pipeline's structural rules, as functions from the parsed workflows to a
// list of violations (empty = the rule holds). workflows.test.ts runs every rule on
// the real .github/workflows and on mutated copies, proving each rule can fail.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

export type Permissions = 'read-all' | 'write-all' | Record<string, string>;

export interface Step {
  name?: string;
  id?: string;
  if?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, unknown>;
}

export interface Job {
  name?: string;
  needs?: string | string[];
  if?: string;
  'runs-on'?: string | string[];
  'timeout-minutes'?: number | string;
  permissions?: Permissions;
  environment?: string | { name: string; url?: string };
  concurrency?: string | { group: string; 'cancel-in-progress'?: boolean | string };
  steps?: Step[];
  uses?: string;
  with?: Record<string, unknown>;
  secrets?: Record<string, unknown> | 'inherit';
  env?: Record<string, unknown>;
  services?: Record<string, unknown>;
}

export interface Workflow {
  name?: string;
  on?: Record<string, unknown> | string | string[] | null;
  permissions?: Permissions;
  concurrency?: Job['concurrency'];
  env?: Record<string, unknown>;
  jobs: Record<string, Job>;
}

export interface WorkflowFile {
  /** File name inside .github/workflows, e.g. `ci.yml`. */
  file: string;
  text: string;
  workflow: Workflow;
}

/** Every workflow of the pipeline, by file name. */
export type WorkflowSet = Map<string, WorkflowFile>;

/** Subjects (`sub` claim patterns, `*` wildcards) each AWS role's trust policy accepts. */
export interface OidcTrust {
  repository: string;
  plan: string[];
  deploy: string[];
}

export const CI = 'ci.yml';
export const DEPLOY_STAGING = 'deploy-staging.yml';
export const DEPLOY_PRODUCTION = 'deploy-production.yml';
export const CONFIGURE_AWS = 'aws-actions/configure-aws-credentials';
export const ENVIRONMENTS = ['staging', 'production'] as const;
/** The repository/environment variables and secrets of the team contract. */
export const CONTRACT_VARIABLES = [
  'AWS_REGION',
  'AWS_PLAN_ROLE_ARN',
  'AWS_DEPLOY_ROLE_ARN',
  'ECR_REPOSITORY',
];
export const CONTRACT_SECRETS = ['SLACK_WEBHOOK_URL'];

export function parseWorkflow(file: string, text: string): WorkflowFile {
  return { file, text, workflow: parse(text) as Workflow };
}

export function loadWorkflows(directory: string): WorkflowSet {
  const set: WorkflowSet = new Map();
  for (const file of readdirSync(directory).sort()) {
    if (!/\.ya?ml$/.test(file)) continue;
    set.set(file, parseWorkflow(file, readFileSync(path.join(directory, file), 'utf8')));
  }
  return set;
}

// ---------------------------------------------------------------- helpers

function asList(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

function triggers(workflow: Workflow): Record<string, unknown> {
  const on = workflow.on;
  if (on === undefined || on === null) return {};
  if (typeof on === 'string') return { [on]: null };
  if (Array.isArray(on)) return Object.fromEntries(on.map((event) => [event, null]));
  return on;
}

/** `./.github/workflows/_deploy.yml` → `_deploy.yml` for local reusable workflows. */
function localWorkflow(uses: string | undefined): string | undefined {
  const match = /^\.\/\.github\/workflows\/([^/@]+)$/.exec(uses ?? '');
  return match?.[1];
}

function jobsOf(set: WorkflowSet): Array<{ file: string; id: string; job: Job }> {
  return [...set.values()].flatMap(({ file, workflow }) =>
    Object.entries(workflow.jobs ?? {}).map(([id, job]) => ({ file, id, job })),
  );
}

function usesAws(job: Job): boolean {
  return (job.steps ?? []).some((step) => step.uses?.split('@')[0] === CONFIGURE_AWS);
}

/** Jobs that get AWS credentials, directly or through the local reusable workflow they call. */
function needsOidc(set: WorkflowSet, job: Job, seen = new Set<string>()): boolean {
  if (usesAws(job)) return true;
  const callee = localWorkflow(job.uses);
  if (!callee || seen.has(callee)) return false;
  seen.add(callee);
  const called = set.get(callee);
  return Object.values(called?.workflow.jobs ?? {}).some((inner) => needsOidc(set, inner, seen));
}

function permissionMap(permissions: Permissions | undefined): Record<string, string> | undefined {
  if (permissions === undefined) return undefined;
  if (permissions === 'read-all' || permissions === 'write-all') return undefined;
  return permissions ?? {};
}

function environmentName(job: Job): string | undefined {
  if (job.environment === undefined) return undefined;
  return typeof job.environment === 'string' ? job.environment : job.environment.name;
}

/** Literal environments a job runs in: its own, or the `environment` input its callers pass. */
function environmentsOf(set: WorkflowSet, file: string, job: Job): string[] {
  const name = environmentName(job);
  if (name === undefined) return [];
  const input = /^\$\{\{\s*inputs\.([\w-]+)\s*\}\}$/.exec(name);
  if (!input) return [name];
  return jobsOf(set)
    .filter(({ job: caller }) => localWorkflow(caller.uses) === file)
    .map(({ job: caller }) => String(caller.with?.[input[1] as string] ?? ''));
}

function concurrencyOf(
  value: Job['concurrency'],
): { group: string; cancel: boolean | string } | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string') return { group: value, cancel: false };
  return { group: value.group, cancel: value['cancel-in-progress'] ?? false };
}

/** Converts an IAM StringLike pattern (`*`, `?`) into a RegExp. */
export function subjectPattern(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^${escaped.replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
}

// ---------------------------------------------------------------- rules

/** lint → test → security → build (ci.yml) → deploy-staging (workflow_run) → deploy-production. */
export function stagesInOrder(set: WorkflowSet): string[] {
  const violations: string[] = [];
  const ci = set.get(CI);
  if (!ci) return [`${CI} is missing`];
  const jobs = ci.workflow.jobs ?? {};
  const chain = ['lint', 'test', 'security', 'build'];
  chain.forEach((stage, index) => {
    const job = jobs[stage];
    if (!job) {
      violations.push(`${CI}: stage job "${stage}" is missing`);
      return;
    }
    const previous = chain[index - 1];
    if (previous && !asList(job.needs).includes(previous)) {
      violations.push(`${CI}: "${stage}" must need "${previous}"`);
    }
  });

  const staging = set.get(DEPLOY_STAGING);
  if (!staging) return [...violations, `${DEPLOY_STAGING} is missing`];
  const run = triggers(staging.workflow).workflow_run as
    { workflows?: string[]; types?: string[]; branches?: string[] } | undefined;
  if (!run) {
    violations.push(`${DEPLOY_STAGING}: must be triggered by workflow_run of CI`);
  } else {
    if (!ci.workflow.name || !(run.workflows ?? []).includes(ci.workflow.name)) {
      violations.push(
        `${DEPLOY_STAGING}: workflow_run must name CI's workflow "${ci.workflow.name}"`,
      );
    }
    if (!(run.types ?? []).includes('completed')) {
      violations.push(`${DEPLOY_STAGING}: workflow_run must react to "completed"`);
    }
    if (JSON.stringify(run.branches) !== JSON.stringify(['main'])) {
      violations.push(`${DEPLOY_STAGING}: workflow_run must be limited to branches [main]`);
    }
  }
  if (Object.keys(triggers(staging.workflow)).some((event) => event !== 'workflow_run')) {
    violations.push(`${DEPLOY_STAGING}: only CI's completion may trigger a staging deploy`);
  }
  const stagingJob = staging.workflow.jobs?.['deploy-staging'];
  if (!stagingJob) {
    violations.push(`${DEPLOY_STAGING}: job "deploy-staging" is missing`);
  } else {
    const condition = stagingJob.if ?? '';
    for (const required of [
      /github\.event\.workflow_run\.conclusion\s*==\s*'success'/,
      /github\.event\.workflow_run\.event\s*==\s*'push'/,
      /github\.event\.workflow_run\.head_branch\s*==\s*'main'/,
    ]) {
      if (!required.test(condition)) {
        violations.push(`${DEPLOY_STAGING}: deploy-staging must run only when ${required.source}`);
      }
    }
    if (!deploysTo(set, stagingJob, 'staging')) {
      violations.push(`${DEPLOY_STAGING}: deploy-staging must deploy to the staging environment`);
    }
  }

  const production = set.get(DEPLOY_PRODUCTION);
  if (!production) return [...violations, `${DEPLOY_PRODUCTION} is missing`];
  const productionJob = production.workflow.jobs?.['deploy-production'];
  if (!productionJob) violations.push(`${DEPLOY_PRODUCTION}: job "deploy-production" is missing`);
  else if (!deploysTo(set, productionJob, 'production')) {
    violations.push(
      `${DEPLOY_PRODUCTION}: deploy-production must deploy to the production environment`,
    );
  }
  // Production ships only what went through main (and so through staging).
  if (!/git merge-base --is-ancestor "\$sha" origin\/main/.test(production.text)) {
    violations.push(`${DEPLOY_PRODUCTION}: must refuse a version that is not a commit of main`);
  }
  return violations;
}

/** A job deploys to `environment` itself or through the reusable workflow it calls. */
function deploysTo(set: WorkflowSet, job: Job, environment: string): boolean {
  if (environmentName(job) === environment) return true;
  const callee = localWorkflow(job.uses);
  if (!callee) return false;
  return Object.values(set.get(callee)?.workflow.jobs ?? {}).some((inner) => {
    const name = environmentName(inner);
    if (!usesAws(inner) || name === undefined) return false;
    const input = /^\$\{\{\s*inputs\.([\w-]+)\s*\}\}$/.exec(name);
    return input ? job.with?.[input[1] as string] === environment : name === environment;
  });
}

/** Production: manual triggers only, and every AWS job of a production run sits in the gated environment. */
export function productionGated(set: WorkflowSet): string[] {
  const violations: string[] = [];
  const production = set.get(DEPLOY_PRODUCTION);
  if (!production) return [`${DEPLOY_PRODUCTION} is missing`];
  const events = Object.keys(triggers(production.workflow));
  for (const event of events) {
    if (!['workflow_dispatch', 'release'].includes(event)) {
      violations.push(
        `${DEPLOY_PRODUCTION}: "${event}" would deploy production without a person asking`,
      );
    }
  }
  const dispatch = triggers(production.workflow).workflow_dispatch as
    { inputs?: Record<string, { required?: boolean }> } | undefined;
  if (!dispatch?.inputs?.version?.required) {
    violations.push(`${DEPLOY_PRODUCTION}: workflow_dispatch needs a required "version" input`);
  }
  for (const [id, job] of Object.entries(production.workflow.jobs ?? {})) {
    if (usesAws(job) && environmentName(job) !== 'production') {
      violations.push(
        `${DEPLOY_PRODUCTION}: job "${id}" gets AWS credentials outside the production environment`,
      );
    }
    const callee = localWorkflow(job.uses);
    if (!callee) continue;
    for (const [innerId, inner] of Object.entries(set.get(callee)?.workflow.jobs ?? {})) {
      if (!usesAws(inner)) continue;
      const environments = environmentsOf(set, callee, inner);
      if (environmentName(inner) === undefined || environments.length === 0) {
        violations.push(
          `${callee}: job "${innerId}" gets AWS credentials without a GitHub environment`,
        );
      }
    }
    if (callee && job.with?.environment !== 'production' && usesReusableAws(set, callee)) {
      violations.push(`${DEPLOY_PRODUCTION}: job "${id}" must pass environment: production`);
    }
  }
  return violations;
}

function usesReusableAws(set: WorkflowSet, callee: string): boolean {
  return Object.values(set.get(callee)?.workflow.jobs ?? {}).some(usesAws);
}

/** Top-level permissions read-only or empty; per job explicit; writes only where justified. */
export function leastPrivilege(set: WorkflowSet): string[] {
  const violations: string[] = [];
  for (const { file, workflow } of set.values()) {
    const top = workflow.permissions;
    if (top === undefined)
      violations.push(`${file}: top-level permissions missing (use permissions: {})`);
    else if (top === 'write-all' || top === 'read-all')
      violations.push(`${file}: top-level permissions ${top}`);
    else {
      for (const [scope, level] of Object.entries(top ?? {})) {
        if (level === 'write') violations.push(`${file}: top-level permission ${scope}: write`);
      }
    }
  }
  for (const { file, id, job } of jobsOf(set)) {
    const where = `${file}: job "${id}"`;
    const permissions = permissionMap(job.permissions);
    if (permissions === undefined) {
      violations.push(`${where} must declare its own permissions (not ${String(job.permissions)})`);
      continue;
    }
    const oidc = needsOidc(set, job);
    if (permissions['id-token'] === 'write' && !oidc) {
      violations.push(`${where} has id-token: write but does not use ${CONFIGURE_AWS}`);
    }
    if (oidc && permissions['id-token'] !== 'write') {
      violations.push(`${where} uses ${CONFIGURE_AWS} without id-token: write`);
    }
    const commentsOnPullRequests = (job.steps ?? []).some((step) =>
      step.uses?.startsWith('actions/github-script@'),
    );
    for (const [scope, level] of Object.entries(permissions)) {
      if (level !== 'write' || scope === 'id-token') continue;
      if (scope === 'pull-requests' && commentsOnPullRequests) continue;
      violations.push(`${where} has ${scope}: write, which no step of it needs`);
    }
  }
  return violations;
}

const PINNED_ACTION = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_./-]+@[0-9a-f]{40}$/;
const VERSION_COMMENT = /#\s*v\d+\.\d+\.\d+\b/;

/** Every action and reusable workflow by full commit SHA with a `# vX.Y.Z` comment; local ./ excepted. */
export function actionsPinned(set: WorkflowSet): string[] {
  const violations: string[] = [];
  for (const { file, text } of set.values()) {
    text.split('\n').forEach((line, index) => {
      const match = /^\s*(?:-\s*)?uses:\s*['"]?([^\s'"#]+)['"]?\s*(#.*)?$/.exec(line);
      if (!match) return;
      const [, reference = '', comment = ''] = match;
      const where = `${file}:${index + 1}`;
      if (reference.startsWith('./')) return;
      if (reference.startsWith('docker://')) {
        if (!/@sha256:[0-9a-f]{64}$/.test(reference))
          violations.push(`${where}: ${reference} not pinned by digest`);
        return;
      }
      if (!PINNED_ACTION.test(reference))
        violations.push(`${where}: ${reference} is not pinned to a commit SHA`);
      else if (!VERSION_COMMENT.test(comment)) {
        violations.push(`${where}: ${reference} needs a "# vX.Y.Z" comment naming the release`);
      }
    });
  }
  return violations;
}

// Built from parts so that no scanner mistakes the rule itself for a leaked key.
const AWS_KEY_ID = new RegExp(['(A3T[A-Z0-9]|AK', 'IA|AS', 'IA|ABIA|ACCA)[A-Z0-9]{16}'].join(''));
const SECRET_NAME = /(password|passwd|secret|token|api[_-]?key|webhook|private[_-]?key)/i;
const EXPRESSION_ONLY = /^\$\{\{\s*(secrets\.[A-Z0-9_]+|github\.token|vars\.[A-Z0-9_]+)\s*\}\}$/;

/** No access keys, no literal passwords/tokens/webhooks, no hard-coded role ARNs. */
export function noLiteralSecrets(set: WorkflowSet): string[] {
  const violations: string[] = [];
  for (const { file, text, workflow } of set.values()) {
    if (AWS_KEY_ID.test(text)) violations.push(`${file}: contains an AWS access key id`);
    if (/aws-(access-key-id|secret-access-key|session-token)|AWS_(SECRET_)?ACCESS_KEY/.test(text)) {
      violations.push(`${file}: AWS keys are forbidden: use OIDC (role-to-assume)`);
    }
    if (/arn:aws[\w-]*:iam::\d{12}:/.test(text))
      violations.push(`${file}: hard-coded IAM ARN: use vars.*_ROLE_ARN`);
    if (/hooks\.slack\.com\/services\//.test(text))
      violations.push(`${file}: literal Slack webhook`);
    if (/[a-z][a-z0-9+.-]*:\/\/[^\s/:@'"]+:(?!\$\{\{)[^\s/@'"]+@/i.test(text)) {
      violations.push(`${file}: URL with an embedded password`);
    }
    walk(workflow, [], (keyPath, value) => {
      const key = keyPath[keyPath.length - 1] ?? '';
      if (typeof value !== 'string' || !SECRET_NAME.test(key)) return;
      if (keyPath.includes('permissions')) return; // `id-token: write` is a permission, not a token
      if (keyPath.includes('secrets') && keyPath[0] === 'on') return; // declarations of workflow_call secrets
      if (!EXPRESSION_ONLY.test(value.trim())) {
        violations.push(`${file}: ${keyPath.join('.')} must come from secrets.* (found a literal)`);
      }
    });
    for (const { id, job } of jobsOf(new Map([[file, { file, text, workflow }]]))) {
      for (const step of job.steps ?? []) {
        if (step.uses?.split('@')[0] !== CONFIGURE_AWS) continue;
        const role = String(step.with?.['role-to-assume'] ?? '');
        if (!/^\$\{\{\s*vars\.AWS_(PLAN|DEPLOY)_ROLE_ARN\s*\}\}$/.test(role)) {
          violations.push(
            `${file}: job "${id}" role-to-assume must be vars.AWS_PLAN_ROLE_ARN or vars.AWS_DEPLOY_ROLE_ARN`,
          );
        }
      }
    }
  }
  return violations;
}

function walk(
  value: unknown,
  keyPath: string[],
  visit: (keyPath: string[], value: unknown) => void,
): void {
  visit(keyPath, value);
  if (Array.isArray(value))
    value.forEach((item, index) => walk(item, [...keyPath, String(index)], visit));
  else if (value && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) walk(item, [...keyPath, key], visit);
  }
}

/** Every job that runs on a runner has a timeout (reusable-workflow calls inherit the callee's). */
export function timeoutsEverywhere(set: WorkflowSet, maximumMinutes = 120): string[] {
  const violations: string[] = [];
  for (const { file, id, job } of jobsOf(set)) {
    if (job.uses) continue;
    const minutes = Number(job['timeout-minutes']);
    if (!Number.isFinite(minutes) || minutes <= 0 || minutes > maximumMinutes) {
      violations.push(`${file}: job "${id}" needs timeout-minutes between 1 and ${maximumMinutes}`);
    }
  }
  return violations;
}

/**
 * No hand-written retry loop around curl in a run step: `curl --retry N --retry-delay S
 * --retry-all-errors` retries every failure the loop did, in one line.
 */
export function noCurlRetryLoops(set: WorkflowSet): string[] {
  const loop = /\b(?:for|while|until)\b[^]*?\bdo\b([^]*?)\bdone\b/g;
  return jobsOf(set).flatMap(({ file, id, job }) =>
    (job.steps ?? [])
      .filter((step) =>
        [...(step.run ?? '').matchAll(loop)].some(
          ([, body]) => /\bcurl\b/.test(body ?? '') && /\bsleep\b/.test(body ?? ''),
        ),
      )
      .map(
        (step) =>
          `${file}: job "${id}", step "${step.name ?? step.id}" retries curl in a loop: use curl --retry-all-errors`,
      ),
  );
}

/** Deploys queue per environment and are never cancelled halfway through an apply. */
export function deployConcurrency(set: WorkflowSet): string[] {
  const violations: string[] = [];
  for (const [file, environment] of [
    [DEPLOY_STAGING, 'staging'],
    [DEPLOY_PRODUCTION, 'production'],
  ] as const) {
    const concurrency = concurrencyOf(set.get(file)?.workflow.concurrency);
    if (!concurrency) violations.push(`${file}: concurrency group missing`);
    else {
      if (!concurrency.group.includes(environment)) {
        violations.push(
          `${file}: concurrency group "${concurrency.group}" must name ${environment}`,
        );
      }
      if (concurrency.cancel !== false)
        violations.push(`${file}: cancel-in-progress must be false`);
    }
  }
  for (const { file, id, job } of jobsOf(set)) {
    if (!usesAws(job) || environmentName(job) === undefined) continue;
    const concurrency = concurrencyOf(job.concurrency);
    if (!concurrency || !/inputs\.environment|staging|production/.test(concurrency.group)) {
      violations.push(`${file}: deploy job "${id}" needs a concurrency group per environment`);
    } else if (concurrency.cancel !== false) {
      violations.push(`${file}: deploy job "${id}" must not cancel an apply in progress`);
    }
  }
  return violations;
}

/**
 * The OIDC subject every AWS job can present matches the trust of the role it assumes:
 * `environment:<name>` for jobs in a GitHub environment, else `ref:<ref>` from the
 * job's or step's `github.ref == '…'` condition, or `pull_request` on pull requests.
 */
export function oidcSubjectsTrusted(set: WorkflowSet, trust: OidcTrust): string[] {
  const violations: string[] = [];
  for (const { file, id, job } of jobsOf(set)) {
    for (const step of job.steps ?? []) {
      if (step.uses?.split('@')[0] !== CONFIGURE_AWS) continue;
      const where = `${file}: job "${id}"`;
      const role = /vars\.AWS_(PLAN|DEPLOY)_ROLE_ARN/.exec(
        String(step.with?.['role-to-assume'] ?? ''),
      )?.[1];
      if (!role) {
        violations.push(`${where}: unknown role ${String(step.with?.['role-to-assume'])}`);
        continue;
      }
      const patterns = (role === 'PLAN' ? trust.plan : trust.deploy).map(subjectPattern);
      const subjects = subjectsOf(set, file, job, step);
      if (subjects.length === 0) {
        violations.push(
          `${where}: assumes the ${role.toLowerCase()} role on any ref: restrict it with an environment or a github.ref condition`,
        );
      }
      for (const subject of subjects) {
        if (!patterns.some((pattern) => pattern.test(subject))) {
          violations.push(
            `${where}: subject ${subject} is not trusted by the ${role.toLowerCase()} role`,
          );
        }
      }
      if (
        role === 'PLAN' &&
        (job.steps ?? []).some((s) => /\b(apply|make deploy|destroy)\b/.test(s.run ?? ''))
      ) {
        violations.push(`${where}: the read-only plan role cannot apply`);
      }
    }
  }
  return violations;
}

function subjectsOf(set: WorkflowSet, file: string, job: Job, step: Step): string[] {
  const repo = `repo:${OIDC_SAMPLE_REPOSITORY}`;
  const environments = environmentsOf(set, file, job);
  if (environmentName(job) !== undefined)
    return environments.map((name) => `${repo}:environment:${name}`);
  const conditions = `${job.if ?? ''} ${step.if ?? ''}`;
  const refs = [...conditions.matchAll(/github\.ref\s*==\s*'([^']+)'/g)].map((m) => m[1] as string);
  if (refs.length > 0) return refs.map((ref) => `${repo}:ref:${ref}`);
  if (/github\.event_name\s*==\s*'pull_request'/.test(conditions)) return [`${repo}:pull_request`];
  const events = Object.keys(triggers(set.get(file)?.workflow ?? { jobs: {} }));
  if (events.length === 1 && events[0] === 'pull_request') return [`${repo}:pull_request`];
  return [];
}

/** The repository used to evaluate the trust policy's `${var.github_repository}`. */
export const OIDC_SAMPLE_REPOSITORY = 'payflow-example/payflow-platform';

/**
 * Every job runs on a GitHub-hosted Ubuntu runner named literally (`ubuntu-latest`,
 * `ubuntu-24.04`): no self-hosted label, no runner picked by a variable. The jobs that reach the
 * private Kubernetes API (they run live/environment.sh or make deploy) install the Session
 * Manager plugin first, with the pinned script: the SSM tunnel is how they get there.
 */
export function hostedRunnersOnly(set: WorkflowSet): string[] {
  const violations: string[] = [];
  for (const { file, id, job } of jobsOf(set)) {
    if (job.uses) continue; // a reusable workflow: its own jobs are checked
    const runner = job['runs-on'];
    if (typeof runner !== 'string' || !/^ubuntu-[\w.-]+$/.test(runner)) {
      violations.push(
        `${file}: job "${id}" runs on ${JSON.stringify(runner)}, not a GitHub-hosted ubuntu-* runner`,
      );
    }
    const steps = job.steps ?? [];
    const reaches = steps.findIndex((s) => /live\/environment\.sh|make deploy/.test(s.run ?? ''));
    const installs = steps.findIndex((s) =>
      /install-release-binary\.sh session-manager-plugin/.test(s.run ?? ''),
    );
    if (reaches >= 0 && (installs < 0 || installs > reaches)) {
      violations.push(
        `${file}: job "${id}" reaches the Kubernetes API without installing the Session Manager plugin first`,
      );
    }
  }
  return violations;
}

/** Only the contract's variables and secrets (docs/ci-cd.md explains each). */
export function contractNames(set: WorkflowSet, configVariables: string[]): string[] {
  const violations: string[] = [];
  for (const { file, text } of set.values()) {
    for (const [, name = ''] of text.matchAll(/\bvars\.([A-Za-z0-9_]+)/g)) {
      if (!CONTRACT_VARIABLES.includes(name))
        violations.push(`${file}: vars.${name} is not a contract variable`);
      if (!configVariables.includes(name))
        violations.push(`${file}: vars.${name} missing from .github/actionlint.yaml`);
    }
    for (const [, name = ''] of text.matchAll(/\bsecrets\.([A-Za-z0-9_]+)/g)) {
      if (![...CONTRACT_SECRETS, 'GITHUB_TOKEN'].includes(name)) {
        violations.push(`${file}: secrets.${name} is not a contract secret`);
      }
    }
  }
  return violations;
}

/** Chart versions as pinned in stacks/platform/pinned-charts.ts (`chart` -> `version`). */
export type PinnedVersions = Record<string, string>;

/** The run scripts of the lint job of ci.yml, or undefined without one. */
function lintScript(set: WorkflowSet): string | undefined {
  const lint = set.get(CI)?.workflow.jobs.lint;
  return lint && (lint.steps ?? []).map((step) => step.run ?? '').join('\n');
}

/**
 * The lint job lints and renders the repository's own charts as Terraform installs them: the
 * list .github/scripts/chart-renders.ts prints (every environment; releases payflow,
 * payflow-migrations, platform-resources; values from Terraform; each environment's Kubernetes
 * version from its env.hcl), each `helm lint --strict`, then `helm template` under its own
 * release name through `kubeconform -strict`, helm and kubeconform at the same version. No
 * Kubernetes version is written in the workflow: it would drift from the clusters'.
 */
export function localChartsRendered(set: WorkflowSet): string[] {
  const script = lintScript(set);
  const text = set.get(CI)?.text ?? '';
  if (script === undefined) return [`${CI}: no lint job`];
  const violations: string[] = [];
  if (!/npx tsx \.github\/scripts\/chart-renders\.ts/.test(script))
    violations.push(
      `${CI} lint: the charts to render are not listed by .github/scripts/chart-renders.ts`,
    );
  if (!/helm lint "\$chart" --strict --values "\$values"/.test(script))
    violations.push(`${CI} lint: a render is not linted with helm lint --strict and its values`);
  if (
    !/helm template "\$release" "\$chart" --namespace "\$namespace" --kube-version "\$kube_version"[^|]*--values "\$values" \|\s*kubeconform -strict[^\n]*-kubernetes-version "\$kube_version"/.test(
      script,
    )
  )
    violations.push(
      `${CI} lint: a render is not templated under its release for its cluster's version through kubeconform -strict at that version`,
    );
  for (const [, release = ''] of script.matchAll(/helm template (\S+)/g)) {
    if (release !== '"$release"' && release !== '"$chart"')
      violations.push(`${CI} lint: helm template under the release name ${release}`);
  }
  for (const [, flag, version = ''] of script.matchAll(
    /(--kube-version|-kubernetes-version)\s+(\S+)/g,
  )) {
    if (version !== '"$kube_version"')
      violations.push(`${CI} lint: ${flag} ${version} is not the cluster's version (env.hcl)`);
  }
  if (/KUBERNETES_VERSION/.test(text))
    violations.push(`${CI}: a Kubernetes version is written in the workflow (env.hcl only)`);
  return violations;
}

/**
 * The lint job renders every pinned chart of the platform module from the list
 * .github/scripts/platform-charts.ts prints, so that no chart version is written in the
 * workflow (it would drift).
 */
export function platformChartsRendered(set: WorkflowSet, pinned: PinnedVersions): string[] {
  const violations: string[] = [];
  const ci = set.get(CI);
  const script = lintScript(set);
  if (!ci || script === undefined) return [`${CI}: no lint job`];
  if (!/npx tsx \.github\/scripts\/platform-charts\.ts/.test(script))
    violations.push(
      `${CI} lint: the pinned charts are not listed by .github/scripts/platform-charts.ts`,
    );
  if (
    !/helm template "\$chart" "\$chart" --repo "\$repository" --version "\$version"[\s\S]*?--values "\$static"/.test(
      script,
    )
  )
    violations.push(`${CI} lint: the pinned charts are not rendered with their values files`);
  for (const [chart, version] of Object.entries(pinned)) {
    if (new RegExp(`${chart}[^\\n]*${version.replace(/\./g, '\\.')}`).test(ci.text))
      violations.push(
        `${CI}: ${chart} ${version} is written in the workflow (pinned-charts.ts only)`,
      );
  }
  return violations;
}

/** Debian packages of .ci/run that GitHub's Ubuntu runners already have. */
export const PREINSTALLED_ON_GITHUB_RUNNERS = ['make', 'shellcheck', 'util-linux', 'openssl'];

/**
 * The CI test job runs the same suites as .ci/run, which fail (CI=true) rather than skip when a
 * tool is missing: every package .ci/run installs must be installed by the job too. Ubuntu's
 * PostgreSQL is preinstalled but keeps initdb/pg_ctl off PATH, so its bin directory is added.
 */
export function testJobProvidesCiTools(set: WorkflowSet, ciRun: string): string[] {
  // .ci/run's `installs=( command:package … )` array.
  const array = /^installs=\(\n([\s\S]*?)^\)/m.exec(ciRun)?.[1] ?? '';
  const packages = [...array.matchAll(/^\s*[\w.-]+:([\w.+-]+)/gm)].map(([, name = '']) => name);
  if (packages.length === 0) return ['.ci/run installs no package: did its syntax change?'];
  const lines = (set.get(CI)?.workflow.jobs.test?.steps ?? [])
    .flatMap((step) => (step.run ?? '').split('\n'))
    .map((line) => line.trim());
  const installed = lines
    .filter((line) => /\bapt-get install\b/.test(line))
    .flatMap((line) => line.split(/\s+/));
  const postgresOnPath = lines.some(
    (line) => line.includes('/usr/lib/postgresql') && line.includes('GITHUB_PATH'),
  );
  return packages
    .filter((name) => !PREINSTALLED_ON_GITHUB_RUNNERS.includes(name))
    .filter((name) => (name.startsWith('postgresql') ? !postgresOnPath : !installed.includes(name)))
    .map((name) =>
      name.startsWith('postgresql')
        ? `${CI}: job "test" does not put PostgreSQL's bin directory on GITHUB_PATH (.ci/run installs ${name})`
        : `${CI}: job "test" does not apt-get install ${name} (.ci/run does)`,
    );
}
