// "The plan role can plan" (issue 13): every Kubernetes object the platform and app modules
// manage, read from their synthesized JSON, is readable by the GitHub plan role, through the
// access policy the cluster module associates with viewer_principal_arns plus the RBAC the
// modules bind to its Kubernetes group. `terragrunt plan` refreshes each kubernetes_* resource
// (get) and each Helm release (list and get of its release Secrets); a 403 fails the plan.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { EKS_ACCESS_POLICY_RULES, type RbacRule, allows } from './kubernetes-rbac';

type Block = Record<string, unknown>;
interface ModuleJson {
  readonly resource?: Record<string, Record<string, Block>>;
}

const moduleJson = (name: string): ModuleJson =>
  JSON.parse(
    readFileSync(join(__dirname, '..', '..', 'modules', name, 'main.tf.json'), 'utf8'),
  ) as ModuleJson;

/** What each kubernetes_* resource type of the provider manages: API group, resource, scope. */
const KIND_OF: Readonly<
  Record<string, { apiGroup: string; resource: string; namespaced: boolean }>
> = {
  kubernetes_namespace_v1: { apiGroup: '', resource: 'namespaces', namespaced: false },
  kubernetes_config_map_v1: { apiGroup: '', resource: 'configmaps', namespaced: true },
  kubernetes_storage_class_v1: {
    apiGroup: 'storage.k8s.io',
    resource: 'storageclasses',
    namespaced: false,
  },
  kubernetes_cluster_role_v1: {
    apiGroup: 'rbac.authorization.k8s.io',
    resource: 'clusterroles',
    namespaced: false,
  },
  kubernetes_cluster_role_binding_v1: {
    apiGroup: 'rbac.authorization.k8s.io',
    resource: 'clusterrolebindings',
    namespaced: false,
  },
  kubernetes_role_binding_v1: {
    apiGroup: 'rbac.authorization.k8s.io',
    resource: 'rolebindings',
    namespaced: true,
  },
};

const first = (value: unknown): Block =>
  (Array.isArray(value) ? (value[0] as Block) : (value as Block | undefined)) ?? {};

/** A name as written, `${kubernetes_<type>.<name>.metadata[0].name}` resolved. */
function objectName(modules: ModuleJson[], value: unknown): string {
  const text = String(value);
  const reference = /^\$\{(kubernetes_[\w]+)\.([\w-]+)\.metadata\[0\]\.name\}$/.exec(text);
  if (!reference) return text;
  const target = modules
    .map((m) => m.resource?.[reference[1] ?? '']?.[reference[2] ?? ''])
    .find(Boolean);
  return String(first(target?.['metadata'])['name']);
}

interface Read {
  readonly what: string;
  readonly apiGroup: string;
  readonly resource: string;
  readonly namespace?: string;
  readonly verbs: string[];
}

/** Every read `terragrunt plan` of the platform and app layers makes. */
function readsOfThePlan(modules: Record<string, ModuleJson>): Read[] {
  const all = Object.values(modules);
  return Object.entries(modules).flatMap(([moduleName, json]) =>
    Object.entries(json.resource ?? {}).flatMap(([type, byName]) =>
      Object.entries(byName).flatMap(([name, body]): Read[] => {
        const what = `${moduleName}: ${type}.${name}`;
        if (type === 'helm_release') {
          // Helm's storage driver: list the release's Secrets by label, get the latest.
          const namespace = objectName(all, body['namespace']);
          return [{ what, apiGroup: '', resource: 'secrets', namespace, verbs: ['get', 'list'] }];
        }
        if (!type.startsWith('kubernetes_')) return [];
        const kind = KIND_OF[type];
        if (!kind) throw new Error(`${what}: no Kubernetes kind known for ${type} (KIND_OF)`);
        const metadata = first(body['metadata']);
        return [
          {
            what,
            apiGroup: kind.apiGroup,
            resource: kind.resource,
            ...(kind.namespaced ? { namespace: objectName(all, metadata['namespace']) } : {}),
            verbs: ['get'],
          },
        ];
      }),
    ),
  );
}

