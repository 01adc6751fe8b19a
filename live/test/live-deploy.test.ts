// The one-line deploy (make plan/deploy/destroy, live/environment.sh). Nothing here reaches AWS:
// every missing or wrong prerequisite must be named clearly and stop the run before Terragrunt
// starts, and the sequences (deploy, destroy) run against stand-ins for terragrunt, aws and
// kubectl that record their calls and model what AWS holds: the load balancer the Ingresses
// share, the controller's security groups, the monitoring volumes, the control-plane log group.
// The script reads env.hcl with the real node and HCL parser (live/environment-settings.ts).
import { spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { parse } from 'yaml';
import { ENVIRONMENTS } from '../../stacks/lib/module-stack';
import { readSettings } from '../environment-settings';
import {
  KUBERNETES_VERSIONS,
  KUBERNETES_VERSIONS_FILE,
} from '../../stacks/cluster/kubernetes-versions';
import { GRAFANA_LOCAL_URL, GRAFANA_SERVICE } from '../../stacks/platform/grafana-access';

const repoRoot = join(__dirname, '..', '..');
const script = join(repoRoot, 'live', 'environment.sh');

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function run(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  input = '',
  cwd = repoRoot,
): Run {
  // Generous: the HCL parser starts a node process, slow on a busy machine.
  const result = spawnSync(command, args, { cwd, env, input, encoding: 'utf8', timeout: 90_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** A directory of executable stand-ins for the deploy tools (printing versions, identities). */
function toolDir(tools: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'payflow-tools-'));
  for (const [name, body] of Object.entries(tools)) {
    writeFileSync(join(dir, name), `#!/bin/bash\n${body}\n`);
    chmodSync(join(dir, name), 0o755);
  }
  return dir;
}

const repoText = (path: string): string => readFileSync(join(repoRoot, path), 'utf8');

/** root.hcl naming a GitHub repository, as a user deploying from GitHub Actions leaves it. */
const rootHclWithRepository = (repository: string): string =>
  repoText('root.hcl').replace(
    'github_repository = ""',
    `github_repository = ${JSON.stringify(repository)}`,
  );

/** An HCL data file with account_id pinned above its region line. */
const pinAccount = (text: string, account: string): string =>
  text.replace(
    /^ {2}region = "eu-west-3"$/m,
    `  account_id = "${account}"\n  region     = "eu-west-3"`,
  );

/**
 * A copy of the script (and its HCL reader) with its own mise.toml, root.hcl,
 * live/shared/account.hcl and a minimal development env.hcl, so that each file can say another
 * account (or be broken). Without an account, the files pin none, as the repository's do.
 */
function sandbox(accountId?: string, sharedAccountId = accountId): string {
  const root = mkdtempSync(join(tmpdir(), 'payflow-live-'));
  mkdirSync(join(root, 'live', 'development'), { recursive: true });
  mkdirSync(join(root, 'live', 'shared'), { recursive: true });
  cpSync(script, join(root, 'live', 'environment.sh'));
  for (const file of ['environment-settings.ts', 'tag-image.sh']) {
    cpSync(join(repoRoot, 'live', file), join(root, 'live', file));
  }
  symlinkSync(join(repoRoot, 'node_modules'), join(root, 'node_modules'));
  cpSync(join(repoRoot, 'mise.toml'), join(root, 'mise.toml'));
  mkdirSync(join(root, 'stacks', 'cluster'), { recursive: true });
  cpSync(KUBERNETES_VERSIONS_FILE, join(root, 'stacks', 'cluster', 'kubernetes-versions.tsv'));
  writeFileSync(join(root, 'root.hcl'), repoText('root.hcl'));
  const account = repoText('live/shared/account.hcl');
  writeFileSync(
    join(root, 'live', 'shared', 'account.hcl'),
    sharedAccountId ? pinAccount(account, sharedAccountId) : account,
  );
  writeFileSync(
    join(root, 'live', 'development', 'env.hcl'),
    `locals {\n  environment = "development"\n${accountId ? `  account_id  = "${accountId}"\n` : ''}  region      = "eu-west-3"\n  dns = {\n    zone = "example.org"\n  }\n}\n`,
  );
  return root;
}

/**
 * The AWS CLI. Answers from FAKE_* variables: FAKE_ACCOUNT and FAKE_CALLER_ARN (the identity),
 * FAKE_NO_CREDENTIALS, FAKE_QUOTA_<code with _> (Service Quotas, default 64), FAKE_NO_QUOTAS,
 * FAKE_INSTANCES and FAKE_ADDRESSES (describe-* text output), the public hosted zone example.org; bash builtins only, since some
 * tests give the script no other command. With FAKE_STATE it logs every call
 * and models, with files there: the load balancer while an ingress-* exists; security groups
 * sg-* and volumes vol-* (content: the cluster or environment they belong to); the cluster while
 * "cluster" exists; the log group named in "log-group". Security groups cannot be deleted while
 * the cluster layer stands (its groups refer to them) or once while a busy-<group> exists; volumes
 * are available once the cluster layer is destroyed. `ssm start-session` models the SSM tunnel:
 * open (tunnel-open) until the script ends it, or refused (tunnel-refused). ECR holds the tags
 * image-<tag>; batch-get-image of a missing one prints None, as the real CLI's --query does.
 * The load balancer also outlives its Ingresses with load-balancer-stuck; the tagging API still
 * lists it once deleted with tagging-stale (it is eventually consistent, ELB's waiter is not).
 * describe-load-balancer-attributes is throttled once with attributes-throttled-once.
 */
const fakeAws = `[ "$1" = --version ] && { echo "aws-cli/2.27.50 Python/3.13"; exit 0; }
state="\${FAKE_STATE:-/nonexistent}"
[ -d "$state" ] && echo "aws $*" >>"$state/log"
account="\${FAKE_ACCOUNT:-111111111111}"
arg() { local name="$1"; shift; while [ $# -gt 0 ]; do [ "$1" = "$name" ] && { echo "$2"; return; }; shift; done; }
filter() { local name="$1"; shift; for a in "$@"; do case "$a" in "Name=$name,Values="*) echo "\${a#*,Values=}"; return ;; esac; done; }
owned() { for f in "$state"/$1; do [ -e "$f" ] && [ "$(<"$f")" = "$2" ] && printf '%s\\t' "\${f##*/}"; done; echo; }
case "$1 $2" in
  "sts get-caller-identity")
    [ -n "\${FAKE_NO_CREDENTIALS:-}" ] && { echo 'Unable to locate credentials. You can configure credentials by running "aws configure".' >&2; exit 255; }
    printf '%s\\t%s\\n' "$account" "\${FAKE_CALLER_ARN:-arn:aws:sts::$account:assumed-role/AWSReservedSSO_AdministratorAccess_0123456789abcdef/you@example.com}" ;;
  "service-quotas get-service-quota" | "service-quotas get-aws-default-service-quota")
    [ -n "\${FAKE_NO_QUOTAS:-}" ] && { echo "An error occurred (AccessDeniedException)" >&2; exit 254; }
    code="$(arg --quota-code "$@")"; var="FAKE_QUOTA_\${code//-/_}"; echo "\${!var:-64.0}" ;;
  "ec2 describe-instance-types")
    on=""; for a in "$@"; do case "$a" in --instance-types) on=1 ;; --*) on="" ;; *) [ -n "$on" ] && { case "$a" in *.xlarge) v=4 ;; *.2xlarge) v=8 ;; *) v=2 ;; esac; printf '%s\\t%s\\n' "$a" "$v"; } ;; esac; done ;;
  "ec2 describe-instances") printf '%b' "\${FAKE_INSTANCES:-}" ;;
  "ec2 describe-addresses") printf '%b' "\${FAKE_ADDRESSES:-}" ;;
  "ec2 describe-security-groups") owned 'sg-*' "$(filter tag:elbv2.k8s.aws/cluster "$@")" ;;
  "ec2 delete-security-group")
    group="$(arg --group-id "$@")"
    if [ -e "$state/busy-$group" ] || [ ! -e "$state/cluster-destroyed" ]; then
      rm -f "$state/busy-$group"
      echo "An error occurred (DependencyViolation): resource $group has a dependent object" >&2; exit 254
    fi
    rm -f "$state/$group" ;;
  "ec2 describe-volumes") [ -e "$state/cluster-destroyed" ] && owned 'vol-*' "$(filter tag:Environment "$@")" ;;
  "ec2 delete-volume") rm -f "$state/$(arg --volume-id "$@")" ;;
  "ecr describe-images")
    tag="$(arg --image-ids "$@")"
    [ -e "$state/image-\${tag#imageTag=}" ] || { echo "An error occurred (ImageNotFoundException)" >&2; exit 254; } ;;
  "ecr batch-get-image")
    tag="$(arg --image-ids "$@")"
    if [ ! -e "$state/image-\${tag#imageTag=}" ]; then echo None
    elif [ "$(arg --query "$@")" = "images[0].imageManifestMediaType" ]; then echo application/vnd.oci.image.index.v1+json
    else echo '{"schemaVersion":2}'; fi ;;
  "ecr put-image")
    [ "$(arg --image-manifest "$@")" = None ] && { echo "An error occurred (InvalidParameterException): Invalid parameter at 'imageManifest'" >&2; exit 254; }
    : >"$state/image-$(arg --image-tag "$@")" ;;
  "logs describe-log-groups")
    [ -e "$state/log-group" ] && [ "$(<"$state/log-group")" = "$(arg --log-group-name-prefix "$@")" ] && echo "$(<"$state/log-group")" ;;
  "logs delete-log-group") rm -f "$state/log-group" ;;
  "eks describe-cluster")
    [ -e "$state/cluster" ] || { echo "An error occurred (ResourceNotFoundException): No cluster found" >&2; exit 254; } ;;
  "ssm start-session")
    [ -e "$state/tunnel-refused" ] && {
      echo "An error occurred (TargetNotConnected) when calling the StartSession operation: i-0123456789abcdef0 is not connected." >&2
      exit 254
    }
    trap 'echo "ssm session ended" >>"$state/log"; rm -f "$state/tunnel-open"; exit 0' TERM
    /bin/sleep 300 &
    echo $! >"$state/session-sleep.pid"
    echo "Starting session with SessionId: deployer-0123456789abcdef0"
    : >"$state/tunnel-open"
    wait $! ;;
  "route53 list-hosted-zones-by-name")
    # The account's public zone (the sandbox env.hcl's dns.zone); none with no-hosted-zone.
    [ -e "$state/no-hosted-zone" ] && { printf 'other.org.\\tFalse\\n'; exit 0; }
    printf 'example.org.\\tFalse\\n' ;;
  "elbv2 describe-load-balancer-attributes")
    [ -e "$state/attributes-throttled-once" ] && {
      rm -f "$state/attributes-throttled-once"
      echo "An error occurred (Throttling) when calling the DescribeLoadBalancerAttributes operation: Rate exceeded" >&2; exit 254
    }
    # Deletion protection is on until the controller read the annotation kubectl changed.
    if [ -e "$state/protection-lifted" ]; then echo false; else echo true; fi ;;
  "elbv2 wait")
    if compgen -G "$state/ingress-*" >/dev/null || [ -e "$state/load-balancer-stuck" ]; then
      echo "Waiter LoadBalancersDeleted failed: Max attempts exceeded" >&2; exit 255
    fi ;;
  "resourcegroupstaggingapi get-resources")
    if compgen -G "$state/ingress-*" >/dev/null || [ -e "$state/load-balancer-stuck" ] || [ -e "$state/tagging-stale" ]; then
      echo "arn:aws:elasticloadbalancing:eu-west-3:111111111111:loadbalancer/app/k8s-payflow-0123456789/0123456789abcdef"
    else
      echo None
    fi ;;
esac
exit 0`;

/** What is on a deployer's PATH; node is the real one: it reads env.hcl. */
const current: Record<string, string> = {
  terraform: 'echo "Terraform v1.11.4"',
  terragrunt: 'echo "terragrunt version v0.99.5"',
  kubectl: 'echo "Client Version: v1.36.2"',
  helm: 'echo "v3.18.4+g1234567"',
  // -e: the free local port the tunnel asks the operating system for, always the same here.
  node: `[ "$1" = -e ] && { echo 41234; exit 0; }; exec ${JSON.stringify(process.execPath)} "$@"`,
  npm: 'echo 11.0.0',
  'session-manager-plugin': 'echo "The Session Manager plugin was installed successfully."',
  aws: fakeAws,
};

describe('one-line deploy: failure paths (make plan/deploy/destroy, live/environment.sh)', function () {
  // Several runs of the script per test, each starting node for the HCL parser: no speed limit.
  this.timeout(600_000);
  const cleanup: string[] = [];
  after(function () {
    for (const dir of cleanup) rmSync(dir, { recursive: true, force: true });
  });

  /** preflight development in a sandbox, with the current tools unless replaced. */
  const preflight = (root: string, tools: string, env: NodeJS.ProcessEnv = {}): Run =>
    run('/bin/bash', [join(root, 'live', 'environment.sh'), 'preflight', 'development'], {
      PATH: tools,
      IMAGE_TAG: 'abc123',
      ...env,
    });

  it('make deploy ENV=nope stops before anything runs, naming the environments', function () {
    for (const target of [
      'plan',
      'deploy',
      'destroy',
      'outputs',
      'kubeconfig',
      'tunnel',
      'grafana',
    ]) {
      const result = run('make', ['--no-print-directory', target, 'ENV=nope'], process.env);
      expect(result.status, target).to.equal(2);
      expect(result.stderr, target).to.include(
        "ENV='nope' is not an environment: use one of development staging production",
      );
    }
  });

  it('the script refuses an unknown environment and an unknown action', function () {
    const unknownEnv = run('/bin/bash', [script, 'deploy', 'prod'], { PATH: '/nonexistent' });
    expect(unknownEnv.status).to.equal(1);
    expect(unknownEnv.stderr).to.include(
      "unknown environment 'prod': use one of development staging production",
    );
    const unknownAction = run('/bin/bash', [script, 'upgrade', 'development'], {
      PATH: '/nonexistent',
    });
    expect(unknownAction.status).to.equal(2);
    expect(unknownAction.stderr).to.include('usage: live/environment.sh');
  });

  it('preflight on a machine without any tool names every missing thing', function () {
    const empty = mkdtempSync(join(tmpdir(), 'payflow-empty-path-'));
    cleanup.push(empty);
    const result = run('/bin/bash', [script, 'preflight', 'development'], {
      PATH: empty,
      HOME: empty,
    });
    expect(result.status).to.equal(1);
    const expected = [
      'terraform is not installed (mise.toml pins terraform 1.11.4)',
      'terragrunt is not installed (mise.toml pins terragrunt 0.99.5)',
      'aws is not installed (mise.toml pins awscli',
      'kubectl is not installed',
      'npm is not installed',
      'curl is not installed',
      'docker is not installed',
      'node is not installed: Node.js >= 24.11 reads live/development/env.hcl',
      'session-manager-plugin is not installed: make deploy reaches the private Kubernetes API through an SSM tunnel; install it: https://docs.aws.amazon.com/systems-manager/latest/userguide/session-manager-working-with-install-plugin.html',
    ];
    for (const line of expected) expect(result.stderr).to.include(line);
    // Terraform installs the Helm releases: a missing helm is worth a warning, not a stop.
    expect(result.stderr).to.include('warning: helm is not installed');
    expect(result.stderr).not.to.match(/ {2}- helm is not installed/);
    expect(result.stderr).to.include(
      `preflight for deploy development found ${expected.length} problem(s)`,
    );
  });

  it('preflight rejects tools older than mise.toml and warns about newer ones', function () {
    const tools = toolDir({
      ...current,
      terraform: 'echo "Terraform v1.10.5"',
      helm: 'echo "v3.19.0+g1234567"',
      aws: fakeAws.replace('aws-cli/2.27.50 Python/3.13', 'aws-cli/1.45.11 Python/3.11'),
    });
    const root = sandbox('111111111111');
    cleanup.push(tools, root);
    const result = preflight(root, tools);
    expect(result.stderr).to.include(
      "terraform 1.10.5 is older than 1.11.4 pinned in mise.toml: run 'mise install'",
    );
    expect(result.stderr).to.match(/aws 1\.45\.11 is older than 2\.\d+\.\d+ pinned in mise.toml/);
    expect(result.stderr).to.include('warning: helm 3.19.0 is newer than 3.18.4');
    expect(result.stderr).not.to.include('terragrunt');
    expect(result.status).to.equal(1);
  });

  it('preflight names the AWS account mismatch and missing credentials', function () {
    const root = sandbox('111111111111');
    const tools = toolDir(current);
    cleanup.push(root, tools);
    const mismatch = preflight(root, tools, { FAKE_ACCOUNT: '222222222222' });
    expect(mismatch.status).to.equal(1);
    expect(mismatch.stderr).to.include(
      'you are logged in to AWS account 222222222222 but live/development/env.hcl says 111111111111',
    );
    const anonymous = preflight(root, tools, { FAKE_NO_CREDENTIALS: '1' });
    expect(anonymous.status).to.equal(1);
    expect(anonymous.stderr).to.include(
      'no usable AWS credentials (aws sts get-caller-identity failed: Unable to locate credentials.',
    );
    expect(anonymous.stderr).to.include("run 'aws configure sso'");
  });

  it('preflight passes when everything matches (then the real work would start)', function () {
    const root = sandbox('111111111111');
    const tools = toolDir({ ...current, curl: 'exit 0' });
    cleanup.push(root, tools);
    const result = preflight(root, tools);
    // The sandbox env.hcl has no domain or certificate placeholder; only the account matters here.
    expect(result.stderr).to.equal('');
    expect(result.stdout).to.include(
      'preflight ok: tools, AWS account 111111111111, region eu-west-3, state bucket payflow-tfstate-111111111111-eu-west-3',
    );
    expect(result.status).to.equal(0);
  });

  it("preflight of the repository's own development env.hcl asks a newcomer for nothing", function () {
    const root = sandbox();
    const tools = toolDir({ ...current, curl: 'exit 0' });
    cleanup.push(root, tools);
    writeFileSync(
      join(root, 'live', 'development', 'env.hcl'),
      repoText('live/development/env.hcl'),
    );
    // The Kubernetes support warning counts from this date, never from the real one.
    const result = preflight(root, tools, { PAYFLOW_TODAY: '2026-12-03' });
    // No account id, domain, certificate, GitHub repository or administrator ARN to fill in: the
    // one line is a warning that development without dns.zone is plain HTTP.
    expect(result.stderr.trim().split('\n')).to.deep.equal([
      "warning: live/development/env.hcl has no dns.zone: the API will answer plain HTTP on the load balancer's own name; set dns.zone to a Route 53 hosted zone of the account for https:// (live/README.md, 'The public address: DNS and TLS')",
    ]);
    expect(result.stdout).to.include('preflight ok: tools, AWS account 111111111111');
    expect(result.status).to.equal(0);
  });

  it('without account_id in env.hcl and account.hcl, the account is the one of the credentials', function () {
    const root = sandbox();
    const tools = toolDir({ ...current, curl: 'exit 0' });
    cleanup.push(root, tools);
    const result = preflight(root, tools, { FAKE_ACCOUNT: '333333333333' });
    expect(result.stderr).to.equal('');
    expect(result.stdout).to.include(
      "AWS account 333333333333 (your credentials'; env.hcl pins none), region eu-west-3, state bucket payflow-tfstate-333333333333-eu-west-3",
    );
    expect(result.status).to.equal(0);
  });

  it('preflight checks live/shared/account.hcl and the state bucket root.hcl names, like env.hcl', function () {
    const tools = toolDir({ ...current, curl: 'exit 0' });
    const root = sandbox('111111111111', '123456789012');
    cleanup.push(tools, root);
    expect(preflight(root, tools).stderr).to.include(
      'live/shared/account.hcl still has the placeholder account_id 123456789012: set the 12-digit id of the account holding the ECR repository',
    );

    const account = join(root, 'live', 'shared', 'account.hcl');
    writeFileSync(
      account,
      pinAccount(repoText('live/shared/account.hcl'), '1111-2222').replace(
        'region     = "eu-west-3"',
        'region     = "paris"',
      ),
    );
    const malformed = preflight(root, tools);
    expect(malformed.stderr).to.include(
      "live/shared/account.hcl has account_id '1111-2222', not a 12-digit AWS account id",
    );
    expect(malformed.stderr).to.include(
      'live/shared/account.hcl has region \'paris\', not an AWS region name (e.g. region = "eu-west-3")',
    );
    expect(malformed.status).to.equal(1);

    // Logged in to 111111111111, the shared unit said to live in 222222222222.
    writeFileSync(account, pinAccount(repoText('live/shared/account.hcl'), '222222222222'));
    expect(preflight(root, tools).stderr).to.include(
      'you are logged in to AWS account 111111111111 but live/shared/account.hcl says 222222222222: make deploy applies live/shared/global with these credentials',
    );
    rmSync(account);
    expect(preflight(root, tools).stderr).to.include('live/shared/account.hcl is missing');

    writeFileSync(account, repoText('live/shared/account.hcl'));
    // A project that makes the state bucket name invalid for S3 (uppercase, too long).
    writeFileSync(
      join(root, 'root.hcl'),
      repoText('root.hcl').replace(
        'project = "payflow"',
        'project = "PayFlow-Platform-Of-The-Acme-Corporation"',
      ),
    );
    const badBucket = preflight(root, tools);
    expect(badBucket.stderr).to.include(
      "root.hcl names the state bucket of live/development 'PayFlow-Platform-Of-The-Acme-Corporation-tfstate-111111111111-eu-west-3', not a valid S3 bucket name",
    );
    expect(badBucket.status).to.equal(1);
  });

  it('a laptop deploy needs no GitHub repository; one that is set must be where CI runs', function () {
    const tools = toolDir({ ...current, curl: 'exit 0' });
    const root = sandbox('111111111111');
    cleanup.push(tools, root);
    // The repository's root.hcl names none: nothing to fill in, no GitHub roles.
    expect(repoText('root.hcl')).to.match(/^ {2}github_repository = ""$/m);
    expect(preflight(root, tools).status).to.equal(0);

    writeFileSync(join(root, 'root.hcl'), rootHclWithRepository('acme/payflow'));
    expect(preflight(root, tools, { GITHUB_REPOSITORY: 'acme/payflow' }).status).to.equal(0);
    expect(preflight(root, tools, { GITHUB_REPOSITORY: 'someone/fork' }).stderr).to.include(
      "root.hcl says github_repository 'acme/payflow' but this runs in the GitHub repository someone/fork",
    );
    // SKIP_SHARED=1 leaves live/shared/global (and so the roles' trust) alone.
    const skipping = preflight(root, tools, {
      GITHUB_REPOSITORY: 'someone/fork',
      SKIP_SHARED: '1',
    });
    expect(skipping.stderr).to.equal('');
    expect(skipping.status).to.equal(0);

    writeFileSync(join(root, 'root.hcl'), rootHclWithRepository('payflow-platform'));
    expect(preflight(root, tools).stderr).to.include(
      "root.hcl has github_repository 'payflow-platform', not owner/name",
    );
  });

  it('preflight warns, one line, when the pinned Kubernetes version leaves standard support within 60 days', function () {
    const tools = toolDir({ ...current, curl: 'exit 0' });
    const root = sandbox('111111111111');
    cleanup.push(tools, root);
    const newest = KUBERNETES_VERSIONS[KUBERNETES_VERSIONS.length - 1];
    if (!newest) throw new Error('stacks/cluster/kubernetes-versions.tsv lists no version');
    const pin = (version: string) =>
      writeFileSync(
        join(root, 'live', 'development', 'env.hcl'),
        `locals {\n  environment = "development"\n  account_id  = "111111111111"\n  region      = "eu-west-3"\n  cluster = {\n    cluster_version = "${version}"\n  }\n}\n`,
      );
    /** The day `offset` days after the end of standard support, as YYYY-MM-DD. */
    const day = (offset: number) =>
      new Date(Date.parse(`${newest.standardSupportEnd}T00:00:00Z`) + offset * 86_400_000)
        .toISOString()
        .slice(0, 10);
    const preflightOn = (today: string): Run =>
      run('/bin/bash', [join(root, 'live', 'environment.sh'), 'preflight', 'development'], {
        PATH: `${tools}:/usr/bin:/bin`,
        IMAGE_TAG: 'abc123',
        PAYFLOW_TODAY: today,
      });
    const supportLines = (result: Run) =>
      result.stderr.split('\n').filter((line) => line.includes('standard support'));

    pin(newest.version);
    const early = preflightOn(day(-61));
    expect(supportLines(early)).to.deep.equal([]);
    expect(early.status).to.equal(0);
    const soon = preflightOn(day(-60));
    expect(supportLines(soon)).to.deep.equal([
      `warning: Kubernetes ${newest.version} (live/development/env.hcl) leaves EKS standard support on ${newest.standardSupportEnd}, in 60 days: raise cluster.cluster_version by one minor version (stacks/cluster/kubernetes-versions.tsv)`,
    ]);
    expect(soon.status, 'a warning, not a problem').to.equal(0);
    expect(supportLines(preflightOn(day(1)))).to.deep.equal([
      `warning: Kubernetes ${newest.version} (live/development/env.hcl) left EKS standard support on ${newest.standardSupportEnd}: EKS upgrades the control plane by itself (extended support ends ${newest.extendedSupportEnd}); raise cluster.cluster_version by one minor version`,
    ]);

    expect(preflightOn('next week').stderr).to.include(
      'PAYFLOW_TODAY=next week is not a date such as 2026-12-03',
    );

    pin('1.29');
    const unknown = preflightOn(day(-200));
    expect(unknown.stderr).to.include(
      `live/development/env.hcl pins Kubernetes 1.29, which EKS does not offer (stacks/cluster/kubernetes-versions.tsv lists ${KUBERNETES_VERSIONS.map((v) => v.version).join(' ')})`,
    );
    expect(unknown.status).to.equal(1);
  });

  it('preflight only warns about a missing helm: nothing in make deploy runs it', function () {
    const withoutHelm: Record<string, string> = { ...current, curl: 'exit 0' };
    delete withoutHelm.helm;
    const tools = toolDir(withoutHelm);
    const root = sandbox('111111111111');
    cleanup.push(tools, root);
    const result = preflight(root, tools);
    expect(result.stderr).to.include(
      'warning: helm is not installed (mise.toml pins helm 3.18.4): make deploy does not use it',
    );
    expect(result.stdout).to.include('preflight ok');
    expect(result.status).to.equal(0);
    const script = readFileSync(join(root, 'live', 'environment.sh'), 'utf8');
    // The check would have to become a problem again if the script ever ran helm itself.
    expect(
      script.split('\n').filter((line) => /^\s*helm\s+(?!version --short)/.test(line)),
    ).to.deep.equal([]);
  });

  it('preflight asks a Docker engine, not only the docker command (unless IMAGE_TAG is given)', function () {
    const root = sandbox('111111111111');
    const stopped = toolDir({
      ...current,
      curl: 'exit 0',
      docker:
        '[ "$1" = info ] && { echo "Cannot connect to the Docker daemon" >&2; exit 1; }; exit 0',
    });
    const running = toolDir({ ...current, curl: 'exit 0', docker: 'exit 0' });
    cleanup.push(root, stopped, running);
    const down = preflight(root, stopped, { IMAGE_TAG: '' });
    expect(down.status).to.equal(1);
    expect(down.stderr).to.include(
      'no Docker engine answers (docker info failed): start Docker Desktop or the docker service',
    );
    expect(preflight(root, stopped).status, 'IMAGE_TAG: no build').to.equal(0);
    expect(preflight(root, running, { IMAGE_TAG: '' }).status).to.equal(0);
  });

  it('preflight refuses identities EKS cannot make a cluster administrator, and names the one it will', function () {
    const root = sandbox('111111111111');
    const tools = toolDir({ ...current, curl: 'exit 0' });
    cleanup.push(root, tools);
    const as = (arn: string): Run => preflight(root, tools, { FAKE_CALLER_ARN: arn });
    expect(as('arn:aws:iam::111111111111:root').stderr).to.include(
      'you are signed in as the root user of account 111111111111, which EKS cannot make a cluster administrator',
    );
    expect(as('arn:aws:sts::111111111111:federated-user/bob').stderr).to.include(
      'you are signed in as a federated user',
    );
    expect(
      as('arn:aws:sts::111111111111:assumed-role/payflow-production-github-plan/run-1').stderr,
    ).to.include('you are signed in with the read-only GitHub plan role');
    const sso = as(
      'arn:aws:sts::111111111111:assumed-role/AWSReservedSSO_Admin_0123456789abcdef/you@example.com',
    );
    expect(sso.status, sso.stderr).to.equal(0);
    expect(sso.stdout).to.include(
      'cluster admin: arn:aws:sts::111111111111:assumed-role/AWSReservedSSO_Admin_0123456789abcdef/you@example.com (the cluster layer grants the role behind it)',
    );
  });

  /** A sandbox whose development env.hcl is the repository's (node sizes, NAT gateways). */
  const realEnvironment = (environment = 'development'): string => {
    const root = sandbox();
    mkdirSync(join(root, 'live', environment), { recursive: true });
    writeFileSync(
      join(root, 'live', environment, 'env.hcl'),
      repoText(`live/${environment}/env.hcl`)
        .replace(/^ {2}account_id = "\d+"$/m, '  account_id = "111111111111"')
        .replaceAll('example.com', 'example.org')
        .replaceAll('00000000-0000-0000-0000-000000000000', '11111111-2222-3333-4444-555555555555')
        .replaceAll('203.0.113.10/32', '198.51.100.7/32'),
    );
    return root;
  };

  it('preflight compares the vCPUs the nodes can scale to with the Spot or On-Demand quota', function () {
    const root = realEnvironment();
    const tools = toolDir({ ...current, curl: 'exit 0' });
    cleanup.push(root, tools);
    // development: SPOT, node_max_size 4 x t3.large (2 vCPUs) = 8 vCPUs.
    const env = { FAKE_QUOTA_L_34B43A08: '10.0' };
    const enough = preflight(root, tools, env);
    expect(enough.status, enough.stderr).to.equal(0);
    expect(enough.stdout).to.include(
      'quotas ok: 8 of 10 free Spot vCPUs, 1 of 64 free Elastic IPs',
    );

    // Another workload's Spot m5.xlarge (4 vCPUs) takes them; this cluster's own node does not
    // count (a redeploy replaces it), nor does an On-Demand instance.
    const busy = preflight(root, tools, {
      ...env,
      FAKE_INSTANCES:
        'm5.xlarge\\tspot\\tNone\\nt3.large\\tspot\\tpayflow-development\\nc5.large\\tNone\\tNone\\n',
    });
    expect(busy.status).to.equal(1);
    expect(busy.stderr).to.include(
      "live/development/env.hcl lets the nodes scale to 4 x 2 = 8 vCPUs of Spot capacity, but the EC2 quota 'All Standard (A, C, D, H, I, M, R, T, Z) Spot Instance Requests' (L-34B43A08) leaves 6 of 10 free in eu-west-3: request an increase",
    );
    expect(busy.stderr).to.include('or lower cluster.node_max_size');

    // Service Quotas unreadable (no permission): a warning, the deploy is not blocked.
    const unreadable = preflight(root, tools, { FAKE_NO_QUOTAS: '1' });
    expect(unreadable.status).to.equal(0);
    expect(unreadable.stderr).to.include(
      'warning: could not compare the vCPUs of live/development/env.hcl with the EC2 quota L-34B43A08',
    );
  });

  it('preflight counts On-Demand vCPUs and one Elastic IP per NAT gateway for production', function () {
    const root = realEnvironment('production');
    const tools = toolDir({ ...current, curl: 'exit 0' });
    cleanup.push(root, tools);
    const check = (env: NodeJS.ProcessEnv): Run => runPreflight(root, tools, 'production', env);
    // production: ON_DEMAND, 9 x m6i.large = 18 vCPUs; 3 NAT gateways (one per AZ).
    const small = check({
      FAKE_QUOTA_L_1216C47A: '16.0',
      FAKE_QUOTA_L_0263D0A3: '5.0',
      FAKE_ADDRESSES:
        'other\\tNone\\nNone\\tNone\\npayflow\\tstaging\\npayflow\\tproduction\\npayflow\\tproduction\\n',
    });
    expect(small.status).to.equal(1);
    expect(small.stderr).to.include(
      "lets the nodes scale to 9 x 2 = 18 vCPUs of On-Demand capacity, but the EC2 quota 'Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances' (L-1216C47A) leaves 16 of 16 free",
    );
    // Three addresses of others are used; production's own two are not counted.
    expect(small.stderr).to.include(
      "live/production/env.hcl needs 3 Elastic IP(s), one per NAT gateway, but the quota 'EC2-VPC Elastic IPs' (L-0263D0A3) leaves 2 of 5 free in eu-west-3",
    );
    expect(small.stderr).to.include('or set network.single_nat_gateway = true');
    const enough = check({ FAKE_QUOTA_L_1216C47A: '32.0' });
    expect(enough.status, enough.stderr).to.equal(0);
    expect(enough.stdout).to.include('18 of 32 free On-Demand vCPUs, 3 of 64 free Elastic IPs');
  });

  it('preflight names a control-plane log group left without its cluster', function () {
    const root = realEnvironment();
    const state = mkdtempSync(join(tmpdir(), 'payflow-cloud-'));
    const tools = toolDir({ ...current, curl: 'exit 0' });
    cleanup.push(root, state, tools);
    writeFileSync(join(state, 'log-group'), '/aws/eks/payflow-development/cluster');
    const left = preflight(root, tools, { FAKE_STATE: state });
    expect(left.status).to.equal(1);
    expect(left.stderr).to.include(
      'the log group /aws/eks/payflow-development/cluster exists without its cluster (left by a destroyed cluster; the cluster layer would fail to create it): aws logs delete-log-group --log-group-name /aws/eks/payflow-development/cluster',
    );
    // With the cluster there, the group is its own.
    writeFileSync(join(state, 'cluster'), '');
    expect(preflight(root, tools, { FAKE_STATE: state }).status).to.equal(0);
  });

  it('destroy refuses production without CONFIRM_PRODUCTION_DESTROY=yes', function () {
    const result = run(
      '/bin/bash',
      [script, 'destroy', 'production'],
      { PATH: '/nonexistent' },
      'production\n',
    );
    expect(result.status).to.equal(1);
    expect(result.stderr).to.include(
      'refusing to destroy production: run again with CONFIRM_PRODUCTION_DESTROY=yes',
    );
  });

  it('destroy stops unless the environment name is typed back', function () {
    const tools = toolDir({ node: current.node ?? '' });
    cleanup.push(tools);
    for (const typed of ['', 'yes\n', 'staging\n']) {
      const result = run('/bin/bash', [script, 'destroy', 'development'], { PATH: tools }, typed);
      expect(result.status, JSON.stringify(typed)).to.equal(1);
      expect(result.stdout).to.include('Type the environment name (development) to confirm');
      expect(result.stderr).to.include("not 'development'; nothing was destroyed");
    }
  });

  it('destroy stops, destroying nothing, when env.hcl cannot be read', function () {
    const result = run('/bin/bash', [script, 'destroy', 'development'], { PATH: '/nonexistent' });
    expect(result.status).to.equal(1);
    expect(result.stderr).to.include(
      'node is not installed: Node.js >= 24.11 reads live/development/env.hcl',
    );
    expect(result.stderr).to.include('nothing was destroyed');
  });

  it('live/environment.sh is shellcheck-clean', function () {
    const version = spawnSync('shellcheck', ['--version'], { encoding: 'utf8' });
    if (version.status !== 0) {
      if (process.env.CI) throw new Error('shellcheck is required in CI');
      console.warn('  !!! shellcheck not found: live/environment.sh NOT linted');
      this.skip();
    }
    const result = run('shellcheck', ['--severity=style', script], process.env);
    expect(result.stdout + result.stderr).to.equal('');
    expect(result.status).to.equal(0);
  });
});

/** preflight of any environment in a sandbox. */
function runPreflight(
  root: string,
  tools: string,
  environment: string,
  env: NodeJS.ProcessEnv = {},
): Run {
  return run('/bin/bash', [join(root, 'live', 'environment.sh'), 'preflight', environment], {
    PATH: tools,
    IMAGE_TAG: 'abc123',
    ...env,
  });
}

describe('live/environment-settings.ts: env.hcl through an HCL parser', function () {
  it('keeps each value under its full path: database.deletion_protection is not cluster.deletion_protection', async function () {
    const root = mkdtempSync(join(tmpdir(), 'payflow-settings-'));
    try {
      mkdirSync(join(root, 'live', 'qa'), { recursive: true });
      writeFileSync(
        join(root, 'live', 'qa', 'env.hcl'),
        [
          'locals {',
          '  region = "eu-west-3"',
          '  cluster = { deletion_protection = false, node_instance_types = ["t3.large", "m5.large"] }',
          '  database = {',
          '    deletion_protection = true # "false" in a comment is not a value',
          '  }',
          '  alarms = { alarm_email_addresses = [] }',
          '  notes = ["two words", "x"]',
          '}',
          '',
        ].join('\n'),
      );
      const settings = await readSettings(root, 'qa');
      expect(settings.get('env.cluster.deletion_protection')).to.equal('false');
      expect(settings.get('env.database.deletion_protection')).to.equal('true');
      expect(settings.get('env.cluster.node_instance_types')).to.equal('t3.large m5.large');
      expect(settings.get('env.alarms.alarm_email_addresses')).to.equal('');
      // What a space would split is kept whole, as JSON.
      expect(settings.get('env.notes')).to.equal('["two words","x"]');
      expect(settings.has('account.region'), 'no account.hcl here').to.equal(false);

      writeFileSync(join(root, 'live', 'qa', 'env.hcl'), 'locals {\n  region = \n');
      let error = '';
      await readSettings(root, 'qa').catch((e: Error) => (error = e.message));
      expect(error).to.match(/^live\/qa\/env\.hcl: /);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

/**
 * Stand-ins for the cloud side of make deploy/destroy. They append every call to $FAKE_STATE/log
 * (with the unit folder and the DECOMMISSION and TF_PLUGIN_CACHE_DIR they saw) and model what AWS
 * holds (fakeAws above). The app layer's destroy removes the API's Ingress; kubectl delete
 * removes the rest, unless the platform layer (the load balancer controller) is gone, in which
 * case nothing ever removes them. Destroying the cluster layer lets EKS write the control-plane
 * log group again; the network layer cannot be destroyed while a security group is in its VPC.
 */
const cloudTools: Record<string, string> = {
  ...current,
  // With --connect-to: the tunnel check, which (like curl --retry) waits for the session.
  curl: `echo "curl $*" >>"$FAKE_STATE/log"
case "$*" in
  */ready) [ -e "$FAKE_STATE/api-down" ] && { echo "curl: (22) The requested URL returned error: 503" >&2; exit 22; } ;;
esac
case " $* " in
  *" --connect-to "*)
    for attempt in $(seq 100); do
      [ -e "$FAKE_STATE/tunnel-refused" ] && break
      [ -e "$FAKE_STATE/tunnel-open" ] && exit 0
      /bin/sleep 0.1
    done
    echo "curl: (7) Failed to connect to 127.0.0.1 port 41234" >&2
    exit 7 ;;
esac
echo '{"status":"ok"}'`,
  sleep: 'echo "sleep $*" >>"$FAKE_STATE/log"',
  npm: 'echo "npm $*" >>"$FAKE_STATE/log"',
  terragrunt: `[ "$1" = --version ] && { echo "terragrunt version v0.99.5"; exit 0; }
unit="\${PWD#"$PAYFLOW_ROOT"/}"
environment="\${unit#live/}"; environment="\${environment%%/*}"
open=no; [ -e "$FAKE_STATE/tunnel-open" ] && open=yes
echo "terragrunt $unit $* DECOMMISSION=\${DECOMMISSION-unset} TF_PLUGIN_CACHE_DIR=\${TF_PLUGIN_CACHE_DIR-unset} OPEN=$open TUNNEL=\${PAYFLOW_CLUSTER_TUNNEL_URL-unset}" >>"$FAKE_STATE/log"
case "$*" in
  "output -raw cluster_name")
    [ -e "$FAKE_STATE/cluster" ] || { echo "Error: Output \\"cluster_name\\" not found" >&2; exit 1; }
    echo "payflow-$environment" ;;
  "output -raw cluster_arn") echo "arn:aws:eks:eu-west-3:111111111111:cluster/payflow-$environment" ;;
  "output -raw cluster_endpoint") echo "https://0123456789ABCDEF.gr7.eu-west-3.eks.amazonaws.com" ;;
  "output -raw cluster_certificate_authority_data") echo "ZmFrZSBjbHVzdGVyIENB" ;;
  "output -raw cluster_access_instance_id")
    [ -e "$FAKE_STATE/cluster" ] && [ ! -e "$FAKE_STATE/no-cluster" ] || { echo "Error: Output \\"cluster_access_instance_id\\" not found" >&2; exit 1; }
    echo "i-0123456789abcdef0" ;;
  "output -raw api_url")
    # The dns layer's URL: https:// with a DNS zone, the load balancer's own name without one.
    if [ -e "$FAKE_STATE/no-zone" ]; then echo "http://k8s-payflow-0123456789-1234567890.eu-west-3.elb.amazonaws.com"
    else echo "https://api.$environment.example.org"; fi ;;
  "output -raw grafana_public_hostname") [ -e "$FAKE_STATE/grafana-public" ] && echo "grafana.$environment.example.org" ;;
  "output -raw ecr_repository_url")
    [ -e "$FAKE_STATE/shared-applied" ] || { echo "Error: Output \\"ecr_repository_url\\" not found" >&2; exit 1; }
    echo "111111111111.dkr.ecr.eu-west-3.amazonaws.com/payflow/api" ;;
  *"run --all"*apply*) [ "$unit" = live/shared/global ] && { [ -e "$FAKE_STATE/shared-output-lost" ] || : >"$FAKE_STATE/shared-applied"; } ;;
  *"run --all"*destroy*)
    case "$unit" in
      */app) rm -f "$FAKE_STATE/ingress-api" ;;
      */platform) : >"$FAKE_STATE/controller-gone" ;;
      */cluster)
        # EKS writes its last control-plane logs after the cluster is deleted.
        [ -e "$FAKE_STATE/cluster" ] && echo "/aws/eks/payflow-$environment/cluster" >"$FAKE_STATE/log-group"
        rm -f "$FAKE_STATE/cluster"; : >"$FAKE_STATE/cluster-destroyed" ;;
      */network)
        if compgen -G "$FAKE_STATE/sg-*" >/dev/null; then
          echo "Error: deleting EC2 VPC: DependencyViolation: The vpc has dependencies and cannot be deleted." >&2; exit 1
        fi ;;
    esac ;;
esac
exit 0`,
  kubectl: `[ "$1" = version ] && { echo "Client Version: v1.36.2"; exit 0; }
echo "kubectl $* KUBECONFIG=\${KUBECONFIG-unset}" >>"$FAKE_STATE/log"
case " $* " in
  *" wait ingress "*)
    [ -e "$FAKE_STATE/no-load-balancer" ] && { echo "error: timed out waiting for the condition on ingresses/payflow-api" >&2; exit 1; }
    echo "ingress.networking.k8s.io/payflow-api condition met" ;;
  *" get ingress "*) echo "k8s-payflow-0123456789-1234567890.eu-west-3.elb.amazonaws.com" ;;
  *" annotate ingress "*) : >"$FAKE_STATE/protection-lifted" ;;
  *" port-forward "*) echo "Forwarding from 127.0.0.1:3000 -> 3000" ;;
  *" delete ingress "*)
    [ -e "$FAKE_STATE/controller-gone" ] && { echo "timed out waiting for the finalizer" >&2; exit 1; }
    for marker in "$FAKE_STATE"/ingress-*; do
      [ -e "$marker" ] && echo "ingress.networking.k8s.io \\"\${marker##*/ingress-}\\" deleted"
      rm -f "$marker"
    done ;;
esac
exit 0`,
};

interface Cloud {
  root: string;
  state: string;
  home: string;
  env: NodeJS.ProcessEnv;
  /** Calls recorded by the stand-ins, in order. */
  log: () => string[];
  /**
   * What the model of AWS still holds of environments (files of FAKE_STATE other than the log,
   * the markers and the images of the account-wide ECR repository).
   */
  left: () => string[];
}

/**
 * The live tree with the real env.hcl files, placeholders filled in as a user would, and what
 * AWS holds of one environment (development unless said).
 */
function cloud(cleanup: string[], environment = 'development'): Cloud {
  const root = realpathSync(sandbox());
  const state = mkdtempSync(join(tmpdir(), 'payflow-cloud-'));
  const home = mkdtempSync(join(tmpdir(), 'payflow-home-'));
  const tools = toolDir(cloudTools);
  cleanup.push(root, state, home, tools);
  mkdirSync(join(root, 'live', 'shared', 'global'));
  for (const name of ENVIRONMENTS) {
    for (const layer of ['network', 'cluster', 'data', 'edge', 'platform', 'app', 'dns']) {
      mkdirSync(join(root, 'live', name, layer), { recursive: true });
    }
    writeFileSync(
      join(root, 'live', name, 'env.hcl'),
      repoText(`live/${name}/env.hcl`)
        .replaceAll('123456789012', '111111111111')
        .replaceAll('example.com', 'example.org')
        .replaceAll('00000000-0000-0000-0000-000000000000', '11111111-2222-3333-4444-555555555555')
        .replaceAll('203.0.113.10/32', '198.51.100.7/32'),
    );
  }
  // The environment as AWS holds it: the cluster, both Ingresses sharing one load balancer, the
  // controller's two security groups, two monitoring volumes; and a volume of another one's.
  const other = environment === 'staging' ? 'production' : 'staging';
  const holds: Record<string, string> = {
    cluster: '',
    'ingress-api': '',
    'ingress-grafana': '',
    'sg-0frontend': `payflow-${environment}`,
    'sg-0backend': `payflow-${environment}`,
    'vol-0prometheus': environment,
    'vol-0loki': environment,
    [`vol-0${other}`]: other,
    // The image CI pushed (IMAGE_TAG below), in the account's ECR repository.
    'image-abc123': '',
    log: '',
  };
  for (const [name, content] of Object.entries(holds)) writeFileSync(join(state, name), content);
  // The stand-ins' own bookkeeping; an open tunnel (tunnel-open) would count as left.
  const markers = new Set([
    'log',
    'cluster-destroyed',
    'controller-gone',
    'shared-applied',
    'session-sleep.pid',
    'protection-lifted',
    'tagging-stale',
  ]);
  return {
    root,
    state,
    home,
    env: {
      PATH: `${tools}:/usr/bin:/bin`,
      HOME: home,
      FAKE_STATE: state,
      PAYFLOW_ROOT: root,
      IMAGE_TAG: 'abc123',
      // The Kubernetes support warning counts from this date, never from the real one.
      PAYFLOW_TODAY: '2026-12-03',
    },
    log: () => readFileSync(join(state, 'log'), 'utf8').split('\n').filter(Boolean),
    left: () =>
      readdirSync(state)
        .filter((name) => !markers.has(name) && !name.startsWith('image-'))
        .sort(),
  };
}

const indexOf = (log: string[], pattern: RegExp): number => log.findIndex((l) => pattern.test(l));

describe('one-line deploy: the sequences (stand-ins for terragrunt, aws and kubectl)', function () {
  this.timeout(600_000);
  const cleanup: string[] = [];
  after(function () {
    for (const dir of cleanup) rmSync(dir, { recursive: true, force: true });
  });

  const runScript = (c: Cloud, args: string[], env: NodeJS.ProcessEnv = {}, input = ''): Run =>
    run(
      '/bin/bash',
      [join(c.root, 'live', 'environment.sh'), ...args],
      { ...c.env, ...env },
      input,
    );

  it('destroy deletes the Ingresses sharing the load balancer while its controller still runs', function () {
    const c = cloud(cleanup);
    const result = runScript(c, ['destroy', 'development'], {}, 'development\n');
    const log = c.log();
    expect(result.stderr, result.stdout).not.to.include('still exists after 10 minutes');
    expect(result.status, result.stderr).to.equal(0);
    const app = indexOf(log, /^terragrunt live\/development\/app run --all .* destroy /);
    const ingresses = indexOf(log, /^kubectl delete ingress --all --all-namespaces --wait=true/);
    const platform = indexOf(log, /^terragrunt live\/development\/platform run --all .* destroy /);
    expect(app, log.join('\n')).to.be.greaterThan(-1);
    expect(ingresses, 'Ingresses deleted after the app layer').to.be.greaterThan(app);
    expect(platform, 'platform destroyed after the Ingresses').to.be.greaterThan(ingresses);
    expect(indexOf(log, /^sleep/), 'no wait: the load balancer was gone').to.equal(-1);
    const session = indexOf(log, /^aws ssm start-session --target i-0123456789abcdef0 /);
    expect(session, 'the app is destroyed through the tunnel').to.be.within(0, app);
    expect(log[ingresses]).to.match(/ KUBECONFIG=\/\S+kubeconfig$/);
    // Closed once no Kubernetes layer is left, before the cluster layer takes its instance.
    const ended = indexOf(log, /^ssm session ended$/);
    expect(ended).to.be.greaterThan(platform);
    expect(ended).to.be.lessThan(indexOf(log, /^terragrunt live\/development\/data run --all/));
    expect(result.stdout).to.include('deleting the Ingresses left in payflow-development');
    // Development keeps nothing: no decommission step.
    expect(indexOf(log, /live\/development\/data run --all .* apply/)).to.equal(-1);
    expect(log.filter((l) => l.startsWith('terragrunt')).join('\n')).to.include(
      'DECOMMISSION=unset',
    );
  });

  it('destroy goes layer by layer and deletes what AWS leaves, after the cluster and before the network', function () {
    const c = cloud(cleanup);
    const result = runScript(c, ['destroy', 'development'], {}, 'development\n');
    expect(result.status, result.stderr).to.equal(0);
    const log = c.log();
    const destroyed = log
      .filter((l) => / run --all .* destroy /.test(l))
      .map((l) => l.split(' ')[1]);
    expect(destroyed).to.deep.equal(
      ['dns', 'app', 'platform', 'edge', 'data', 'cluster', 'network'].map(
        (l) => `live/development/${l}`,
      ),
    );
    const cluster = indexOf(log, /^terragrunt live\/development\/cluster run --all/);
    const network = indexOf(log, /^terragrunt live\/development\/network run --all/);
    for (const step of [
      /^aws ec2 describe-security-groups --filters Name=tag:elbv2\.k8s\.aws\/cluster,Values=payflow-development /,
      /^aws ec2 delete-security-group --group-id sg-0frontend$/,
      /^aws ec2 delete-security-group --group-id sg-0backend$/,
      /^aws ec2 describe-volumes --filters Name=tag:ebs\.csi\.aws\.com\/cluster,Values=true Name=tag:Project,Values=payflow Name=tag:Environment,Values=development Name=status,Values=available /,
      /^aws ec2 delete-volume --volume-id vol-0prometheus$/,
      /^aws ec2 delete-volume --volume-id vol-0loki$/,
      /^aws logs delete-log-group --log-group-name \/aws\/eks\/payflow-development\/cluster$/,
    ]) {
      const at = indexOf(log, step);
      expect(at, `${step} in\n${log.join('\n')}`).to.be.greaterThan(cluster);
      expect(at, String(step)).to.be.lessThan(network);
    }
    // Nothing of development is left: staging's volume is not development's.
    expect(c.left()).to.deep.equal(['vol-0staging']);
    expect(result.stdout).to.include('development destroyed. Kept:');

    // A second make destroy finds nothing more to delete and still succeeds.
    writeFileSync(join(c.state, 'log'), '');
    const again = runScript(c, ['destroy', 'development'], {}, 'development\n');
    expect(again.status, again.stderr).to.equal(0);
    expect(indexOf(c.log(), /^aws (ec2|logs) delete-/)).to.equal(-1);
  });

  it('destroy retries a load balancer security group still in use, then the network layer goes', function () {
    const c = cloud(cleanup);
    writeFileSync(join(c.state, 'busy-sg-0backend'), '');
    const result = runScript(c, ['destroy', 'development'], {}, 'development\n');
    expect(result.status, result.stderr).to.equal(0);
    expect(result.stdout).to.include(
      'sg-0backend is still in use (attempt 1/20), retrying in 15 s',
    );
    expect(c.log()).to.include('sleep 15');
    expect(c.left()).to.deep.equal(['vol-0staging']);
  });

  it('without the clean-up the network layer could not be destroyed (the model is faithful)', function () {
    const c = cloud(cleanup);
    // The cluster layer gone, one of the controller's security groups still in the VPC.
    writeFileSync(join(c.state, 'cluster-destroyed'), '');
    const network = spawnSync('terragrunt', ['run', '--all', 'destroy'], {
      cwd: join(c.root, 'live', 'development', 'network'),
      env: { ...c.env },
      encoding: 'utf8',
    });
    expect(network.status).to.equal(1);
    expect(network.stderr).to.include('DependencyViolation');
  });

  it('destroy asks ELB whether the load balancer is gone, not the tagging API that still lists it', function () {
    const c = cloud(cleanup);
    writeFileSync(join(c.state, 'tagging-stale'), '');
    const result = runScript(c, ['destroy', 'development'], {}, 'development\n');
    expect(result.status, result.stderr).to.equal(0);
    const log = c.log();
    const waited = indexOf(
      log,
      /^aws elbv2 wait load-balancers-deleted --load-balancer-arns arn:aws:elasticloadbalancing:eu-west-3:111111111111:loadbalancer\/app\/k8s-payflow-0123456789\/0123456789abcdef$/,
    );
    expect(waited, log.join('\n')).to.be.greaterThan(
      indexOf(log, /^kubectl delete ingress --all --all-namespaces/),
    );
    expect(waited).to.be.lessThan(
      indexOf(log, /^terragrunt live\/development\/platform run --all/),
    );
    expect(indexOf(log, /^sleep/), 'no polling of its own').to.equal(-1);
  });

  it('destroy stops, before destroying the platform, when the load balancer outlives the wait', function () {
    const c = cloud(cleanup);
    writeFileSync(join(c.state, 'load-balancer-stuck'), '');
    const result = runScript(c, ['destroy', 'development'], {}, 'development\n');
    expect(result.status).to.equal(1);
    expect(result.stderr).to.include(
      'the load balancer arn:aws:elasticloadbalancing:eu-west-3:111111111111:loadbalancer/app/k8s-payflow-0123456789/0123456789abcdef of payflow-development still exists after 10 minutes; delete it in the EC2 console',
    );
    expect(indexOf(c.log(), /^terragrunt live\/development\/platform run --all/)).to.equal(-1);
  });

  it('destroy retries an AWS error while it waits for the deletion protection to go', function () {
    const c = cloud(cleanup, 'staging');
    writeFileSync(join(c.state, 'attributes-throttled-once'), '');
    const result = runScript(c, ['destroy', 'staging'], { DECOMMISSION: 'true' }, 'staging\n');
    expect(result.status, result.stderr).to.equal(0);
    expect(result.stdout).to.include(
      'the controller has not lifted the deletion protection of arn:aws:elasticloadbalancing:eu-west-3:111111111111:loadbalancer/app/k8s-payflow-0123456789/0123456789abcdef yet (attempt 1/20), retrying in 15 s',
    );
    expect(c.log()).to.include('sleep 15');
    expect(c.left()).to.deep.equal(['vol-0production']);
  });

  it('destroy stops, before destroying the platform, when the Ingresses cannot be deleted', function () {
    const c = cloud(cleanup);
    writeFileSync(join(c.state, 'controller-gone'), '');
    const result = runScript(c, ['destroy', 'development'], {}, 'development\n');
    expect(result.status).to.equal(1);
    expect(result.stderr).to.include('could not delete the Ingresses of payflow-development');
    expect(indexOf(c.log(), /^terragrunt live\/development\/platform run --all/)).to.equal(-1);
  });

  it('destroy of staging and production needs DECOMMISSION=true, then applies the data layer with it first', function () {
    const c = cloud(cleanup, 'staging');
    const refused = runScript(c, ['destroy', 'staging'], {}, 'staging\n');
    expect(refused.status).to.equal(1);
    expect(refused.stderr).to.include(
      'refusing to destroy staging: live/staging/env.hcl keeps its data',
    );
    expect(refused.stderr).to.include('retention.buckets_force_destroy = false');
    expect(refused.stderr).to.include('run again with DECOMMISSION=true');
    expect(c.log(), 'nothing ran').to.deep.equal([]);

    const production = runScript(
      c,
      ['destroy', 'production'],
      { CONFIRM_PRODUCTION_DESTROY: 'yes' },
      'production\n',
    );
    expect(production.status).to.equal(1);
    expect(production.stderr).to.include('database.db_deletion_protection = true');
    expect(production.stderr).to.include('retention.buckets_force_destroy = false');
    expect(c.log()).to.deep.equal([]);

    const result = runScript(c, ['destroy', 'staging'], { DECOMMISSION: 'true' }, 'staging\n');
    expect(result.status, result.stderr).to.equal(0);
    const runs = c.log().filter((l) => / run --all /.test(l));
    expect(runs[0]).to.match(
      /^terragrunt live\/staging\/data run --all .* apply DECOMMISSION=true /,
    );
    expect(runs[1]).to.match(
      /^terragrunt live\/staging\/edge run --all .* apply DECOMMISSION=true /,
    );
    const destroys = runs.slice(2);
    expect(destroys.map((l) => l.split(' ')[1])).to.deep.equal(
      ['dns', 'app', 'platform', 'edge', 'data', 'cluster', 'network'].map(
        (l) => `live/staging/${l}`,
      ),
    );
    for (const line of destroys) expect(line).to.match(/ destroy DECOMMISSION=true /);
  });

  it('destroy reads deletion_protection of the database, not the first one in env.hcl', function () {
    const c = cloud(cleanup);
    const envFile = join(c.root, 'live', 'development', 'env.hcl');
    // A cluster-level switch of the same name above the database's: a line-based reader took it.
    writeFileSync(
      envFile,
      readFileSync(envFile, 'utf8')
        .replace('  cluster = {\n', '  cluster = {\n    deletion_protection = false\n')
        .replace(/(database = \{[^}]*deletion_protection\s*=\s*)false/, '$1true'),
    );
    expect(readFileSync(envFile, 'utf8')).to.match(
      /cluster = \{\n {4}deletion_protection = false[\s\S]*database = \{[^}]*deletion_protection\s+= true/,
    );
    const result = runScript(c, ['destroy', 'development'], {}, 'development\n');
    expect(result.status, result.stdout).to.equal(1);
    expect(result.stderr).to.include('refusing to destroy development');
    expect(result.stderr).to.include('database.db_deletion_protection = true');
    expect(c.log(), 'nothing ran').to.deep.equal([]);
  });

  it('production: CONFIRM_PRODUCTION_DESTROY=yes and DECOMMISSION (1 counts as true) together', function () {
    const c = cloud(cleanup, 'production');
    const result = runScript(
      c,
      ['destroy', 'production'],
      { CONFIRM_PRODUCTION_DESTROY: 'yes', DECOMMISSION: '1' },
      'production\n',
    );
    expect(result.status, result.stderr).to.equal(0);
    expect(result.stdout).to.include(
      'DECOMMISSION=true: the database loses its deletion protection',
    );
    const runs = c.log().filter((l) => / run --all /.test(l));
    expect(runs[0]).to.match(
      /^terragrunt live\/production\/data run --all .* apply DECOMMISSION=true /,
    );
    expect(result.stdout).to.include('production destroyed');
    expect(c.left()).to.deep.equal(['vol-0staging']);
  });

  it('deploy applies live/shared/global first, or with SKIP_SHARED=1 (CI) only reads it', function () {
    const c = cloud(cleanup);
    const local = runScript(c, ['deploy', 'development']);
    expect(local.status, local.stderr).to.equal(0);
    let runs = c.log().filter((l) => / run --all /.test(l));
    expect(runs[0]).to.match(/^terragrunt live\/shared\/global run --all .* apply /);
    expect(runs[1]).to.match(/^terragrunt live\/development\/network run --all .* apply /);
    expect(local.stdout).to.include('development is up');

    writeFileSync(join(c.state, 'log'), '');
    const ci = runScript(c, ['deploy', 'development'], {
      SKIP_SHARED: '1',
      GITHUB_REPOSITORY: 'acme/payflow',
    });
    expect(ci.status, ci.stderr).to.equal(0);
    const log = c.log();
    const shared = log.filter((l) => l.startsWith('terragrunt live/shared/global'));
    expect(shared, 'live/shared/global is only read').to.have.length(1);
    expect(shared[0]).to.match(/^terragrunt live\/shared\/global output -raw ecr_repository_url /);
    runs = log.filter((l) => / run --all /.test(l));
    expect(runs.map((l) => l.split(' ')[1])).to.deep.equal(
      ['network', 'cluster', 'data', 'edge', 'platform', 'app', 'dns'].map(
        (l) => `live/development/${l}`,
      ),
    );
  });

  it('deploy tags the image deployed-<environment>-<tag> before it applies the environment, as CI did', function () {
    const c = cloud(cleanup);
    const first = runScript(c, ['deploy', 'development']);
    expect(first.status, first.stderr).to.equal(0);
    let log = c.log();
    const tag = indexOf(
      log,
      /^aws ecr put-image --repository-name payflow\/api --image-tag deployed-development-abc123 --image-manifest \{"schemaVersion":2\} --image-manifest-media-type application\/vnd\.oci\.image\.index\.v1\+json$/,
    );
    expect(tag, log.join('\n')).to.be.greaterThan(
      indexOf(log, /^terragrunt live\/shared\/global run --all .* apply /),
    );
    expect(tag).to.be.lessThan(indexOf(log, /^terragrunt live\/development\/network run --all/));
    expect(existsSync(join(c.state, 'image-deployed-development-abc123'))).to.equal(true);
    expect(first.stdout).to.include('tagged payflow/api:abc123 as deployed-development-abc123');

    // Tags are immutable: a second deploy of the same image leaves the tag as it is.
    writeFileSync(join(c.state, 'log'), '');
    const again = runScript(c, ['deploy', 'development']);
    expect(again.status, again.stderr).to.equal(0);
    expect(again.stdout).to.include('ECR already has payflow/api:deployed-development-abc123');
    expect(indexOf(c.log(), /^aws ecr put-image/)).to.equal(-1);

    // An IMAGE_TAG that is not in ECR stops the deploy before the environment's first layer.
    writeFileSync(join(c.state, 'log'), '');
    const missing = runScript(c, ['deploy', 'development'], { IMAGE_TAG: 'nope' });
    expect(missing.status).to.equal(1);
    expect(missing.stderr).to.include(
      'could not tag image nope of 111111111111.dkr.ecr.eu-west-3.amazonaws.com/payflow/api: is that tag in the repository? No layer of live/development was applied',
    );
    log = c.log();
    expect(indexOf(log, /^terragrunt live\/development\//)).to.equal(-1);
  });

  it('deploy with SKIP_SHARED=1 stops when live/shared/global was never applied', function () {
    const c = cloud(cleanup);
    const result = runScript(c, ['deploy', 'development'], { SKIP_SHARED: '1' });
    expect(result.status).to.equal(1);
    expect(result.stderr).to.include(
      'live/shared/global has no output ecr_repository_url: with SKIP_SHARED=1 it is only read',
    );
    expect(indexOf(c.log(), / run --all /)).to.equal(-1);
  });

  it('deploy stops when live/shared/global was applied but its output cannot be read', function () {
    const c = cloud(cleanup);
    writeFileSync(join(c.state, 'shared-output-lost'), '');
    const result = runScript(c, ['deploy', 'development']);
    expect(result.status).to.equal(1);
    expect(result.stderr).to.include(
      'live/shared/global was applied but its output ecr_repository_url could not be read',
    );
    expect(result.stderr).not.to.include('SKIP_SHARED=1');
    expect(indexOf(c.log(), /^terragrunt live\/development\//)).to.equal(-1);
  });

  it('deploy never carries DECOMMISSION into Terragrunt: the data layer stays protected', function () {
    const c = cloud(cleanup);
    const result = runScript(c, ['deploy', 'staging'], { DECOMMISSION: 'true' });
    expect(result.status, result.stderr).to.equal(0);
    expect(result.stderr).to.include('warning: DECOMMISSION=true ignored');
    const terragrunt = c.log().filter((l) => l.startsWith('terragrunt'));
    expect(terragrunt.length).to.be.greaterThan(0);
    for (const line of terragrunt) expect(line).to.include('DECOMMISSION=unset');
  });

  it('providers are cached once for every unit (TF_PLUGIN_CACHE_DIR, created when missing)', function () {
    const c = cloud(cleanup);
    const defaultCache = join(c.home, '.terraform.d', 'plugin-cache');
    expect(runScript(c, ['deploy', 'development']).status).to.equal(0);
    expect(existsSync(defaultCache)).to.equal(true);
    const terragrunt = c.log().filter((l) => / run --all /.test(l));
    for (const line of terragrunt) expect(line).to.include(`TF_PLUGIN_CACHE_DIR=${defaultCache}`);

    writeFileSync(join(c.state, 'log'), '');
    const own = join(c.home, 'providers');
    expect(runScript(c, ['outputs', 'development'], { TF_PLUGIN_CACHE_DIR: own }).status).to.equal(
      0,
    );
    expect(existsSync(own)).to.equal(true);
    expect(c.log().filter((l) => l.startsWith('terragrunt'))[0]).to.include(
      `TF_PLUGIN_CACHE_DIR=${own}`,
    );
  });

  const ENDPOINT_HOST = '0123456789ABCDEF.gr7.eu-west-3.eks.amazonaws.com';
  const TUNNEL = 'https://127.0.0.1:41234';
  const SESSION =
    /^aws ssm start-session --target i-0123456789abcdef0 --document-name AWS-StartPortForwardingSessionToRemoteHost --parameters host=0123456789ABCDEF\.gr7\.eu-west-3\.eks\.amazonaws\.com,portNumber=443,localPortNumber=41234$/;
  const ENDED = /^ssm session ended$/;
  /** The session's stand-in and its child are gone: nothing listens after the script. */
  const sessionGone = (c: Cloud): boolean => {
    if (existsSync(join(c.state, 'tunnel-open'))) return false;
    const pid = Number(readFileSync(join(c.state, 'session-sleep.pid'), 'utf8'));
    try {
      process.kill(pid, 0);
      return false;
    } catch {
      return true;
    }
  };

  it('deploy opens the SSM tunnel once the cluster exists, applies platform and app through it, then closes it', function () {
    const c = cloud(cleanup);
    const result = runScript(c, ['deploy', 'development']);
    expect(result.status, result.stderr).to.equal(0);
    const log = c.log();
    const apply = (layer: string) =>
      indexOf(log, new RegExp(`^terragrunt live/development/${layer} run --all .* apply `));
    for (const layer of ['network', 'cluster', 'data']) {
      expect(log[apply(layer)], layer).to.match(/ OPEN=no TUNNEL=unset$/);
    }
    const session = indexOf(log, SESSION);
    const check = indexOf(
      log,
      new RegExp(
        `^curl .*--cacert \\S+ --connect-to ${ENDPOINT_HOST}:443:127\\.0\\.0\\.1:41234 .*https://${ENDPOINT_HOST}/livez$`,
      ),
    );
    const kubeconfig = indexOf(
      log,
      new RegExp(
        `^kubectl --kubeconfig \\S+ config set-cluster arn:aws:eks:eu-west-3:111111111111:cluster/payflow-development --server=${TUNNEL} --tls-server-name=${ENDPOINT_HOST} `,
      ),
    );
    const waited = indexOf(
      log,
      /^kubectl -n payflow wait ingress --all --timeout=10m --for=jsonpath=\{\.status\.loadBalancer\.ingress\[0\]\.hostname\} KUBECONFIG=\/\S+kubeconfig$/,
    );
    const smoke = indexOf(log, /^kubectl -n payflow get ingress .* KUBECONFIG=\/\S+kubeconfig$/);
    expect(waited, 'kubectl waits for the load balancer, then reads its name').to.be.within(
      0,
      smoke,
    );
    const ended = indexOf(log, ENDED);
    expect(
      log.filter((l) => SESSION.test(l)),
      log.join('\n'),
    ).to.have.length(1);
    expect(session, 'the tunnel opens after the cluster and data layers').to.be.greaterThan(
      apply('data'),
    );
    // The session starts in the background: its first log line may come after the check's.
    expect(check, 'the tunnel is checked after the data layer').to.be.greaterThan(apply('data'));
    expect(kubeconfig).to.be.greaterThan(check);
    expect(apply('platform'), 'platform after the tunnel answered').to.be.greaterThan(kubeconfig);
    expect(log[apply('platform')]).to.match(new RegExp(` OPEN=yes TUNNEL=${TUNNEL}$`));
    expect(log[apply('app')]).to.match(new RegExp(` OPEN=yes TUNNEL=${TUNNEL}$`));
    expect(smoke, 'the smoke test reads the Ingress through it').to.be.greaterThan(apply('app'));
    expect(ended, 'closed at the end').to.be.greaterThan(smoke);
    expect(sessionGone(c)).to.equal(true);
  });

  it('deploy stops before the platform layer when the tunnel does not answer, and says why', function () {
    const c = cloud(cleanup);
    writeFileSync(join(c.state, 'tunnel-refused'), '');
    const result = runScript(c, ['deploy', 'development']);
    expect(result.status).to.equal(1);
    expect(result.stderr).to.include(
      `the SSM tunnel to ${ENDPOINT_HOST} did not answer within 90 s. Session Manager said: An error occurred (TargetNotConnected)`,
    );
    const log = c.log();
    expect(
      indexOf(log, /^terragrunt live\/development\/data run --all .* apply /),
    ).to.be.greaterThan(-1);
    expect(indexOf(log, /^terragrunt live\/development\/platform /)).to.equal(-1);
  });

  it('plan goes through the tunnel when the cluster exists, and against mock outputs before', function () {
    const c = cloud(cleanup);
    const applied = runScript(c, ['plan', 'development']);
    expect(applied.status, applied.stderr).to.equal(0);
    let log = c.log();
    const plan = indexOf(log, /^terragrunt live\/development run --all .* plan /);
    expect(indexOf(log, SESSION)).to.be.within(0, plan);
    expect(log[plan]).to.match(new RegExp(` OPEN=yes TUNNEL=${TUNNEL}$`));
    expect(indexOf(log, ENDED)).to.be.greaterThan(plan);

    writeFileSync(join(c.state, 'log'), '');
    writeFileSync(join(c.state, 'no-cluster'), '');
    const fresh = runScript(c, ['plan', 'development']);
    expect(fresh.status, fresh.stderr).to.equal(0);
    expect(fresh.stdout).to.include(
      'live/development/cluster is not applied yet: no tunnel, platform and app plan against mock outputs',
    );
    log = c.log();
    expect(indexOf(log, /^aws ssm start-session/)).to.equal(-1);
    expect(log[indexOf(log, / run --all .* plan /)]).to.match(/ TUNNEL=unset$/);
  });

  it('tunnel runs one command through it (KUBECONFIG set), passes its exit status on, and closes', function () {
    const c = cloud(cleanup);
    const nodes = runScript(c, ['tunnel', 'development', 'kubectl', 'get', 'nodes']);
    expect(nodes.status, nodes.stderr).to.equal(0);
    const log = c.log();
    const command = indexOf(log, /^kubectl get nodes KUBECONFIG=\/\S+kubeconfig$/);
    expect(command).to.be.greaterThan(indexOf(log, SESSION));
    expect(indexOf(log, ENDED)).to.be.greaterThan(command);
    expect(sessionGone(c)).to.equal(true);

    const failing = runScript(c, ['tunnel', 'development', 'bash', '-c', 'exit 3']);
    expect(failing.status).to.equal(3);
    expect(c.log().filter((l) => ENDED.test(l))).to.have.length(2);
    expect(sessionGone(c)).to.equal(true);
  });

  it('make tunnel holds the tunnel open with a kubeconfig in ~/.kube until Ctrl-C', async function () {
    const c = cloud(cleanup);
    const child = spawn(
      '/bin/bash',
      [join(c.root, 'live', 'environment.sh'), 'tunnel', 'development'],
      {
        env: c.env,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        if (stdout.includes('Ctrl-C closes the tunnel.')) resolve();
      });
      child.on('exit', (code) =>
        reject(new Error(`tunnel exited (${code}) before holding: ${stdout}`)),
      );
    });
    const kubeconfig = join(c.home, '.kube', 'payflow-development');
    expect(stdout).to.include(`export KUBECONFIG=${kubeconfig}`);
    expect(
      indexOf(c.log(), new RegExp(`^aws eks update-kubeconfig --kubeconfig ${kubeconfig} `)),
    ).to.be.greaterThan(-1);
    expect(existsSync(join(c.state, 'tunnel-open')), 'open while held').to.equal(true);
    const status = await new Promise<number | null>((resolve) => {
      child.removeAllListeners('exit');
      child.on('exit', (code) => resolve(code));
      child.kill('SIGINT');
    });
    expect(status).to.equal(130);
    expect(indexOf(c.log(), ENDED)).to.be.greaterThan(-1);
    expect(sessionGone(c)).to.equal(true);
  });

  describe('the public address make deploy ends on', function () {
    const LOAD_BALANCER = 'k8s-payflow-0123456789-1234567890.eu-west-3.elb.amazonaws.com';

    it('with a DNS zone (staging): the https:// URL of the API, checked through the load balancer and by its name', function () {
      const c = cloud(cleanup);
      const result = runScript(c, ['deploy', 'staging']);
      expect(result.status, result.stderr).to.equal(0);
      const lines = result.stdout.trimEnd().split('\n');
      expect(lines.slice(-3)).to.deep.equal([
        '  API:           https://api.staging.example.org   (TLS: ACM certificate; name: Route 53 alias record)',
        '  Grafana:       make grafana ENV=staging   (not on the internet: localhost:3000 through the SSM tunnel)',
        `  Load balancer: ${LOAD_BALANCER}`,
      ]);
      expect(result.stdout).to.not.match(/CNAME|point .* at the load balancer/);
      const log = c.log();
      const url = indexOf(log, /^terragrunt live\/staging\/dns output -raw api_url /);
      const direct = indexOf(
        log,
        new RegExp(
          `^curl .*--connect-to api\\.staging\\.example\\.org:443:${LOAD_BALANCER.replace(/\./g, '\\.')}:443 https://api\\.staging\\.example\\.org/ready$`,
        ),
      );
      const byName = indexOf(
        log,
        /^curl (?!.*--connect-to).*https:\/\/api\.staging\.example\.org\/ready$/,
      );
      expect(url, log.join('\n')).to.be.greaterThan(
        indexOf(log, /^terragrunt live\/staging\/dns run --all .* apply /),
      );
      expect(direct, 'through the load balancer first').to.be.greaterThan(url);
      expect(byName, 'then by its name').to.be.greaterThan(direct);
      // The zone was looked up before anything ran.
      expect(
        indexOf(log, /^aws route53 list-hosted-zones-by-name --dns-name example\.org /),
      ).to.be.within(0, indexOf(log, /^terragrunt /));
    });

    it('without a DNS zone (development): the http:// URL of the load balancer, marked as plain HTTP', function () {
      const c = cloud(cleanup);
      writeFileSync(join(c.state, 'no-zone'), '');
      const result = runScript(c, ['deploy', 'development']);
      expect(result.status, result.stderr).to.equal(0);
      expect(result.stderr).to.include(
        'warning: live/development/env.hcl has no dns.zone: the API will answer plain HTTP',
      );
      const lines = result.stdout.trimEnd().split('\n');
      expect(lines.at(-3)).to.equal(
        `  API:           http://${LOAD_BALANCER}   (plain HTTP, no TLS: live/development/env.hcl has no dns.zone; development only)`,
      );
      const smoke = c.log().filter((l) => l.startsWith('curl') && l.endsWith('/ready'));
      expect(smoke).to.deep.equal([
        `curl --fail --no-progress-meter --max-time 10 --retry 40 --retry-delay 15 --retry-all-errors http://${LOAD_BALANCER}/ready`,
      ]);
      expect(indexOf(c.log(), /^aws route53 /), 'no zone to look up').to.equal(-1);
    });

    it('the smoke test fails the deploy when the Ingress gets no load balancer, or /ready never answers 200', function () {
      const noLoadBalancer = cloud(cleanup);
      writeFileSync(join(noLoadBalancer.state, 'no-load-balancer'), '');
      const first = runScript(noLoadBalancer, ['deploy', 'development']);
      expect(first.status, first.stdout + first.stderr).to.equal(1);
      expect(first.stderr).to.include("the API's Ingress got no load balancer within 10 minutes");
      const readyCalls = noLoadBalancer.log().filter((l) => l.endsWith('/ready'));
      expect(readyCalls, 'no request before a load balancer exists').to.deep.equal([]);
      const apiDown = cloud(cleanup);
      writeFileSync(join(apiDown.state, 'api-down'), '');
      const second = runScript(apiDown, ['deploy', 'development']);
      expect(second.status, second.stdout + second.stderr).to.equal(1);
      expect(second.stderr).to.match(/\/ready did not answer 200 within 10 minutes/);
      expect(second.stdout).to.not.include(' is up');
    });

    it('a public Grafana is listed with its https:// name', function () {
      const c = cloud(cleanup);
      writeFileSync(join(c.state, 'grafana-public'), '');
      const result = runScript(c, ['deploy', 'staging']);
      expect(result.status, result.stderr).to.equal(0);
      expect(result.stdout).to.include(
        '  Grafana:       https://grafana.staging.example.org   (Cognito sign-in, allowed addresses only)',
      );
    });

    it('staging and production refuse to run without TLS: no zone, the placeholder zone, a zone the account lacks', function () {
      const c = cloud(cleanup);
      const envFile = join(c.root, 'live', 'staging', 'env.hcl');
      const original = readFileSync(envFile, 'utf8');
      writeFileSync(envFile, original.replace('zone      = "example.org"', 'zone      = ""'));
      let result = runScript(c, ['preflight', 'staging']);
      expect(result.status).to.equal(1);
      expect(result.stderr).to.include(
        'live/staging/env.hcl has no dns.zone: staging serves the API over HTTPS only; set dns.zone to a public Route 53 hosted zone of the account',
      );
      writeFileSync(
        envFile,
        original.replace('zone      = "example.org"', 'zone      = "example.com"'),
      );
      result = runScript(c, ['preflight', 'staging']);
      expect(result.stderr).to.include(
        'live/staging/env.hcl still has the placeholder dns.zone example.com',
      );
      writeFileSync(envFile, original);
      writeFileSync(join(c.state, 'no-hosted-zone'), '');
      result = runScript(c, ['preflight', 'staging']);
      expect(result.status).to.equal(1);
      expect(result.stderr).to.include(
        'the account has no public Route 53 hosted zone example.org (dns.zone of live/staging/env.hcl)',
      );
      expect(
        c.log().filter((l) => l.startsWith('terragrunt')),
        'nothing ran',
      ).to.deep.equal([]);
    });
  });

  it("destroy lifts the load balancer's deletion protection on the Ingresses, and waits for it, before destroying anything", function () {
    const c = cloud(cleanup, 'staging');
    const result = runScript(c, ['destroy', 'staging'], { DECOMMISSION: 'true' }, 'staging\n');
    expect(result.status, result.stderr).to.equal(0);
    const log = c.log();
    const annotate = indexOf(
      log,
      /^kubectl annotate ingress --all --all-namespaces --overwrite alb\.ingress\.kubernetes\.io\/load-balancer-attributes=deletion_protection\.enabled=false KUBECONFIG=\/\S+kubeconfig$/,
    );
    const lifted = indexOf(
      log,
      /^aws elbv2 describe-load-balancer-attributes --load-balancer-arn arn:aws:elasticloadbalancing:/,
    );
    const firstDestroy = indexOf(log, / run --all .* destroy /);
    expect(annotate, log.join('\n')).to.be.greaterThan(-1);
    expect(lifted).to.be.greaterThan(annotate);
    expect(firstDestroy).to.be.greaterThan(lifted);
    expect(log[firstDestroy]).to.match(/^terragrunt live\/staging\/dns run --all /);
  });

  it('make grafana opens Grafana on localhost through the tunnel (kubectl port-forward to its Service), then closes it', function () {
    const c = cloud(cleanup);
    const result = runScript(c, ['grafana', 'development']);
    expect(result.status, result.stderr).to.equal(0);
    expect(result.stdout).to.include(`Grafana of development: ${GRAFANA_LOCAL_URL} (user admin)`);
    expect(result.stdout).to.include(`get secret ${GRAFANA_SERVICE} -o jsonpath`);
    const log = c.log();
    const kubeconfig = join(c.home, '.kube', 'payflow-development');
    const forward = indexOf(
      log,
      new RegExp(
        `^kubectl -n monitoring port-forward service/${GRAFANA_SERVICE} ${new URL(GRAFANA_LOCAL_URL).port}:80 KUBECONFIG=${kubeconfig}$`,
      ),
    );
    expect(forward, log.join('\n')).to.be.greaterThan(indexOf(log, SESSION));
    expect(indexOf(log, ENDED)).to.be.greaterThan(forward);
    expect(sessionGone(c)).to.equal(true);
    const refused = runScript(c, ['grafana', 'development'], { GRAFANA_PORT: 'http' });
    expect(refused.status).to.equal(1);
    expect(refused.stderr).to.include('GRAFANA_PORT=http is not a port number');
  });

  it('CI deploys with SKIP_SHARED=1 (.github/workflows/_deploy.yml)', function () {
    const workflow = parse(repoText('.github/workflows/_deploy.yml')) as {
      jobs: { deploy: { env: Record<string, string> } };
    };
    expect(workflow.jobs.deploy.env.SKIP_SHARED).to.equal('1');
  });
});
