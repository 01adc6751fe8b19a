import {
  DataAwsIamPolicyDocument,
  type DataAwsIamPolicyDocumentStatement,
} from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';
import { IamOpenidConnectProvider } from '@cdktf/provider-aws/lib/iam-openid-connect-provider';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { IamRolePolicyAttachment } from '@cdktf/provider-aws/lib/iam-role-policy-attachment';
import { Fn, type IResolvable, Token } from 'cdktf';
import { Construct } from 'constructs';

export const GITHUB_OIDC_HOST = 'token.actions.githubusercontent.com';
export const GITHUB_OIDC_AUDIENCE = 'sts.amazonaws.com';

export interface GithubActionsIdentityProps {
  /** Whether the provider and the roles exist (a token of the module's create switch). */
  readonly enabled: boolean | IResolvable;
  /** `${project}-${environment}`. */
  readonly namePrefix: string;
  readonly partition: string;
  readonly thumbprints: string[];
  /** `sub` claims allowed to assume the plan role (may contain `*`). */
  readonly planSubjects: string[];
  /** `sub` claims allowed to assume the deploy role (exact values). */
  readonly deploySubjects: string[];
  readonly planStatements: DataAwsIamPolicyDocumentStatement[];
  readonly deployStatements: DataAwsIamPolicyDocumentStatement[];
}

/**
 * GitHub Actions signs in to AWS with short-lived OIDC tokens instead of stored keys.
 * Two roles: `plan` (read-only, any branch or pull request of the repository) and
 * `deploy` (write, only the deploy branches and the GitHub environments, which carry the
 * production approval gate). Both check the audience so a token minted for another
 * cloud cannot be replayed here. Everything is created only when `enabled` (count 0 or 1): a
 * laptop-only account needs no GitHub identity.
 */
export class GithubActionsIdentity extends Construct {
  readonly provider: IamOpenidConnectProvider;
  readonly planRole: IamRole;
  readonly deployRole: IamRole;
  /** ARNs of the provider and the roles; "" when not enabled. */
  readonly providerArn: string;
  readonly planRoleArn: string;
  readonly deployRoleArn: string;

  constructor(scope: Construct, id: string, props: GithubActionsIdentityProps) {
    super(scope, id);
    const count = Token.asNumber(Fn.conditional(props.enabled, 1, 0));
    // The one instance of a counted resource or data source: `<address>[0].<attribute>`.
    const only = (element: { fqn: string }, attribute: string): string =>
      Token.asString(`\${${element.fqn}[0].${attribute}}`);
    const arnOrEmpty = (element: { fqn: string }): string =>
      Token.asString(`\${try(${element.fqn}[0].arn, "")}`);

    this.provider = new IamOpenidConnectProvider(this, 'provider', {
      count,
      url: `https://${GITHUB_OIDC_HOST}`,
      clientIdList: [GITHUB_OIDC_AUDIENCE],
      thumbprintList: props.thumbprints,
    });

    const trust = (name: string, subjectTest: 'StringLike' | 'StringEquals', subjects: string[]) =>
      new DataAwsIamPolicyDocument(this, name, {
        count,
        statement: [
          {
            actions: ['sts:AssumeRoleWithWebIdentity'],
            principals: [{ type: 'Federated', identifiers: [only(this.provider, 'arn')] }],
            condition: [
              {
                test: 'StringEquals',
                variable: `${GITHUB_OIDC_HOST}:aud`,
                values: [GITHUB_OIDC_AUDIENCE],
              },
              { test: subjectTest, variable: `${GITHUB_OIDC_HOST}:sub`, values: subjects },
            ],
          },
        ],
      });

    this.planRole = new IamRole(this, 'plan_role', {
      count,
      name: `${props.namePrefix}-github-plan`,
      description: 'GitHub Actions: terragrunt plan (read-only) from any branch or pull request',
      assumeRolePolicy: only(trust('plan_trust', 'StringLike', props.planSubjects), 'json'),
      maxSessionDuration: 3600,
    });
    new IamRolePolicyAttachment(this, 'plan_read_only', {
      count,
      role: only(this.planRole, 'name'),
      policyArn: `arn:${props.partition}:iam::aws:policy/ReadOnlyAccess`,
    });
    new IamRolePolicy(this, 'plan_policy', {
      count,
      name: 'terraform-state-and-plan',
      role: only(this.planRole, 'id'),
      policy: new DataAwsIamPolicyDocument(this, 'plan_permissions', {
        statement: props.planStatements,
      }).json,
    });

    this.deployRole = new IamRole(this, 'deploy_role', {
      count,
      name: `${props.namePrefix}-github-deploy`,
      description:
        'GitHub Actions: terragrunt apply and image push from the deploy branches and environments',
      assumeRolePolicy: only(trust('deploy_trust', 'StringEquals', props.deploySubjects), 'json'),
      maxSessionDuration: 3600,
    });
    new IamRolePolicy(this, 'deploy_policy', {
      count,
      name: 'terragrunt-deploy',
      role: only(this.deployRole, 'id'),
      policy: new DataAwsIamPolicyDocument(this, 'deploy_permissions', {
        statement: props.deployStatements,
      }).json,
    });
    this.providerArn = arnOrEmpty(this.provider);
    this.planRoleArn = arnOrEmpty(this.planRole);
    this.deployRoleArn = arnOrEmpty(this.deployRole);
  }
}
