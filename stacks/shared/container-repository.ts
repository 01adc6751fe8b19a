import { EcrLifecyclePolicy } from '@cdktf/provider-aws/lib/ecr-lifecycle-policy';
import { EcrRepository } from '@cdktf/provider-aws/lib/ecr-repository';
import { KmsAlias } from '@cdktf/provider-aws/lib/kms-alias';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import { Fn } from 'cdktf';
import { Construct } from 'constructs';

export interface ContainerRepositoryProps {
  readonly repositoryName: string;
  readonly kmsAlias: string;
  /** Tagged images kept; older ones are expired (deployed tags must stay within this). */
  readonly keepTaggedImages: number;
  readonly untaggedExpiryDays: number;
}

/**
 * The ECR repository of the API image: tags are immutable (a tag always means the same
 * image, so a deployment is reproducible), every push is scanned, images are encrypted
 * with a dedicated rotating KMS key, and a lifecycle policy bounds the storage.
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

    new EcrLifecyclePolicy(this, 'lifecycle', {
      repository: this.repository.name,
      policy: Fn.jsonencode({
        rules: [
          {
            rulePriority: 1,
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
            rulePriority: 2,
            description: 'Keep the most recent tagged images',
            selection: {
              tagStatus: 'tagged',
              tagPatternList: ['*'],
              countType: 'imageCountMoreThan',
              countNumber: props.keepTaggedImages,
            },
            action: { type: 'expire' },
          },
        ],
      }),
    });
  }
}
