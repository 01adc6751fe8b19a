// A rehearsal of the account-wide and network layers against an AWS API emulator (moto_server,
// moto 5.2.1): `terraform init`, `apply` and `destroy` of modules/shared, then of modules/network
// with its outputs, for real, with the inputs their Terragrunt units pass (live/shared/global,
// live/staging/network), the state in an S3 backend with the DynamoDB lock table exactly as
// root.hcl generates them.
// The AWS provider's endpoints point at the emulator through an override file written into a
// temporary copy of each module, never into modules/. What moto cannot emulate is listed in
// NOT_EMULATED below and in live/README.md ("A rehearsal against an AWS API emulator").
// Without moto_server or the provider mirror the rehearsal is skipped, except in CI.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import {
  closeSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from '@cdktf/hcl2json';
import { expect } from 'chai';
import {
  containsUnresolved,
  DependencyOutput,
  type Hcl,
  loadLiveTree,
  resolveUnit,
} from '../../live/test/live-contract';
import { terraform, terraformEnvironment } from './terraform-cli';

const repoRoot = join(__dirname, '..', '..');
const mirror = process.env.TF_PLUGIN_MIRROR;
/** The account moto answers as (sts get-caller-identity). */
const EMULATED_ACCOUNT = '123456789012';
const REGION = 'eu-west-3';
/** Generous: a loaded 2-core machine runs several suites at once. */
const COMMAND_TIMEOUT = 1_200_000;

/**
 * Resources of the rehearsed modules moto 5.2.1 cannot create, left out by address, with the
 * reason. Network and shared need none: every resource they declare is applied and destroyed.
 * The cluster and data modules are not rehearsed: they hold what NOT_EMULATED lists (and the
 * platform and app modules talk to Kubernetes, not AWS).
 */
const LEFT_OUT: Readonly<Record<'network' | 'shared', Readonly<Record<string, string>>>> = {
  network: {},
  shared: {},
};
const NOT_EMULATED: readonly { modules: string[]; types: string[]; reason: string }[] = [
  {
    modules: ['cluster'],
    types: ['aws_eks_access_entry', 'aws_eks_access_policy_association'],
    reason: 'moto 5.2.1 implements EKS clusters, node groups and Fargate profiles only',
  },
  { modules: ['cluster'], types: ['aws_eks_addon'], reason: 'no EKS add-on API in moto 5.2.1' },
  {
    modules: ['cluster', 'data'],
    types: ['aws_eks_pod_identity_association'],
    reason: 'no EKS Pod Identity API in moto 5.2.1',
  },
  {
    modules: ['data'],
    types: ['aws_db_instance_automated_backups_replication'],
    reason: 'no cross-region RDS backup replication in moto 5.2.1',
  },
];

/** Keys of root.hcl's remote_state that Terragrunt uses itself and leaves out of backend.tf. */
const TERRAGRUNT_ONLY_KEYS = new Set([
  's3_bucket_tags',
  'dynamodb_table_tags',
  'enable_lock_table_ssencryption',
  'skip_bucket_versioning',
  'skip_bucket_ssencryption',
  'skip_bucket_enforced_tls',
  'skip_bucket_public_access_blocking',
  'skip_bucket_root_access',
]);

/** Services the provider and the backend call, all answered by the emulator. */
const SERVICES = ['dynamodb', 'ec2', 'ecr', 'iam', 'kms', 'logs', 's3', 'sts'];

/**
 * Starts moto_server on a port the system picks (-p 0: no race for a "free" port) and resolves
 * with its address once its log says where it listens, or rejects after `deadline` ms (a bound
 * for a loaded machine, not a goal). The log is a file, not a pipe: the tests run Terraform with
 * spawnSync, which blocks this process, and a pipe nobody reads would stall the emulator.
 */
