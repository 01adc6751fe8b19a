// The Kubernetes version: one dated table (stacks/cluster/kubernetes-versions.tsv) that the
// modules validate against and live/environment.sh warns from, and everything that follows the
// version kept in step with what env.hcl pins (CI's helm/kubeconform target, kubectl, the chart).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { parse } from 'yaml';
import { KUBERNETES_VERSIONS, parseKubernetesVersions } from '../cluster/kubernetes-versions';
import { ENVIRONMENTS } from '../lib/module-stack';
import { type Hcl, type LiveTree, loadLiveTree, localsOf } from '../../live/test/live-contract';

const repoRoot = join(__dirname, '..', '..');
const minor = (version: string): number => Number(version.split('.')[1]);

describe('Kubernetes version (stacks/cluster/kubernetes-versions.tsv)', function () {
  let tree: LiveTree;
  let pins: Record<string, string>;
  before(async function () {
    tree = await loadLiveTree(repoRoot);
    pins = Object.fromEntries(
      ENVIRONMENTS.map((environment) => {
        const cluster = localsOf(tree.files.get(`live/${environment}/env.hcl`)).cluster as Hcl;
        return [environment, String(cluster.cluster_version)];
      }),
    );
  });

  it('lists consecutive minor versions, each with standard support ending before extended support', function () {
    expect(KUBERNETES_VERSIONS.length).to.be.at.least(3);
    KUBERNETES_VERSIONS.forEach((row, index) => {
      const previous = KUBERNETES_VERSIONS[index - 1];
      if (previous) expect(minor(row.version), row.version).to.equal(minor(previous.version) + 1);
      if (previous)
        expect(row.standardSupportEnd > previous.standardSupportEnd, row.version).to.equal(true);
      expect(Number.isNaN(Date.parse(row.standardSupportEnd)), row.version).to.equal(false);
      expect(row.extendedSupportEnd > row.standardSupportEnd, row.version).to.equal(true);
    });
  });

  it('refuses a line that is neither a comment nor a version row', function () {
    expect(parseKubernetesVersions('# comment\n1.36\t2027-08-02\t2028-08-02\n')).to.have.length(1);
    expect(() => parseKubernetesVersions('1.36 2027-08-02 2028-08-02\n')).to.throw(
      /not "<1.xx> TAB <date> TAB <date>"/,
    );
  });

  it('every environment pins a version of the table (env.hcl cluster.cluster_version)', function () {
    const offered = KUBERNETES_VERSIONS.map((v) => v.version);
    for (const [environment, version] of Object.entries(pins)) {
      expect(offered, environment).to.include(version);
    }
  });

  it('CI writes no Kubernetes version of its own: chart-renders.ts reads env.hcl', function () {
    const ci = readFileSync(join(repoRoot, '.github', 'workflows', 'ci.yml'), 'utf8');
    expect(ci).to.not.match(/KUBERNETES_VERSION|kube-version\s+1\.\d+/);
    expect(ci).to.include('.github/scripts/chart-renders.ts');
  });

  it('kubectl (mise.toml) is within one minor version of every cluster', function () {
    const mise = readFileSync(join(repoRoot, 'mise.toml'), 'utf8');
    const kubectl = /^kubectl = "(\d+\.\d+)\.\d+"$/m.exec(mise)?.[1];
    expect(kubectl, 'kubectl pin in mise.toml').to.be.a('string');
    for (const [environment, version] of Object.entries(pins)) {
      expect(Math.abs(minor(String(kubectl)) - minor(version)), environment).to.be.at.most(1);
    }
  });

  it("the API chart's kubeVersion admits every pinned version", function () {
    const chart = parse(readFileSync(join(repoRoot, 'app', 'chart', 'Chart.yaml'), 'utf8')) as {
      kubeVersion: string;
    };
    const lowest = /^>=\s*1\.(\d+)\.\d+(-0)?$/.exec(chart.kubeVersion)?.[1];
    expect(lowest, `kubeVersion ${chart.kubeVersion} is a lower bound`).to.be.a('string');
    for (const version of Object.values(pins)) {
      expect(minor(version)).to.be.at.least(Number(lowest));
    }
  });
});
