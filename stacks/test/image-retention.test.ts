// Retention of the API images (issue 13): the lifecycle policy of the ECR repository, as
// synthesized in modules/shared and evaluated by Terraform, applied with the ECR rules
// (ecr-lifecycle.ts) to a registry after 60 builds of main, a production release and a staging
// deploy: releases and deployed images stay, untagged leftovers and superseded builds go. make
// deploy and the deploy workflow add the tags the policy relies on (live/tag-image.sh).
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { parse } from 'yaml';
import { DEPLOYED_TAG_PREFIX, RELEASE_TAG_PATTERN } from '../shared/container-repository';
import { type Image, type LifecycleRule, expiredImages, selects } from './ecr-lifecycle';
import { evaluateModuleExpressions, terraformAvailable } from './platform-terraform-evaluation';

const REPOSITORY = join(__dirname, '..', '..');
const DAY_MS = 24 * 60 * 60 * 1000;
const NOW = new Date('2026-06-30T12:00:00Z');

type Block = Record<string, unknown>;

/** The lifecycle policy of modules/shared, with the module's default inputs. */
function synthesizedRules(): LifecycleRule[] {
  const shared = JSON.parse(
    readFileSync(join(REPOSITORY, 'modules', 'shared', 'main.tf.json'), 'utf8'),
  ) as { variable: Record<string, unknown>; resource: Record<string, Record<string, Block>> };
  const [lifecycle] = Object.values(shared.resource['aws_ecr_lifecycle_policy'] ?? {});
  const result = evaluateModuleExpressions(
    'shared',
    { variable: shared.variable },
    { policy: lifecycle?.['policy'] },
    {
      environment: 'production',
      region: 'eu-west-3',
      github_repository: 'acme/payflow',
      allowed_account_ids: ['123456789012'],
    },
  );
  expect(result.status, result.stderr).to.equal(0);
  return (JSON.parse(String(result.values['policy'])) as { rules: LifecycleRule[] }).rules;
}

const commit = (n: number) => n.toString(16).padStart(40, 'c');
const daysAgo = (days: number) => new Date(NOW.getTime() - days * DAY_MS);

/** Build n of main (1 = oldest), pushed 61 - n days ago, tagged with its commit. */
const build = (n: number, ...extraTags: string[]): Image => ({
  digest: `sha256:build-${n}`,
  tags: [commit(n), ...extraTags],
  pushedAt: daysAgo(61 - n),
});

