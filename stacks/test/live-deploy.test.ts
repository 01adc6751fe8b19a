// The one-line deploy (make plan/deploy/destroy, live/environment.sh). Nothing here reaches AWS:
// every missing or wrong prerequisite must be named clearly and stop the run before Terragrunt
// starts, and the sequences (deploy, destroy) run against stand-ins for terragrunt, aws and
// kubectl that record their calls and model the load balancer the Ingresses share.
import { spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { parse } from 'yaml';
import { KUBERNETES_VERSIONS, KUBERNETES_VERSIONS_FILE } from '../cluster/kubernetes-versions';
import { GRAFANA_LOCAL_URL, GRAFANA_SERVICE } from '../platform/grafana-access';

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
  const result = spawnSync(command, args, { cwd, env, input, encoding: 'utf8', timeout: 30_000 });
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

/** root.hcl with your repository instead of the placeholder, as a user would leave it. */
const filledRootHcl = (): string =>
  repoText('root.hcl').replace(
    'github_repository = "payflow/payflow-platform"',
    'github_repository = "acme/payflow"',
  );

/**
 * A copy of the script with its own mise.toml, root.hcl, live/shared/account.hcl and a minimal
 * development env.hcl, so that each file can say another account (or be broken).
 */
function sandbox(accountId: string, sharedAccountId = accountId): string {
  const root = mkdtempSync(join(tmpdir(), 'payflow-live-'));
  mkdirSync(join(root, 'live', 'development'), { recursive: true });
  mkdirSync(join(root, 'live', 'shared'), { recursive: true });
  cpSync(script, join(root, 'live', 'environment.sh'));
  cpSync(join(repoRoot, 'mise.toml'), join(root, 'mise.toml'));
  mkdirSync(join(root, 'stacks', 'cluster'), { recursive: true });
  cpSync(KUBERNETES_VERSIONS_FILE, join(root, 'stacks', 'cluster', 'kubernetes-versions.tsv'));
  writeFileSync(join(root, 'root.hcl'), filledRootHcl());
  writeFileSync(
    join(root, 'live', 'shared', 'account.hcl'),
    repoText('live/shared/account.hcl').replace(
      'account_id = "123456789012"',
      `account_id = "${sharedAccountId}"`,
    ),
  );
  writeFileSync(
    join(root, 'live', 'development', 'env.hcl'),
    `locals {\n  environment = "development"\n  account_id  = "${accountId}"\n  region      = "eu-west-3"\n  dns = {\n    zone = "example.org"\n  }\n}\n`,
  );
  return root;
}

const awsCliVersion = '[ "$1" = --version ] && { echo "aws-cli/2.27.50 Python/3.13"; exit 0; };';
// The version, and the account's public hosted zone (the sandbox env.hcl's dns.zone).
const awsVersion = `${awsCliVersion} [ "$1 $2" = "route53 list-hosted-zones-by-name" ] && { printf "example.org.\\tFalse\\n"; exit 0; };`;

const current = {
  terraform: 'echo "Terraform v1.11.4"',
  terragrunt: 'echo "terragrunt version v0.99.5"',
  kubectl: 'echo "Client Version: v1.36.2"',
  helm: 'echo "v3.18.4+g1234567"',
  // -e: the free local port the tunnel asks the operating system for.
  node: '[ "$1" = -e ] && { echo 41234; exit 0; }; echo v20.19.0',
  npm: 'echo 11.0.0',
  'session-manager-plugin': 'echo "The Session Manager plugin was installed successfully."',
};

describe('one-line deploy: failure paths (make plan/deploy/destroy, live/environment.sh)', function () {
  const cleanup: string[] = [];
  after(function () {
    for (const dir of cleanup) rmSync(dir, { recursive: true, force: true });
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
    for (const expected of [
      'terraform is not installed (mise.toml pins terraform 1.11.4)',
      'terragrunt is not installed (mise.toml pins terragrunt 0.99.5)',
      'aws is not installed (mise.toml pins awscli',
      'kubectl is not installed',
      'node is not installed',
      'npm is not installed',
      'curl is not installed',
      'docker is not installed',
      'live/development/env.hcl still has the placeholder account_id 123456789012',
      'session-manager-plugin is not installed: make deploy reaches the private Kubernetes API through an SSM tunnel; install it: https://docs.aws.amazon.com/systems-manager/latest/userguide/session-manager-working-with-install-plugin.html',
      'still has the placeholder admin_principal_arns',
      'live/shared/account.hcl still has the placeholder account_id 123456789012',
      'root.hcl still has the placeholder github_repository payflow/payflow-platform',
    ]) {
      expect(result.stderr).to.include(expected);
    }
    // Terraform installs the Helm releases: a missing helm is worth a warning, not a stop.
    expect(result.stderr).to.include('warning: helm is not installed');
    expect(result.stderr).not.to.match(/ {2}- helm is not installed/);
    // Development without a DNS zone is allowed: plain HTTP, said in one warning.
    expect(result.stderr).to.include(
      'warning: live/development/env.hcl has no dns.zone: the API will answer plain HTTP',
    );
    expect(result.stderr).to.match(/preflight for deploy development found 13 problem\(s\)/);
  });

  it('preflight rejects tools older than mise.toml and warns about newer ones', function () {
    const tools = toolDir({
      ...current,
      terraform: 'echo "Terraform v1.10.5"',
      helm: 'echo "v3.19.0+g1234567"',
      aws: '[ "$1" = --version ] && { echo "aws-cli/1.45.11 Python/3.11"; exit 0; }; echo 111111111111',
    });
    const root = sandbox('111111111111');
    cleanup.push(tools, root);
    const result = run(
      '/bin/bash',
      [join(root, 'live', 'environment.sh'), 'preflight', 'development'],
      {
        PATH: tools,
        IMAGE_TAG: 'abc123',
      },
    );
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
    const otherAccount = toolDir({ ...current, aws: `${awsVersion} echo 222222222222` });
    const noCredentials = toolDir({
      ...current,
      aws: `${awsVersion} echo "Unable to locate credentials. You can configure credentials by running aws configure." >&2; exit 255`,
    });
    cleanup.push(root, otherAccount, noCredentials);
    const env = { IMAGE_TAG: 'abc123' };
    const mismatch = run(
      '/bin/bash',
      [join(root, 'live', 'environment.sh'), 'preflight', 'development'],
      {
        ...env,
        PATH: otherAccount,
      },
    );
    expect(mismatch.status).to.equal(1);
    expect(mismatch.stderr).to.include(
      'you are logged in to AWS account 222222222222 but live/development/env.hcl says 111111111111',
    );
    const anonymous = run(
      '/bin/bash',
      [join(root, 'live', 'environment.sh'), 'preflight', 'development'],
      {
        ...env,
        PATH: noCredentials,
      },
    );
    expect(anonymous.status).to.equal(1);
    expect(anonymous.stderr).to.include(
      'no usable AWS credentials (aws sts get-caller-identity failed: Unable to locate credentials.',
    );
    expect(anonymous.stderr).to.include("run 'aws configure sso'");
  });

  it('preflight passes when everything matches (then the real work would start)', function () {
    const root = sandbox('111111111111');
    const tools = toolDir({
      ...current,
      curl: 'exit 0',
      aws: `${awsVersion} echo 111111111111`,
    });
    cleanup.push(root, tools);
    const result = run(
      '/bin/bash',
      [join(root, 'live', 'environment.sh'), 'preflight', 'development'],
      {
        PATH: tools,
        IMAGE_TAG: 'abc123',
      },
    );
    // The sandbox env.hcl names a hosted zone the account has; only the account matters here.
    expect(result.stderr).to.equal('');
    expect(result.stdout).to.include(
      'preflight ok: tools, AWS account 111111111111, region eu-west-3, state bucket payflow-tfstate-111111111111-eu-west-3',
    );
    expect(result.status).to.equal(0);
  });

  it('preflight checks live/shared/account.hcl and the state bucket root.hcl names, like env.hcl', function () {
    const tools = toolDir({ ...current, curl: 'exit 0', aws: `${awsVersion} echo 111111111111` });
    const root = sandbox('111111111111', '123456789012');
    cleanup.push(tools, root);
    const preflight = (): Run =>
      run('/bin/bash', [join(root, 'live', 'environment.sh'), 'preflight', 'development'], {
        PATH: tools,
        IMAGE_TAG: 'abc123',
      });
    expect(preflight().stderr).to.include(
      'live/shared/account.hcl still has the placeholder account_id 123456789012: set the 12-digit id of the account holding the ECR repository',
    );

    const account = join(root, 'live', 'shared', 'account.hcl');
    writeFileSync(
      account,
      repoText('live/shared/account.hcl')
        .replace('account_id = "123456789012"', 'account_id = "1111-2222"')
        .replace('region     = "eu-west-3"', 'region     = "paris"'),
    );
    const malformed = preflight();
    expect(malformed.stderr).to.include(
      "live/shared/account.hcl has account_id '1111-2222', not a 12-digit AWS account id",
    );
    expect(malformed.stderr).to.include(
      'live/shared/account.hcl has region \'paris\', not an AWS region name (e.g. region = "eu-west-3")',
    );
    expect(malformed.status).to.equal(1);

    // Logged in to 111111111111, the shared unit said to live in 222222222222.
    writeFileSync(
      account,
      repoText('live/shared/account.hcl').replace(
        'account_id = "123456789012"',
        'account_id = "222222222222"',
      ),
    );
    expect(preflight().stderr).to.include(
      'you are logged in to AWS account 111111111111 but live/shared/account.hcl says 222222222222: make deploy applies live/shared/global with these credentials',
    );
    rmSync(account);
    expect(preflight().stderr).to.include('live/shared/account.hcl is missing');

    writeFileSync(
      account,
      repoText('live/shared/account.hcl').replace(
        'account_id = "123456789012"',
        'account_id = "111111111111"',
      ),
    );
    // A project that makes the state bucket name invalid for S3 (uppercase, too long).
    writeFileSync(
      join(root, 'root.hcl'),
      filledRootHcl().replace(
        'project = "payflow"',
        'project = "PayFlow-Platform-Of-The-Acme-Corporation"',
      ),
    );
    const badBucket = preflight();
    expect(badBucket.stderr).to.include(
      "root.hcl names the state bucket of live/development 'PayFlow-Platform-Of-The-Acme-Corporation-tfstate-111111111111-eu-west-3', not a valid S3 bucket name",
    );
    expect(badBucket.status).to.equal(1);
  });

  it('preflight refuses the placeholder GitHub repository, or one that is not where CI runs', function () {
    const tools = toolDir({ ...current, curl: 'exit 0', aws: `${awsVersion} echo 111111111111` });
    const root = sandbox('111111111111');
    cleanup.push(tools, root);
    const preflight = (env: NodeJS.ProcessEnv): Run =>
      run('/bin/bash', [join(root, 'live', 'environment.sh'), 'preflight', 'development'], {
        PATH: tools,
        IMAGE_TAG: 'abc123',
        ...env,
      });
    writeFileSync(join(root, 'root.hcl'), repoText('root.hcl'));
    expect(preflight({}).stderr).to.include(
      'root.hcl still has the placeholder github_repository payflow/payflow-platform: set your GitHub repository as owner/name',
    );
    writeFileSync(join(root, 'root.hcl'), filledRootHcl());
    expect(preflight({ GITHUB_REPOSITORY: 'acme/payflow' }).status).to.equal(0);
    expect(preflight({ GITHUB_REPOSITORY: 'someone/fork' }).stderr).to.include(
      'root.hcl says github_repository acme/payflow but this runs in the GitHub repository someone/fork',
    );
    // SKIP_SHARED=1 leaves live/shared/global (and so the roles' trust) alone.
    const skipping = preflight({ GITHUB_REPOSITORY: 'someone/fork', SKIP_SHARED: '1' });
    expect(skipping.stderr).to.equal('');
    expect(skipping.status).to.equal(0);
  });

  it('preflight warns, one line, when the pinned Kubernetes version leaves standard support within 60 days', function () {
    const tools = toolDir({ ...current, curl: 'exit 0', aws: `${awsVersion} echo 111111111111` });
    const root = sandbox('111111111111');
    cleanup.push(tools, root);
    const newest = KUBERNETES_VERSIONS[KUBERNETES_VERSIONS.length - 1];
    if (!newest) throw new Error('stacks/cluster/kubernetes-versions.tsv lists no version');
    const pin = (version: string) =>
      writeFileSync(
        join(root, 'live', 'development', 'env.hcl'),
        `locals {\n  environment = "development"\n  account_id  = "111111111111"\n  region      = "eu-west-3"\n  cluster = {\n    kubernetes_version = "${version}"\n  }\n}\n`,
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
      `warning: Kubernetes ${newest.version} (live/development/env.hcl) leaves EKS standard support on ${newest.standardSupportEnd}, in 60 days: raise cluster.kubernetes_version by one minor version (stacks/cluster/kubernetes-versions.tsv)`,
    ]);
    expect(soon.status, 'a warning, not a problem').to.equal(0);
    expect(supportLines(preflightOn(day(1)))).to.deep.equal([
      `warning: Kubernetes ${newest.version} (live/development/env.hcl) left EKS standard support on ${newest.standardSupportEnd}: EKS upgrades the control plane by itself (extended support ends ${newest.extendedSupportEnd}); raise cluster.kubernetes_version by one minor version`,
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
    const tools = toolDir({ ...withoutHelm, aws: `${awsVersion} echo 111111111111` });
    const root = sandbox('111111111111');
    cleanup.push(tools, root);
    const result = run(
      '/bin/bash',
      [join(root, 'live', 'environment.sh'), 'preflight', 'development'],
      { PATH: tools, IMAGE_TAG: 'abc123' },
    );
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
    for (const typed of ['', 'yes\n', 'staging\n']) {
      const result = run(
        '/bin/bash',
        [script, 'destroy', 'development'],
        { PATH: '/nonexistent' },
        typed,
      );
      expect(result.status, JSON.stringify(typed)).to.equal(1);
      expect(result.stdout).to.include('Type the environment name (development) to confirm');
      expect(result.stderr).to.include("not 'development'; nothing was destroyed");
    }
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

/**
 * Stand-ins for the cloud side of make deploy/destroy. They append every call to $FAKE_STATE/log
 * (with the unit folder and the DECOMMISSION and TF_PLUGIN_CACHE_DIR they saw) and model the one
 * ALB that the API's and Grafana's Ingresses share: it exists while an ingress-* marker does. The
 * app layer's destroy removes the API's Ingress; kubectl delete removes the rest, unless the
 * platform layer (the load balancer controller) is gone, in which case nothing ever removes them.
 */
const cloudTools: Record<string, string> = {
  ...current,
  // With --connect-to: the tunnel check, which (like curl --retry) waits for the session.
  curl: `echo "curl $*" >>"$FAKE_STATE/log"
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
  "output -raw cluster_name") echo "payflow-$environment" ;;
  "output -raw cluster_arn") echo "arn:aws:eks:eu-west-3:111111111111:cluster/payflow-$environment" ;;
  "output -raw cluster_endpoint") echo "https://0123456789ABCDEF.gr7.eu-west-3.eks.amazonaws.com" ;;
  "output -raw cluster_certificate_authority_data") echo "ZmFrZSBjbHVzdGVyIENB" ;;
  "output -raw cluster_access_instance_id")
    [ -e "$FAKE_STATE/no-cluster" ] && { echo "Error: Output \\"cluster_access_instance_id\\" not found" >&2; exit 1; }
    echo "i-0123456789abcdef0" ;;
  "output -raw api_url")
    # The dns layer's URL: https:// with a DNS zone, the load balancer's own name without one.
    if [ -e "$FAKE_STATE/no-zone" ]; then echo "http://k8s-payflow-0123456789-1234567890.eu-west-3.elb.amazonaws.com"
    else echo "https://api.$environment.example.org"; fi ;;
  "output -raw grafana_public_hostname") [ -e "$FAKE_STATE/grafana-public" ] && echo "grafana.$environment.example.org" ;;
  "output -raw ecr_repository_url")
    [ -e "$FAKE_STATE/shared-applied" ] || { echo "Error: Output \\"ecr_repository_url\\" not found" >&2; exit 1; }
    echo "111111111111.dkr.ecr.eu-west-3.amazonaws.com/payflow/api" ;;
  *"run --all"*apply*) [ "$unit" = live/shared/global ] && : >"$FAKE_STATE/shared-applied" ;;
  *"run --all"*destroy*)
    case "$unit" in
      */app) rm -f "$FAKE_STATE/ingress-api" ;;
      live/"$environment") : >"$FAKE_STATE/controller-gone" ;;
    esac ;;
esac
exit 0`,
  aws: `${awsCliVersion}
echo "aws $*" >>"$FAKE_STATE/log"
case "$1 $2" in
  "sts get-caller-identity") echo 111111111111 ;;
  "ssm start-session")
    [ -e "$FAKE_STATE/tunnel-refused" ] && {
      echo "An error occurred (TargetNotConnected) when calling the StartSession operation: i-0123456789abcdef0 is not connected." >&2
      exit 254
    }
    trap 'echo "ssm session ended" >>"$FAKE_STATE/log"; rm -f "$FAKE_STATE/tunnel-open"; exit 0' TERM
    /bin/sleep 300 &
    echo $! >"$FAKE_STATE/session-sleep.pid"
    echo "Starting session with SessionId: deployer-0123456789abcdef0"
    : >"$FAKE_STATE/tunnel-open"
    wait $! ;;
  "resourcegroupstaggingapi get-resources")
    if compgen -G "$FAKE_STATE/ingress-*" >/dev/null; then
      echo "arn:aws:elasticloadbalancing:eu-west-3:111111111111:loadbalancer/app/k8s-payflow-0123456789/0123456789abcdef"
    else
      echo None
    fi ;;
  "route53 list-hosted-zones-by-name")
    # The account's public zone; a run without it marks no-hosted-zone.
    [ -e "$FAKE_STATE/no-hosted-zone" ] && { printf 'other.org.\tFalse\n'; exit 0; }
    printf 'example.org.\tFalse\n' ;;
  "elbv2 describe-load-balancer-attributes")
    # Deletion protection is on until the controller read the annotation kubectl changed.
    if [ -e "$FAKE_STATE/protection-lifted" ]; then echo false; else echo true; fi ;;
esac
exit 0`,
  kubectl: `[ "$1" = version ] && { echo "Client Version: v1.36.2"; exit 0; }
echo "kubectl $* KUBECONFIG=\${KUBECONFIG-unset}" >>"$FAKE_STATE/log"
case " $* " in
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
}

/** The live tree with the real env.hcl files, placeholders filled in as a user would. */
function cloud(cleanup: string[]): Cloud {
  const root = realpathSync(sandbox('111111111111'));
  const state = mkdtempSync(join(tmpdir(), 'payflow-cloud-'));
  const home = mkdtempSync(join(tmpdir(), 'payflow-home-'));
  const tools = toolDir(cloudTools);
  cleanup.push(root, state, home, tools);
  mkdirSync(join(root, 'node_modules'));
  mkdirSync(join(root, 'live', 'shared', 'global'));
  for (const environment of ['development', 'staging', 'production']) {
    for (const layer of ['network', 'cluster', 'data', 'edge', 'platform', 'app', 'dns']) {
      mkdirSync(join(root, 'live', environment, layer), { recursive: true });
    }
    writeFileSync(
      join(root, 'live', environment, 'env.hcl'),
      repoText(`live/${environment}/env.hcl`)
        .replaceAll('123456789012', '111111111111')
        .replaceAll('example.com', 'example.org')
        .replaceAll('00000000-0000-0000-0000-000000000000', '11111111-2222-3333-4444-555555555555')
        .replaceAll('203.0.113.10/32', '198.51.100.7/32')
        .replaceAll(':role/payflow-admin"', ':role/deployer"'),
    );
  }
  // Both Ingresses of the environment, sharing one load balancer.
  writeFileSync(join(state, 'ingress-api'), '');
  writeFileSync(join(state, 'ingress-grafana'), '');
  writeFileSync(join(state, 'log'), '');
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
  };
}

const indexOf = (log: string[], pattern: RegExp): number => log.findIndex((l) => pattern.test(l));

describe('one-line deploy: the sequences (stand-ins for terragrunt, aws and kubectl)', function () {
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
    expect(result.stderr, result.stdout).not.to.include('still exist after 10 minutes');
    expect(result.status, result.stderr).to.equal(0);
    const app = indexOf(log, /^terragrunt live\/development\/app run --all .* destroy /);
    const ingresses = indexOf(log, /^kubectl delete ingress --all --all-namespaces --wait=true/);
    const rest = indexOf(log, /^terragrunt live\/development run --all .* destroy /);
    expect(app, log.join('\n')).to.be.greaterThan(-1);
    expect(ingresses, 'Ingresses deleted after the app layer').to.be.greaterThan(app);
    expect(rest, 'platform and the rest destroyed after the Ingresses').to.be.greaterThan(
      ingresses,
    );
    expect(indexOf(log, /^sleep/), 'no wait: the load balancer was gone').to.equal(-1);
    const session = indexOf(log, /^aws ssm start-session --target i-0123456789abcdef0 /);
    expect(session, 'the app is destroyed through the tunnel').to.be.within(0, app);
    expect(log[ingresses]).to.match(/ KUBECONFIG=\/\S+kubeconfig$/);
    expect(indexOf(log, /^ssm session ended$/)).to.be.greaterThan(rest);
    expect(result.stdout).to.include('deleting the Ingresses left in payflow-development');
    // Development keeps nothing: no decommission step.
    expect(indexOf(log, /live\/development\/data run --all .* apply/)).to.equal(-1);
    expect(log.filter((l) => l.startsWith('terragrunt')).join('\n')).to.include(
      'DECOMMISSION=unset',
    );
  });

  it('destroy stops, before destroying the platform, when the Ingresses cannot be deleted', function () {
    const c = cloud(cleanup);
    writeFileSync(join(c.state, 'controller-gone'), '');
    const result = runScript(c, ['destroy', 'development'], {}, 'development\n');
    expect(result.status).to.equal(1);
    expect(result.stderr).to.include('could not delete the Ingresses of payflow-development');
    expect(indexOf(c.log(), /^terragrunt live\/development run --all/)).to.equal(-1);
  });

  it('destroy of staging and production needs DECOMMISSION=true, then applies the data layer with it first', function () {
    const c = cloud(cleanup);
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
    expect(production.stderr).to.include('database.deletion_protection = true');
    expect(production.stderr).to.include('retention.buckets_force_destroy = false');
    expect(c.log()).to.deep.equal([]);

    const result = runScript(c, ['destroy', 'staging'], { DECOMMISSION: 'true' }, 'staging\n');
    expect(result.status, result.stderr).to.equal(0);
    const runs = c.log().filter((l) => / run --all /.test(l));
    const unitAndCommand = (line: string) => {
      const [, unit = '', command = ''] = / (\S+) run --all .* (apply|destroy) /.exec(line) ?? [];
      return [unit, command];
    };
    expect(runs.map(unitAndCommand)).to.deep.equal([
      ['live/staging/data', 'apply'],
      ['live/staging/edge', 'apply'],
      ['live/staging/dns', 'destroy'],
      ['live/staging/app', 'destroy'],
      ['live/staging', 'destroy'],
    ]);
    for (const line of runs) expect(line).to.include(' DECOMMISSION=true ');
  });

  it('production: CONFIRM_PRODUCTION_DESTROY=yes and DECOMMISSION (1 counts as true) together', function () {
    const c = cloud(cleanup);
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

  it('deploy with SKIP_SHARED=1 stops when live/shared/global was never applied', function () {
    const c = cloud(cleanup);
    const result = runScript(c, ['deploy', 'development'], { SKIP_SHARED: '1' });
    expect(result.status).to.equal(1);
    expect(result.stderr).to.include(
      'live/shared/global has no output ecr_repository_url: with SKIP_SHARED=1 it is only read',
    );
    expect(indexOf(c.log(), / run --all /)).to.equal(-1);
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
    const smoke = indexOf(log, /^kubectl -n payflow get ingress .* KUBECONFIG=\/\S+kubeconfig$/);
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
        `curl --fail --silent --show-error --max-time 10 http://${LOAD_BALANCER}/ready`,
      ]);
      expect(indexOf(c.log(), /^aws route53 /), 'no zone to look up').to.equal(-1);
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
    const c = cloud(cleanup);
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
