import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { AwsProvider, type AwsProviderDefaultTags } from '@cdktf/provider-aws/lib/provider';
import {
  Aspects,
  Fn,
  TerraformElement,
  TerraformOutput,
  TerraformStack,
  type TerraformVariable,
} from 'cdktf';
import type { Construct, Node } from 'constructs';
import { Input, Rule } from './inputs';

export const ENVIRONMENTS = ['development', 'staging', 'production'] as const;
export type Environment = (typeof ENVIRONMENTS)[number];
/** What an AWS region name looks like (eu-west-3, us-gov-west-1), for input validations. */
export const AWS_REGION_PATTERN = '^[a-z]{2}(-[a-z]+)+-[0-9]$';
/** Module input every role of a module is bounded by (the shared module's managed policy). */
export const PERMISSIONS_BOUNDARY_INPUT = 'permissions_boundary_arn';

export interface ModuleStackOptions {
  /** One or two sentences: what the module creates and why. First line of the module README. */
  readonly purpose: string;
  /**
   * Declare `region`, `tags` and `allowed_account_ids` and configure the AWS provider with
   * `default_tags` and `allowed_account_ids` (default true). Kubernetes/Helm-only modules pass
   * false and configure their own providers.
   */
  readonly aws?: boolean;
  /**
   * The module creates IAM roles (applied by the GitHub deploy role): declare the input
   * `permissions_boundary_arn` and give every aws_iam_role of the stack that permissions boundary
   * (the deploy role may only create roles carrying it; stacks/shared/permissions-boundary.ts).
   */
  readonly createsRoles?: boolean;
}

export interface OutputOptions {
  readonly value: unknown;
  readonly description: string;
  readonly sensitive?: boolean;
}

/**
 * Base class of every PayFlow stack. One ModuleStack is synthesized into one
 * Terraform module (`modules/<id>/`) that Terragrunt deploys once per environment, so:
 * - it declares the common inputs `project`, `environment` (validated) and, for AWS
 *   modules, `region`, `tags` (fed into the provider's `default_tags`) and
 *   `allowed_account_ids` (the only accounts the provider may act in);
 * - it never carries a backend block (Terragrunt generates `backend.tf`): CDKTF would
 *   otherwise add a LocalBackend with an absolute state path at synthesis time;
 * - Terraform addresses are readable and stable (`aws_vpc.vpc`, `aws_iam_role.flow_logs_role`)
 *   instead of hashed, so tests and `terraform state` commands can name them.
 */
export abstract class ModuleStack extends TerraformStack {
  readonly purpose: string;
  readonly project: TerraformVariable;
  readonly environment: TerraformVariable;
  private readonly regionInput?: TerraformVariable;
  private readonly tagsInput?: TerraformVariable;
  private readonly allowedAccountsInput?: TerraformVariable;
  /** `${var.project}-${var.environment}`: prefix of every resource name. */
  readonly namePrefix: string;

  private readonly allocatedIds = new Map<string, string>();

