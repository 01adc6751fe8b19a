import { Input, Rule } from '../lib/inputs';
import { AWS_REGION_PATTERN, type ModuleStack } from '../lib/module-stack';

/**
 * GitHub's documented thumbprints of token.actions.githubusercontent.com (the second
 * was added in 2023). AWS no longer checks them for this provider (it trusts GitHub's
 * certificate authority), but the API still requires at least one.
 */
export const GITHUB_OIDC_THUMBPRINTS = [
  '6938fd4d98bab03faadb97b34396831e3780aea1',
  '1c58a3a8518e8759bf075b76b750d4f2df264fcd',
];

/** The shared module's inputs (variables.tf) but the state store name patterns, declared with their use. */
export function sharedInputs(stack: ModuleStack) {
  return {
    createGithubRoles: Input.bool(stack, 'create_github_roles', {
      description:
        'Create the GitHub Actions OIDC provider and the plan and deploy roles. false: an account ' +
        'deployed from laptops only (github_repository may then stay "").',
      default: true,
    }),
    repository: Input.string(stack, 'github_repository', {
      description:
        'GitHub repository ("owner/name") whose workflows may assume the roles; "" only with create_github_roles = false.',
      default: '',
      validation: [
        Rule.custom(
          (v) => `${v} == "" || can(regex("^[A-Za-z0-9-]+/[A-Za-z0-9._-]+$", ${v}))`,
          'Must be a GitHub repository as "owner/name", or "".',
        ),
        Rule.custom(
          (v) => `!var.create_github_roles || ${v} != ""`,
          'create_github_roles = true needs the repository the roles trust.',
        ),
      ],
    }),
    deployBranches: Input.stringList(stack, 'github_deploy_branches', {
      description:
        'Branches whose workflows may assume the deploy role (exact names, no wildcard).',
      default: ['main'],
      validation: [
        Rule.lengthBetween(1, 10),
        Rule.eachMatches('^[A-Za-z0-9._/-]+$', 'a branch name without wildcards'),
      ],
    }),
    environments: Input.stringList(stack, 'github_environments', {
      description:
        'GitHub environments whose jobs may assume the deploy role (they hold the approval gates).',
      default: ['staging', 'production'],
      validation: [
        Rule.lengthBetween(1, 10),
        Rule.eachMatches('^[A-Za-z0-9._-]+$', 'an environment name without wildcards'),
      ],
    }),
    thumbprints: Input.stringList(stack, 'github_oidc_thumbprints', {
      description:
        'SHA-1 thumbprints of the GitHub OIDC certificate chain (GitHub-documented defaults).',
      default: GITHUB_OIDC_THUMBPRINTS,
      validation: [
        Rule.lengthBetween(1, 5),
        Rule.eachMatches('^[0-9a-f]{40}$', 'a 40-character hex SHA-1'),
      ],
    }),
    additionalRegions: Input.stringList(stack, 'additional_regions', {
      description:
        'Regions besides `region` where the deploy role may use KMS and RDS (only those): the ' +
        "environments' db_backup_replication_region, where the data layer replicates database backups.",
      default: [],
      validation: [
        Rule.eachMatches(AWS_REGION_PATTERN, 'an AWS region name such as eu-west-1'),
        Rule.distinct(),
        Rule.custom(
          (v) => `!contains(${v}, var.region)`,
          'Must not contain region: the deploy role already works there.',
        ),
      ],
    }),
    keepCommitImages: Input.number(stack, 'ecr_keep_commit_images', {
      description:
        'Builds of main (tagged with their commit only) kept in ECR; older ones expire. Releases and images an ' +
        'environment was deployed with (tags <version>, deployed-<env>-<commit>) never expire.',
      default: 50,
      validation: [Rule.between(5, 1000)],
    }),
    untaggedExpiry: Input.number(stack, 'ecr_untagged_expiry_days', {
      description: 'Days after which untagged images are deleted.',
      default: 7,
      validation: [Rule.between(1, 365)],
    }),
  };
}
