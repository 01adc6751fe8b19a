import { EcrLifecyclePolicy } from '@cdktf/provider-aws/lib/ecr-lifecycle-policy';
import { EcrRepository } from '@cdktf/provider-aws/lib/ecr-repository';
import { KmsAlias } from '@cdktf/provider-aws/lib/kms-alias';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import { Fn } from 'cdktf';
import { Construct } from 'constructs';

/**
 * Prefix of the tag a deploy adds to the image it runs, `deployed-<environment>-<commit>`
 * (live/tag-image.sh, from .github/workflows/_deploy.yml): such images never expire.
 */
export const DEPLOYED_TAG_PREFIX = 'deployed-';
/**
 * Release tags: the semver version a production release adds (`1.4.2`, _deploy.yml). Commit
 * tags (40 hexadecimal digits) and deployed-* tags have no dot: only releases match.
 */
export const RELEASE_TAG_PATTERN = '*.*.*';
/** "Expire beyond this many": ECR has no "keep" action, a rule matching first protects. */
const KEEP_ALL = 10000;

export interface ContainerRepositoryProps {
  readonly repositoryName: string;
  readonly kmsAlias: string;
  /** Commit builds (tagged with their commit only) kept, besides releases and deployed images. */
  readonly keepCommitImages: number;
  readonly untaggedExpiryDays: number;
}

/**
 * The ECR repository of the API image: tags are immutable (a tag always means the same
 * image, so a deployment is reproducible), every push is scanned, images are encrypted
 * with a dedicated rotating KMS key, and a lifecycle policy bounds the storage without ever
 * removing a release or an image an environment was deployed with.
 */
export class ContainerRepository extends Construct {
  readonly repository: EcrRepository;
  readonly key: KmsKey;

  constructor(scope: Construct, id: string, props: ContainerRepositoryProps) {
    super(scope, id);
    this.key = new KmsKey(this, 'key', {
      description: `ECR repository ${props.repositoryName}`,
      enableKeyRotation: true,
      deletionWindowInDays: 30,
    });
    new KmsAlias(this, 'key_alias', { name: props.kmsAlias, targetKeyId: this.key.keyId });

    this.repository = new EcrRepository(this, 'repository', {
      name: props.repositoryName,
      imageTagMutability: 'IMMUTABLE',
      imageScanningConfiguration: { scanOnPush: true },
      encryptionConfiguration: [{ encryptionType: 'KMS', kmsKey: this.key.arn }],
    });

    // ECR applies the rules in priority order, and an image whose tags match a rule can never be
    // expired by a later one: rules 1 and 2 select releases and deployed images with a count
    // they cannot exceed, so that nothing expires them; only untagged images and commit builds
    // beyond the newest keepCommitImages go (stacks/test/image-retention.test.ts evaluates this).
    new EcrLifecyclePolicy(this, 'lifecycle', {
      repository: this.repository.name,
      policy: Fn.jsonencode({
        rules: [
          {
            rulePriority: 1,
            description: 'Keep every release (semver tag added by a production deploy)',
            selection: {
              tagStatus: 'tagged',
              tagPatternList: [RELEASE_TAG_PATTERN],
              countType: 'imageCountMoreThan',
              countNumber: KEEP_ALL,
            },
            action: { type: 'expire' },
          },
          {
            rulePriority: 2,
            description:
              'Keep every image an environment was deployed with (deployed-<env>-<commit>)',
            selection: {
              tagStatus: 'tagged',
              tagPrefixList: [DEPLOYED_TAG_PREFIX],
              countType: 'imageCountMoreThan',
              countNumber: KEEP_ALL,
            },
            action: { type: 'expire' },
          },
          {
            rulePriority: 3,
            description: 'Expire untagged images (failed or superseded pushes)',
            selection: {
              tagStatus: 'untagged',
              countType: 'sinceImagePushed',
              countUnit: 'days',
              countNumber: props.untaggedExpiryDays,
            },
            action: { type: 'expire' },
          },
          {
            rulePriority: 4,
            description: 'Keep the most recent commit builds',
            selection: {
              tagStatus: 'tagged',
              tagPatternList: ['*'],
              countType: 'imageCountMoreThan',
              countNumber: props.keepCommitImages,
            },
            action: { type: 'expire' },
          },
        ],
      }),
    });
  }
}
