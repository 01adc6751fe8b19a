// IAM policy documents found in the modules, in one normalized shape, whether they were
// written as literal JSON strings or as aws_iam_policy_document data sources.
import {
  type Block,
  type ResourceRef,
  type TerraformModule,
  addressOf,
  blocks,
  isBlock,
  resources,
} from './terraform-config';

/** A list, or a Terraform expression producing one (`${concat(...)}`). */
export type Values = string[] | string;

export interface Condition {
  readonly test: string;
  readonly variable: string;
  readonly values: Values;
}

export interface Statement {
  readonly sid?: string;
  readonly effect: 'Allow' | 'Deny';
  readonly actions: Values;
  readonly notActions: Values;
  readonly resources: Values;
  readonly principals: { readonly type: string; readonly identifiers: Values }[];
  readonly conditions: Condition[];
}

export type PolicyKind = 'trust' | 'identity' | 'resource';

export interface PolicyDocument {
  /** Address of the resource that carries the policy. */
  readonly address: string;
  readonly owner: ResourceRef;
  readonly attribute: string;
  readonly kind: PolicyKind;
  /** undefined when the document cannot be read statically (e.g. `${jsonencode(...)}`). */
  readonly statements: Statement[] | undefined;
  readonly raw: unknown;
}

/** Where policies live: resource type → attribute → kind. */
const POLICY_ATTRIBUTES: Record<string, Record<string, PolicyKind>> = {
  aws_iam_role: { assume_role_policy: 'trust' },
  aws_iam_role_policy: { policy: 'identity' },
  aws_iam_policy: { policy: 'identity' },
  aws_iam_user_policy: { policy: 'identity' },
  aws_iam_group_policy: { policy: 'identity' },
  aws_kms_key: { policy: 'resource' },
  aws_kms_key_policy: { policy: 'resource' },
  aws_s3_bucket_policy: { policy: 'resource' },
  aws_ecr_repository_policy: { policy: 'resource' },
  aws_secretsmanager_secret_policy: { policy: 'resource' },
  aws_sns_topic_policy: { policy: 'resource' },
  aws_sqs_queue_policy: { policy: 'resource' },
};

const asValues = (value: unknown): Values => {
  if (Array.isArray(value)) return value.map(String);
  if (typeof value === 'string') return value.startsWith('${') ? value : [value];
  return [];
};

function fromDocumentDataSource(source: Block): Statement[] {
  return blocks(source['statement']).map((s) => ({
    ...(typeof s['sid'] === 'string' ? { sid: s['sid'] } : {}),
    effect: s['effect'] === 'Deny' ? 'Deny' : 'Allow',
    actions: asValues(s['actions']),
    notActions: asValues(s['not_actions']),
    resources: asValues(s['resources']),
    principals: blocks(s['principals']).map((p) => ({
      type: String(p['type']),
      identifiers: asValues(p['identifiers']),
    })),
    conditions: blocks(s['condition']).map((c) => ({
      test: String(c['test']),
      variable: String(c['variable']),
      values: asValues(c['values']),
    })),
  }));
}

function fromJson(document: Block): Statement[] {
  return blocks(document['Statement']).map((s) => {
    const principal = s['Principal'];
    const principals =
      principal === '*'
        ? [{ type: '*', identifiers: ['*'] }]
        : isBlock(principal)
          ? Object.entries(principal).map(([type, ids]) => ({ type, identifiers: asValues(ids) }))
          : [];
    const conditions = isBlock(s['Condition'])
      ? Object.entries(s['Condition']).flatMap(([test, byVariable]) =>
          isBlock(byVariable)
            ? Object.entries(byVariable).map(([variable, values]) => ({
                test,
                variable,
                values: asValues(values),
              }))
            : [],
        )
      : [];
    return {
      ...(typeof s['Sid'] === 'string' ? { sid: s['Sid'] } : {}),
      effect: s['Effect'] === 'Deny' ? 'Deny' : 'Allow',
      actions: asValues(s['Action']),
      notActions: asValues(s['NotAction']),
      resources: asValues(s['Resource']),
      principals,
      conditions,
    };
  });
}

/** Statements of a policy attribute value, or undefined when not statically readable. */
export function readPolicy(module: TerraformModule, value: unknown): Statement[] | undefined {
  if (typeof value !== 'string') return undefined;
  // `[0]`: a counted document (the shared module's GitHub trust, create_github_roles).
  const reference = /^\$\{data\.aws_iam_policy_document\.([A-Za-z0-9_-]+)(?:\[0\])?\.json\}$/.exec(
    value,
  );
  if (reference) {
    const source = resources([module], 'aws_iam_policy_document', 'data').find(
      (d) => d.name === reference[1],
    );
    return source ? fromDocumentDataSource(source.body) : undefined;
  }
  try {
    const parsed: unknown = JSON.parse(value);
    return isBlock(parsed) ? fromJson(parsed) : undefined;
  } catch {
    return undefined;
  }
}

export function policyDocuments(modules: readonly TerraformModule[]): PolicyDocument[] {
  return Object.entries(POLICY_ATTRIBUTES).flatMap(([type, attributes]) =>
    resources(modules, type).flatMap((owner) =>
      Object.entries(attributes)
        .filter(([attribute]) => owner.body[attribute] !== undefined)
        .map(([attribute, kind]) => ({
          address: `${addressOf(owner)}.${attribute}`,
          owner,
          attribute,
          kind,
          statements: readPolicy(owner.module, owner.body[attribute]),
          raw: owner.body[attribute],
        })),
    ),
  );
}

export const includesValue = (values: Values, value: string): boolean =>
  typeof values === 'string' ? values.includes(value) : values.includes(value);