async function startEmulator(
  logFile: string,
  deadline: number,
): Promise<{ process: ChildProcess; endpoint: string }> {
  const log = openSync(logFile, 'a');
  const child = spawn('moto_server', ['-H', '127.0.0.1', '-p', '0'], {
    env: { ...process.env, MOTO_IAM_LOAD_MANAGED_POLICIES: 'true' },
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  const until = Date.now() + deadline;
  for (;;) {
    const output = readFileSync(logFile, 'utf8');
    const address = /Running on (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1];
    if (address) return { process: child, endpoint: address };
    if (child.exitCode !== null || Date.now() > until) {
      child.kill('SIGTERM');
      throw new Error(`moto_server did not start within ${deadline / 1000} s:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** The AWS provider, overridden to call the emulator (merged into the module's provider block). */
const providerOverride = (endpoint: string): object => ({
  provider: {
    aws: {
      access_key: 'testing',
      secret_key: 'testing',
      skip_credentials_validation: true,
      skip_metadata_api_check: true,
      s3_use_path_style: true,
      endpoints: [Object.fromEntries(SERVICES.map((service) => [service, endpoint]))],
    },
  },
});

/**
 * The S3 backend root.hcl generates for a unit (remote_state: state_bucket_config merged with the
 * lock table), its locals filled in for the emulated account, plus what reaching the emulator
 * takes (endpoints, path-style requests, no credential check).
 */
async function rootBackend(unitDir: string, endpoint: string): Promise<Hcl> {
  const root = (await parse('root.hcl', readFileSync(join(repoRoot, 'root.hcl'), 'utf8'))) as {
    locals: Hcl[];
  };
  const locals = Object.assign({}, ...root.locals) as Hcl;
  const generated = {
    ...(locals.state_bucket_config as Hcl),
    ...(locals.state_lock_table as Hcl),
  };
  const values: Record<string, string> = {
    '${local.project}': String(locals.project),
    '${local.account_id}': EMULATED_ACCOUNT,
    '${local.region}': REGION,
    '${path_relative_to_include()}': unitDir,
  };
  const backend: Hcl = {};
  for (const [key, value] of Object.entries(generated)) {
    if (TERRAGRUNT_ONLY_KEYS.has(key)) continue;
    const filled =
      typeof value === 'string'
        ? Object.entries(values).reduce((text, [from, to]) => text.replaceAll(from, to), value)
        : value;
    expect(
      String(filled),
      `root.hcl ${key}: an expression this rehearsal cannot fill`,
    ).not.to.include('${');
    backend[key] = filled;
  }
  return {
    ...backend,
    endpoints: { s3: endpoint, dynamodb: endpoint, sts: endpoint, iam: endpoint },
    use_path_style: true,
    skip_credentials_validation: true,
    skip_requesting_account_id: true,
    skip_metadata_api_check: true,
  };
}

/** Every `resource` address a module declares (`aws_vpc.this`), counted or not. */
function declaredResources(module: Hcl): string[] {
  return Object.entries((module.resource ?? {}) as Record<string, Hcl>).flatMap(([type, byName]) =>
    Object.keys(byName).map((name) => `${type}.${name}`),
  );
}

/** `terraform state list` without instance keys: aws_subnet.private[0] -> aws_subnet.private. */
const stateResources = (list: string): Set<string> =>
  new Set(
    list
      .split('\n')
      .filter((line) => line && !line.startsWith('data.'))
      .map((line) => line.replace(/\[[^\]]*\]$/, '')),
  );

describe('rehearsal against an AWS API emulator (moto_server): network and shared, for real', function () {
  this.timeout(3_600_000);
  let moto: ChildProcess | undefined;
  let endpoint = '';
  let work = '';
  let env: NodeJS.ProcessEnv = {};
  /** Outputs of the units applied so far, by the dependency name units give them. */
  const appliedOutputs = new Map<string, Hcl>();

  before(async function () {
    const missing = [
      spawnSync('terraform', ['version']).status === 0 ? '' : 'terraform',
      spawnSync('moto_server', ['--help']).status === 0
        ? ''
        : 'moto_server (pip install moto[server]==5.2.1)',
      // GitHub's runners download the provider from the registry; offline machines need the mirror.
      mirror || process.env.GITHUB_ACTIONS === 'true'
        ? ''
        : 'the provider mirror (TF_PLUGIN_MIRROR, found and exported by .ci/run)',
    ].filter(Boolean);
    if (missing.length > 0) {
      const reason = `rehearsal against moto SKIPPED: ${missing.join(', ')} missing`;
      if (process.env.CI === 'true') throw new Error(`${reason}; CI machines have them`);
      console.warn(`\n  !!! ${reason}: modules/network and modules/shared were NOT applied.\n`);
      this.skip();
    }
    work = mkdtempSync(join(tmpdir(), 'payflow-moto-'));
    const emulator = await startEmulator(join(work, 'moto.log'), 300_000);
    moto = emulator.process;
    endpoint = emulator.endpoint;
    expect((await fetch(`${endpoint}/moto-api/`)).ok, 'the emulator answers').to.equal(true);
    // Emulator credentials only: nothing from the developer's AWS profile.
    const ambient = new Set(['AWS_PROFILE', 'AWS_SESSION_TOKEN', 'AWS_ENDPOINT_URL']);
    env = {
      ...Object.fromEntries(
        Object.entries(terraformEnvironment(work, mirror)).filter(([key]) => !ambient.has(key)),
      ),
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      AWS_REGION: REGION,
      AWS_EC2_METADATA_DISABLED: 'true',
    };
  });

  after(async function () {
    if (moto && moto.exitCode === null) {
      const exited = new Promise((resolve) => moto?.once('exit', resolve));
      moto.kill('SIGTERM');
      await exited;
    }
    if (work) rmSync(work, { recursive: true, force: true });
  });

  /** `terraform <args>` that must succeed, its output in the failure message. */
  const tf = (args: string[], cwd: string): string => {
    const result = terraform([...args, '-no-color'], cwd, env, COMMAND_TIMEOUT);
    expect(result.status, `terraform ${args.join(' ')}\n${result.output}`).to.equal(0);
    return result.output;
  };

  /** A copy of modules/<name> wired to the emulator, with the unit's inputs and backend. */
  const rehearsal = async (
    name: 'network' | 'shared',
    unitDir: string,
    overrides: Hcl,
    label: string = name,
  ): Promise<{ dir: string; module: Hcl }> => {
    const dir = join(work, label);
    mkdirSync(dir);
    const module = JSON.parse(
      readFileSync(join(repoRoot, 'modules', name, 'main.tf.json'), 'utf8'),
    ) as Hcl;
    cpSync(join(repoRoot, 'modules', name, 'main.tf.json'), join(dir, 'main.tf.json'));
    writeFileSync(
      join(dir, 'emulator_override.tf.json'),
      JSON.stringify(providerOverride(endpoint)),
    );
    writeFileSync(
      join(dir, 'backend.tf.json'),
      JSON.stringify({ terraform: { backend: { s3: await rootBackend(unitDir, endpoint) } } }),
    );
    // The inputs Terragrunt passes (the unit's evaluated inputs, root.hcl's included), for the
    // emulated account; what only Terragrunt can evaluate (get_aws_account_id(), merge()) is
    // given here or left to the module's defaults.
    const unit = resolveUnit(await loadLiveTree(repoRoot), unitDir);
    const declared = new Set(Object.keys((module.variable ?? {}) as Hcl));
    const inputs: Hcl = {};
    for (const [key, { value }] of unit.inputs) {
      if (!declared.has(key)) continue;
      if (value instanceof DependencyOutput) {
        // What the rehearsed unit it depends on output (live/shared/global, applied first).
        const output = appliedOutputs.get(value.dependency)?.[value.output];
        if (output === undefined) {
          throw new Error(
            `${unitDir}: dependency.${value.dependency}.outputs.${value.output} was not applied`,
          );
        }
        inputs[key] = output;
      } else if (!containsUnresolved(value) && !JSON.stringify(value).includes('${')) {
        // Anything else (merge(...) of the tags) is Terragrunt's to evaluate.
        inputs[key] = value;
      }
    }
    Object.assign(inputs, { allowed_account_ids: [EMULATED_ACCOUNT] }, overrides);
    writeFileSync(join(dir, 'terraform.tfvars.json'), JSON.stringify(inputs));
    return { dir, module };
  };

  it('creates the state bucket and the lock table root.hcl names, as terragrunt --backend-bootstrap does', async function () {
    const dir = join(work, 'bootstrap');
    const backend = await rootBackend('live/staging/network', endpoint);
    expect(backend.use_lockfile, 'S3 native locking').to.equal(true);
    expect(backend.dynamodb_table, 'the DynamoDB lock table (PAYFLOW_STATE_DYNAMODB_LOCK)').to.be.a(
      'string',
    );
    const network = JSON.parse(
      readFileSync(join(repoRoot, 'modules', 'network', 'main.tf.json'), 'utf8'),
    ) as { terraform: Hcl };
    mkdirSync(dir);
    writeFileSync(
      join(dir, 'main.tf.json'),
      JSON.stringify({
        terraform: { required_providers: network.terraform.required_providers },
        provider: { aws: [{ region: REGION }] },
        resource: {
          aws_s3_bucket: { state: { bucket: backend.bucket } },
          aws_s3_bucket_versioning: {
            state: {
              bucket: '${aws_s3_bucket.state.id}',
              versioning_configuration: [{ status: 'Enabled' }],
            },
          },
          aws_dynamodb_table: {
            lock: {
              name: backend.dynamodb_table,
              billing_mode: 'PAY_PER_REQUEST',
              hash_key: 'LockID',
              attribute: [{ name: 'LockID', type: 'S' }],
            },
          },
        },
      }),
    );
    writeFileSync(
      join(dir, 'emulator_override.tf.json'),
      JSON.stringify(providerOverride(endpoint)),
    );
    tf(['init', '-input=false'], dir);
    tf(['apply', '-auto-approve', '-input=false'], dir);
  });

  interface State {
    resources: { type: string; name: string; instances: { attributes: Hcl }[] }[];
  }

  /**
   * Applies a rehearsed module, checks every resource it declares exists in its state and returns
   * that state.
   */
  const applyEverything = (dir: string, name: 'network' | 'shared', module: Hcl): State => {
    const init = tf(['init', '-input=false'], dir);
    expect(init).to.include('Successfully configured the backend "s3"');
    tf(['apply', '-auto-approve', '-input=false'], dir);
    const applied = stateResources(tf(['state', 'list'], dir));
    const expected = declaredResources(module).filter((address) => !(address in LEFT_OUT[name]));
    expect([...applied].sort(), 'every resource of the module was created').to.deep.equal(
      expected.sort(),
    );
    // The state lives in the emulated bucket, under the unit's key, not on disk.
    const pulled = JSON.parse(tf(['state', 'pull'], dir)) as State;
    expect(pulled.resources.length).to.be.greaterThan(0);
    return pulled;
  };

  const destroyEverything = (dir: string): void => {
    tf(['destroy', '-auto-approve', '-input=false'], dir);
    expect(tf(['state', 'list'], dir).trim(), 'destroy leaves nothing').to.equal('');
  };

  it('modules/shared: init with the S3 backend and lock table, apply every resource', async function () {
    // The GitHub roles as an account deployed from GitHub Actions has them.
    const { dir, module } = await rehearsal('shared', 'live/shared/global', {
      create_github_roles: true,
      github_repository: 'acme/payflow-platform',
    });
    applyEverything(dir, 'shared', module);
    const outputs = JSON.parse(tf(['output', '-json'], dir)) as Record<string, { value: unknown }>;
    appliedOutputs.set(
      'shared',
      Object.fromEntries(Object.entries(outputs).map(([key, { value }]) => [key, value])),
    );
  });

  it("modules/network: staging's network with the shared layer's outputs, apply every resource, destroy", async function () {
    // Three zones, a NAT gateway in each, the interface endpoints (ECR, STS, Secrets Manager and
    // Systems Manager for the cluster tunnel); roles under the boundary.
    const { dir, module } = await rehearsal('network', 'live/staging/network', {});
    const state = applyEverything(dir, 'network', module);
    // The Systems Manager endpoints the cluster's tunnel instance reaches SSM through (ADR 012),
    // in the private subnets behind the interface endpoints' security group.
    const endpoints = state.resources
      .filter((r) => r.type === 'aws_vpc_endpoint')
      .flatMap((r) => r.instances.map(({ attributes }) => attributes))
      .filter((a) => a.vpc_endpoint_type === 'Interface');
    const services = endpoints.map((a) => String(a.service_name)).sort();
    for (const service of ['ssm', 'ssmmessages', 'ec2messages']) {
      expect(services).to.include(`com.amazonaws.${REGION}.${service}`);
    }
    const ids = (type: string, name: string): unknown[] =>
      (state.resources.find((r) => r.type === type && r.name === name)?.instances ?? []).map(
        ({ attributes }) => attributes.id,
      );
    const group = ids('aws_security_group', 'interface_endpoints');
    const privateSubnets = ids('aws_subnet', 'private');
    expect(group, 'the interface endpoints security group').to.have.length(1);
    expect(privateSubnets, "staging's three zones").to.have.length(3);
    for (const attributes of endpoints) {
      const service = String(attributes.service_name);
      expect(attributes.security_group_ids, service).to.deep.equal(group);
      expect((attributes.subnet_ids as string[]).sort(), service).to.deep.equal(
        (privateSubnets as string[]).sort(),
      );
    }
    destroyEverything(dir);
  });

  it('modules/shared: destroy', function () {
    destroyEverything(join(work, 'shared'));
  });

  it('allowed_account_ids stops a plan in any other account before it reads anything', async function () {
    const { dir } = await rehearsal(
      'shared',
      'live/shared/global',
      { allowed_account_ids: ['111122223333'] },
      'shared-in-another-account',
    );
    tf(['init', '-input=false'], dir);
    const plan = terraform(['plan', '-input=false', '-no-color'], dir, env, COMMAND_TIMEOUT);
    expect(plan.status, plan.output).to.equal(1);
    expect(plan.output).to.match(/AWS account ID not allowed: 123456789012/);
  });
});

describe('rehearsal against an AWS API emulator: what it leaves out', function () {
  it('what is not rehearsed is what moto cannot emulate, in the modules that declare it', function () {
    for (const { modules, types, reason } of NOT_EMULATED) {
      for (const name of modules) {
        const module = JSON.parse(
          readFileSync(join(repoRoot, 'modules', name, 'main.tf.json'), 'utf8'),
        ) as { resource?: Hcl };
        for (const type of types) {
          expect(
            module.resource ?? {},
            `modules/${name} declares ${type} (${reason})`,
          ).to.have.property(type);
        }
      }
    }
    // The rehearsed modules declare none of them.
    for (const name of ['network', 'shared']) {
      const module = JSON.parse(
        readFileSync(join(repoRoot, 'modules', name, 'main.tf.json'), 'utf8'),
      ) as { resource?: Hcl };
      const unsupported = NOT_EMULATED.flatMap(({ types }) => types);
      expect(
        Object.keys(module.resource ?? {}).filter((t) => unsupported.includes(t)),
      ).to.deep.equal([]);
    }
  });
});
