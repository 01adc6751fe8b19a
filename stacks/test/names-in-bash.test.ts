// Bash, make and the workflows cannot import the stacks' constants: their copies must equal them.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { parse } from 'yaml';
import { API_RELEASE } from '../app/app-stack';
import { APP_NAMESPACE, MONITORING_NAMESPACE } from '../lib/kubernetes-names';
import { AWS_REGION_PATTERN, ENVIRONMENTS } from '../lib/module-stack';
import { GRAFANA_SERVICE } from '../platform/grafana-access';

const root = join(__dirname, '..', '..');

/** The values of live/environment.sh's `readonly name=literal` lines, as bash itself reads them. */
function environmentScriptConstants(script: string): Record<string, string> {
  const names = [
    'environments',
    'region_pattern',
    'app_namespace',
    'grafana_service',
    'grafana_namespace',
  ];
  const literals = script.split('\n').filter((line) => /^readonly [a-z_]+=(?!.*\$[({])/.test(line));
  const print = names.map((name) => `printf '%s\\n' "\${${name}[*]}"`).join('; ');
  const values = execFileSync('bash', ['-c', `${literals.join('\n')}\n${print}`], {
    encoding: 'utf8',
  });
  const lines = values.split('\n');
  return Object.fromEntries(names.map((name, i) => [name, lines[i] ?? '']));
}

describe('the names bash and make repeat equal the stacks’ constants', function () {
  it('live/environment.sh: environments, region pattern, namespaces, Grafana Service', function () {
    const constants = environmentScriptConstants(
      readFileSync(join(root, 'live/environment.sh'), 'utf8'),
    );
    expect(constants).to.deep.equal({
      environments: ENVIRONMENTS.join(' '),
      region_pattern: AWS_REGION_PATTERN,
      app_namespace: APP_NAMESPACE,
      grafana_service: GRAFANA_SERVICE,
      grafana_namespace: MONITORING_NAMESPACE,
    });
  });

  it('reads what bash reads, so a copy that differs is caught', function () {
    const script =
      "readonly environments=(development staging)\nreadonly region_pattern='^[a-z]+$'\n";
    const constants = environmentScriptConstants(script);
    expect(constants.environments).to.equal('development staging');
    expect(constants.region_pattern).to.equal('^[a-z]+$');
  });

  it('the deploy workflow’s API release and namespace (its Helm history and rollback)', function () {
    const workflow = parse(readFileSync(join(root, '.github/workflows/_deploy.yml'), 'utf8')) as {
      env: Record<string, string>;
    };
    expect(workflow.env.API_RELEASE).to.equal(API_RELEASE);
    expect(workflow.env.APP_NAMESPACE).to.equal(APP_NAMESPACE);
  });

  it('the Makefile’s ENVIRONMENTS, and one live/<env>/env.hcl each', function () {
    const listed = execFileSync(
      'make',
      [
        '--no-print-directory',
        '--eval=print-environments: ; @echo $(ENVIRONMENTS)',
        'print-environments',
      ],
      { cwd: root, encoding: 'utf8' },
    );
    expect(listed.trim()).to.equal(ENVIRONMENTS.join(' '));
    for (const environment of ENVIRONMENTS) {
      expect(existsSync(join(root, 'live', environment, 'env.hcl')), environment).to.equal(true);
    }
  });
});