/** The plan role's access entry: its access policy and its Kubernetes groups. */
function viewerAccess(cluster: ModuleJson): { policy: string; groups: string[] } {
  const association = cluster.resource?.['aws_eks_access_policy_association']?.['viewer_policy'];
  const entry = cluster.resource?.['aws_eks_access_entry']?.['viewer'];
  const policy = String(association?.['policy_arn']).replace(/^.*cluster-access-policy\//, '');
  expect(first(association?.['access_scope'])['type']).to.equal('cluster');
  return { policy, groups: (entry?.['kubernetes_groups'] as string[] | undefined) ?? [] };
}

interface Grant {
  readonly rules: readonly RbacRule[];
  /** undefined: cluster-wide (ClusterRoleBinding, access policy of cluster scope). */
  readonly namespace?: string;
}

/** Rules the modules bind to one of the groups, cluster-wide or per namespace. */
function rbacGrants(modules: Record<string, ModuleJson>, groups: string[]): Grant[] {
  const all = Object.values(modules);
  const roles = new Map<string, RbacRule[]>();
  for (const json of all) {
    for (const role of Object.values(json.resource?.['kubernetes_cluster_role_v1'] ?? {})) {
      roles.set(
        String(first(role['metadata'])['name']),
        ((role['rule'] as Block[] | undefined) ?? []).map((r) => ({
          apiGroups: (r['api_groups'] as string[] | undefined) ?? [],
          resources: (r['resources'] as string[] | undefined) ?? [],
          verbs: (r['verbs'] as string[] | undefined) ?? [],
        })),
      );
    }
  }
  const boundToGroup = (binding: Block) =>
    ((binding['subject'] as Block[] | undefined) ?? []).some(
      (s) => s['kind'] === 'Group' && groups.includes(String(s['name'])),
    );
  const rulesOf = (binding: Block) => {
    const ref = first(binding['role_ref']);
    expect(ref['kind'], 'bindings of the plan readers refer to ClusterRoles').to.equal(
      'ClusterRole',
    );
    return roles.get(objectName(all, ref['name'])) ?? [];
  };
  return all.flatMap((json) => [
    ...Object.values(json.resource?.['kubernetes_cluster_role_binding_v1'] ?? {})
      .filter(boundToGroup)
      .map((b) => ({ rules: rulesOf(b) })),
    ...Object.values(json.resource?.['kubernetes_role_binding_v1'] ?? {})
      .filter(boundToGroup)
      .map((b) => ({
        rules: rulesOf(b),
        namespace: objectName(all, first(b['metadata'])['namespace']),
      })),
  ]);
}

describe('the GitHub plan role can plan the platform and app layers (Kubernetes reads)', function () {
  const kubernetesModules = { platform: moduleJson('platform'), app: moduleJson('app') };
  const access = viewerAccess(moduleJson('cluster'));

  it('knows the rules of the access policy the cluster module gives the plan role', function () {
    expect(EKS_ACCESS_POLICY_RULES, access.policy).to.have.property(access.policy);
    expect(access.groups).to.have.lengthOf(1);
  });

  it('reads every kind the two modules manage: kubernetes_* resources and Helm release records', function () {
    const grants: Grant[] = [
      { rules: EKS_ACCESS_POLICY_RULES[access.policy] ?? [] },
      ...rbacGrants(kubernetesModules, access.groups),
    ];
    const reads = readsOfThePlan(kubernetesModules);
    expect(reads.length).to.be.greaterThan(20);
    const forbidden = reads.flatMap((read) =>
      read.verbs
        .filter(
          (verb) =>
            !grants.some(
              (grant) =>
                (grant.namespace === undefined || grant.namespace === read.namespace) &&
                allows(grant.rules, { ...read, verb }),
            ),
        )
        .map(
          (verb) =>
            `${read.what}: ${verb} ${read.apiGroup || 'core'}/${read.resource}${read.namespace ? ` in ${read.namespace}` : ''}`,
        ),
    );
    expect(forbidden, 'reads the plan role is refused').to.deep.equal([]);
  });

  it('grants the plan role no write and no Secret outside the namespaces of the releases', function () {
    const grants = rbacGrants(kubernetesModules, access.groups);
    const writes = grants.flatMap((g) =>
      g.rules.flatMap((r) => r.verbs.filter((v) => !['get', 'list', 'watch'].includes(v))),
    );
    expect(writes).to.deep.equal([]);
    const secretsClusterWide = grants.filter(
      (g) =>
        g.namespace === undefined &&
        allows(g.rules, { apiGroup: '', resource: 'secrets', verb: 'get' }),
    );
    expect(secretsClusterWide).to.deep.equal([]);
  });
});
