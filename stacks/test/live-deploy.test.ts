// The failure paths of the one-line deploy (make plan/deploy/destroy, live/environment.sh):
// nothing here reaches AWS, so what is tested is that every missing or wrong prerequisite is
// named clearly and stops the run before Terragrunt starts.
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';

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

/** A copy of the script with its own mise.toml and env.hcl, so env.hcl can say another account. */
function sandbox(accountId: string): string {
  const root = mkdtempSync(join(tmpdir(), 'payflow-live-'));
  mkdirSync(join(root, 'live', 'development'), { recursive: true });
  cpSync(script, join(root, 'live', 'environment.sh'));
  cpSync(join(repoRoot, 'mise.toml'), join(root, 'mise.toml'));
  writeFileSync(
    join(root, 'live', 'development', 'env.hcl'),
    `locals {\n  environment = "development"\n  account_id  = "${accountId}"\n  region      = "eu-west-3"\n}\n`,
  );
  return root;
}

const current = {
  terraform: 'echo "Terraform v1.11.4"',
  terragrunt: 'echo "terragrunt version v0.99.5"',
  kubectl: 'echo "Client Version: v1.33.3"',
  helm: 'echo "v3.18.4+g1234567"',
  node: 'echo v20.19.0',
  npm: 'echo 11.0.0',
};

describe('one-line deploy: failure paths (make plan/deploy/destroy, live/environment.sh)', function () {
  const cleanup: string[] = [];
  after(function () {
    for (const dir of cleanup) rmSync(dir, { recursive: true, force: true });
  });

  it('make deploy ENV=nope stops before anything runs, naming the environments', function () {
    for (const target of ['plan', 'deploy', 'destroy', 'outputs', 'kubeconfig']) {
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
      'helm is not installed',
      'node is not installed',
      'npm is not installed',
      'curl is not installed',
      'docker is not installed',
      'live/development/env.hcl still has the placeholder account_id 123456789012',
      'still has the placeholder domain dev.payflow.example.com',
      'still has the placeholder certificate_arn',
      'still has the placeholder public_access_cidrs 203.0.113.10/32',
      'still has the placeholder admin_principal_arns',
    ]) {
      expect(result.stderr).to.include(expected);
    }
    expect(result.stderr).to.match(/preflight for deploy development found 14 problem\(s\)/);
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
    const awsVersion = '[ "$1" = --version ] && { echo "aws-cli/2.27.50 Python/3.13"; exit 0; };';
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
      aws: '[ "$1" = --version ] && { echo "aws-cli/2.27.50 Python/3.13"; exit 0; }; echo 111111111111',
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
    // The sandbox env.hcl has no domain or certificate placeholder; only the account matters here.
    expect(result.stderr).to.equal('');
    expect(result.stdout).to.include(
      'preflight ok: tools, AWS account 111111111111, region eu-west-3',
    );
    expect(result.status).to.equal(0);
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