  constructor(scope: Construct, id: string, options: ModuleStackOptions) {
    super(scope, id);
    this.purpose = options.purpose;

    this.project = Input.string(this, 'project', {
      description: 'Project name, first part of every resource name.',
      default: 'payflow',
      validation: [
        Rule.matches('^[a-z][a-z0-9-]{1,20}$', 'lowercase letters, digits and dashes (2-21 chars)'),
      ],
    });
    this.environment = Input.string(this, 'environment', {
      description: 'Environment this copy of the module belongs to.',
      validation: [Rule.oneOf(ENVIRONMENTS)],
    });
    this.namePrefix = `${this.project.stringValue}-${this.environment.stringValue}`;

    if (options.aws ?? true) {
      this.regionInput = Input.string(this, 'region', {
        description: 'AWS region to deploy into, e.g. eu-west-3.',
        validation: [Rule.matches(AWS_REGION_PATTERN, 'an AWS region name')],
      });
      this.tagsInput = Input.stringMap(this, 'tags', {
        description: 'Extra tags applied to every resource (through the provider default_tags).',
        default: {},
      });
      this.allowedAccountsInput = Input.stringList(this, 'allowed_account_ids', {
        description:
          'The AWS accounts this module may change (the provider refuses any other before it plans), ' +
          'e.g. ["111122223333"]: root.hcl passes the environment\'s.',
        validation: [
          Rule.lengthBetween(1, 5),
          Rule.eachMatches('^[0-9]{12}$', 'a 12-digit account id'),
        ],
      });
      new AwsProvider(this, 'aws', {
        region: this.regionInput.stringValue,
        allowedAccountIds: this.allowedAccountsInput.listValue,
        defaultTags: this.defaultTags(),
      });
      // Spell the registry address out: `aws` alone relies on the implicit hashicorp namespace.
      this.addOverride('terraform.required_providers.aws.source', 'hashicorp/aws');
    }

    if (options.createsRoles) {
      const boundary = Input.string(this, PERMISSIONS_BOUNDARY_INPUT, {
        description:
          'ARN of the permissions boundary every IAM role of this module carries (shared module output ' +
          '`permissions_boundary_arn`): the GitHub deploy role may only create roles bounded by it.',
        validation: [
          Rule.matches(
            '^arn:aws[a-z-]*:iam::[0-9]{12}:policy/.+$',
            'an IAM managed policy ARN such as arn:aws:iam::123456789012:policy/payflow-permissions-boundary',
          ),
        ],
      });
      // An aspect, so that no role of any construct of the stack can be created without it.
      Aspects.of(this).add({
        visit: (node) => {
          if (node instanceof IamRole) node.permissionsBoundary = boundary.stringValue;
        },
      });
    }

    // Terraform >= 1.11: `terraform test` with mock providers, S3 native locking in live/.
    this.addOverride('terraform.required_version', '>= 1.11.0');
    // Remove any backend (including the LocalBackend CDKTF adds in prepareStack):
    // rawOverrides are merged last and an undefined value deletes the key.
    this.addOverride('terraform.backend', undefined);
  }

  /** The `region` input (AWS modules only). */
  get region(): TerraformVariable {
    if (!this.regionInput) throw new Error(`${this.node.id} was created with aws: false`);
    return this.regionInput;
  }

  /** The `tags` input (AWS modules only). */
  get tags(): TerraformVariable {
    if (!this.tagsInput) throw new Error(`${this.node.id} was created with aws: false`);
    return this.tagsInput;
  }

  /**
   * A second AWS provider, `aws.<alias>`, in another region (AWS modules only), with the same
   * default tags as the default provider. Resources pass it as `provider` to be created there.
   */
  awsProviderIn(alias: string, region: string): AwsProvider {
    if (!this.regionInput) throw new Error(`${this.node.id} was created with aws: false`);
    return new AwsProvider(this, `aws_${alias}`, {
      alias,
      region,
      allowedAccountIds: this.allowedAccountsInput?.listValue,
      defaultTags: this.defaultTags(),
    });
  }

  /** The provider's default_tags: the `tags` input plus who owns the resource. */
  private defaultTags(): AwsProviderDefaultTags[] {
    return [
      {
        tags: Fn.merge([
          this.tagsInput?.value ?? {},
          {
            Project: this.project.stringValue,
            Environment: this.environment.stringValue,
            Module: this.node.id,
            ManagedBy: 'terraform',
          },
        ]) as unknown as Record<string, string>,
      },
    ];
  }

  /** A documented output whose Terraform name is exactly `name`. */
  output(name: string, options: OutputOptions): TerraformOutput {
    // Outputs often share their name with an input (`azs`): the construct id must differ.
    const output = new TerraformOutput(this, `output_${name}`, {
      value: options.value,
      description: options.description,
      ...(options.sensitive ? { sensitive: true } : {}),
    });
    output.overrideLogicalId(name);
    return output;
  }

  /**
   * Logical id = construct path below the stack joined with `_` (no hash). Two
   * elements of the same kind with the same id would silently overwrite each other
   * in the JSON, so that is refused here.
   */
  protected override allocateLogicalId(tfElement: TerraformElement | Node): string {
    const node = TerraformElement.isTerraformElement(tfElement) ? tfElement.node : tfElement;
    const components = node.scopes
      .slice(node.scopes.indexOf(this) + 1)
      .map((c) => c.node.id)
      .filter((part) => part !== 'Default');
    const id = components.join('_').replace(/[^A-Za-z0-9_-]/g, '_');
    const key = `${tfElement.constructor.name}:${id}`;
    const owner = this.allocatedIds.get(key);
    if (owner !== undefined && owner !== node.path) {
      throw new Error(`Terraform id "${id}" is used by both ${owner} and ${node.path}`);
    }
    this.allocatedIds.set(key, node.path);
    return id;
  }
}