describe('API image retention (ECR lifecycle policy of modules/shared)', function () {
  this.timeout(120_000);

  it('keeps releases, deployed images and the newest builds; expires old untagged and superseded builds', function () {
    if (!terraformAvailable()) {
      if (process.env['CI']) throw new Error('terraform is required in CI');
      this.skip();
    }
    const release = build(5, '1.4.0', `${DEPLOYED_TAG_PREFIX}production-${commit(5)}`);
    const deployedToStaging = build(10, `${DEPLOYED_TAG_PREFIX}staging-${commit(10)}`);
    const images: Image[] = [
      ...Array.from({ length: 60 }, (_, i) => i + 1)
        .filter((n) => n !== 5 && n !== 10)
        .map((n) => build(n)),
      release,
      deployedToStaging,
      // a failed multi-arch push, a build whose tag was reused: untagged, old and recent
      ...[30, 20, 9, 2, 1].map((days) => ({
        digest: `sha256:untagged-${days}`,
        tags: [],
        pushedAt: daysAgo(days),
      })),
    ];
    const expired = expiredImages(synthesizedRules(), images, NOW);
    expect(expired.has(release.digest), 'the production release').to.equal(false);
    expect(expired.has(deployedToStaging.digest), 'the image deployed to staging').to.equal(false);
    expect([...expired].sort()).to.deep.equal(
      [
        // the 50 newest tagged images are builds 11 to 60; 1 to 9 are older, 5 is the release
        ...[1, 2, 3, 4, 6, 7, 8, 9].map((n) => `sha256:build-${n}`),
        // untagged images expire after ecr_untagged_expiry_days (7)
        'sha256:untagged-30',
        'sha256:untagged-20',
        'sha256:untagged-9',
      ].sort(),
    );
  });

  describe('the evaluator follows the ECR rules', function () {
    const keep = (pattern: string, priority: number): LifecycleRule => ({
      rulePriority: priority,
      selection: {
        tagStatus: 'tagged',
        tagPatternList: [pattern],
        countType: 'imageCountMoreThan',
        countNumber: 1000,
      },
      action: { type: 'expire' },
    });
    const expireAllTagged: LifecycleRule = {
      rulePriority: 9,
      selection: {
        tagStatus: 'tagged',
        tagPatternList: ['*'],
        countType: 'imageCountMoreThan',
        countNumber: 1,
      },
      action: { type: 'expire' },
    };

    it('a rule cannot expire an image a higher-priority rule selected, which still counts', function () {
      const images = [build(1, 'v1'), build(2), build(3)];
      expect([...expiredImages([expireAllTagged], images, NOW)].sort()).to.deep.equal([
        'sha256:build-1',
        'sha256:build-2',
      ]);
      expect([...expiredImages([keep('v*', 1), expireAllTagged], images, NOW)]).to.deep.equal([
        'sha256:build-2',
      ]);
      // Priority, not order in the list: the keeping rule written after still comes first.
      expect([...expiredImages([expireAllTagged, keep('v*', 1)], images, NOW)]).to.deep.equal([
        'sha256:build-2',
      ]);
    });

    it('tagPrefixList and tagPatternList need every entry to match one of the tags', function () {
      const rule = (list: Partial<LifecycleRule['selection']>): LifecycleRule => ({
        ...expireAllTagged,
        selection: { ...expireAllTagged.selection, tagPatternList: undefined, ...list },
      });
      const image = build(1, 'deployed-staging-x', '1.2.3');
      expect(selects(rule({ tagPrefixList: ['deployed-', '1.'] }), image)).to.equal(true);
      expect(selects(rule({ tagPrefixList: ['deployed-', 'v'] }), image)).to.equal(false);
      expect(selects(rule({ tagPatternList: ['*.*.*'] }), image)).to.equal(true);
      expect(selects(rule({ tagPatternList: ['*.*.*'] }), build(2))).to.equal(false);
      expect(
        selects(
          { ...rule({}), selection: { ...rule({}).selection, tagStatus: 'untagged' } },
          image,
        ),
      ).to.equal(false);
    });

    it('release tags are the only ones RELEASE_TAG_PATTERN matches', function () {
      const isRelease = (tag: string) => selects(keep(RELEASE_TAG_PATTERN, 1), build(1, tag));
      expect(isRelease('1.4.2')).to.equal(true);
      expect(isRelease('10.0.0-rc.1')).to.equal(true);
      expect(selects(keep(RELEASE_TAG_PATTERN, 1), build(7))).to.equal(false);
      expect(
        selects(keep(RELEASE_TAG_PATTERN, 1), {
          ...build(8),
          tags: [`${DEPLOYED_TAG_PREFIX}staging-${commit(8)}`],
        }),
      ).to.equal(false);
    });
  });

  describe('make deploy and the deploy workflow add the tags the policy keeps', function () {
    interface Step {
      name?: string;
      run?: string;
      env?: Record<string, string>;
    }
    const steps = (
      parse(readFileSync(join(REPOSITORY, '.github/workflows/_deploy.yml'), 'utf8')) as {
        jobs: { deploy: { steps: Step[] } };
      }
    ).jobs.deploy.steps;
    const index = (pattern: RegExp) => steps.findIndex((s) => pattern.test(s.run ?? ''));

    it('make deploy tags the image deployed-<environment>-<tag>, in one place; CI adds the release after it', function () {
      // The call itself runs against stand-ins in live-deploy.test.ts (deploy tags the image…).
      const script = readFileSync(join(REPOSITORY, 'live', 'environment.sh'), 'utf8');
      expect(script).to.contain(
        `"$live_dir/tag-image.sh" "\${repository_url#*/}" "$IMAGE_TAG" "${DEPLOYED_TAG_PREFIX}$environment-$IMAGE_TAG"`,
      );
      const deploy = index(/make deploy ENV=/);
      const release = index(/live\/tag-image\.sh "\$ECR_REPOSITORY" "\$IMAGE_TAG" "\$RELEASE_TAG"/);
      expect(deploy, 'make deploy step').to.be.greaterThan(-1);
      expect(
        steps.filter((s) => (s.run ?? '').includes(DEPLOYED_TAG_PREFIX)),
        'the workflow leaves the deployed tag to make deploy',
      ).to.deep.equal([]);
      expect(release).to.be.greaterThan(deploy);
    });

    it('the production release tag is the version without its v: what RELEASE_TAG_PATTERN matches', function () {
      const production = readFileSync(
        join(REPOSITORY, '.github/workflows/deploy-production.yml'),
        'utf8',
      );
      expect(production).to.contain('echo "image-version=${VERSION#v}" >>"$GITHUB_OUTPUT"');
      expect(production).to.contain('release-tag: ${{ needs.release.outputs.image-version }}');
    });
  });

  describe('live/tag-image.sh (stand-in aws recording its calls)', function () {
    const script = join(REPOSITORY, 'live', 'tag-image.sh');
    const fakeAws = (existing: string): string => {
      const dir = mkdtempSync(join(tmpdir(), 'payflow-aws-'));
      writeFileSync(
        join(dir, 'aws'),
        `#!/bin/bash
echo "aws $*" >>"${dir}/log"
case "$*" in
  *"describe-images"*"imageTag=${existing}"*) echo '{"imageDetails":[{}]}' ;;
  *"describe-images"*) echo "An error occurred (ImageNotFoundException)" >&2; exit 254 ;;
  *"--query images[0].imageManifest --output"*) echo '{"schemaVersion":2}' ;;
  *"--query images[0].imageManifestMediaType"*) echo 'application/vnd.oci.image.index.v1+json' ;;
esac
exit 0
`,
      );
      chmodSync(join(dir, 'aws'), 0o755);
      return dir;
    };
    const tag = (dir: string, ...args: string[]) => {
      const result = spawnSync('/bin/bash', [script, ...args], {
        env: { PATH: `${dir}:/usr/bin:/bin` },
        encoding: 'utf8',
      });
      const log = spawnSync('cat', [join(dir, 'log')], { encoding: 'utf8' })
        .stdout.trim()
        .split('\n');
      rmSync(dir, { recursive: true, force: true });
      return { ...result, log };
    };

    it('puts the same manifest under the new tag', function () {
      const result = tag(
        fakeAws('none'),
        'payflow/api',
        commit(1),
        `deployed-staging-${commit(1)}`,
      );
      expect(result.status, result.stderr).to.equal(0);
      expect(result.log.at(-1)).to.equal(
        `aws ecr put-image --repository-name payflow/api --image-tag deployed-staging-${commit(1)} --image-manifest {"schemaVersion":2} --image-manifest-media-type application/vnd.oci.image.index.v1+json`,
      );
      expect(
        result.log
          .filter((l) => l.includes(`batch-get-image`))
          .every((l) => l.includes(`imageTag=${commit(1)}`)),
      ).to.equal(true);
    });

    it('leaves a tag that is there already (tags are immutable)', function () {
      const result = tag(fakeAws('1.4.0'), 'payflow/api', commit(1), '1.4.0');
      expect(result.status, result.stderr).to.equal(0);
      expect(result.stdout).to.contain('ECR already has payflow/api:1.4.0');
      expect(result.log.some((l) => l.includes('put-image'))).to.equal(false);
    });

    it('needs exactly three arguments, and is shellcheck-clean', function () {
      const usage = spawnSync('/bin/bash', [script, 'payflow/api'], { encoding: 'utf8' });
      expect(usage.status).to.equal(2);
      expect(usage.stderr).to.match(
        /^usage: tag-image\.sh <repository name> <existing tag> <new tag>/,
      );
      const shellcheck = spawnSync('shellcheck', [script], { encoding: 'utf8' });
      if (shellcheck.error) {
        if (process.env['CI']) throw new Error('shellcheck is required in CI');
        this.skip();
      }
      expect(shellcheck.status, shellcheck.stdout).to.equal(0);
    });
  });
});
