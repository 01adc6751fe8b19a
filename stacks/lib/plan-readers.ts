import { ClusterRoleBindingV1 } from '@cdktf/provider-kubernetes/lib/cluster-role-binding-v1';
import { ClusterRoleV1 } from '@cdktf/provider-kubernetes/lib/cluster-role-v1';
import { RoleBindingV1 } from '@cdktf/provider-kubernetes/lib/role-binding-v1';
import type { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';

// Read-only Kubernetes access of the role that runs `terragrunt run --all plan` on pull
// requests. The cluster module gives the principals of its `viewer_principal_arns` input an
// access entry with AmazonEKSViewPolicy and this Kubernetes group. The view policy (like
// Kubernetes' `view` role) reads no Secret, yet the Helm provider refreshes a release by
// reading its record, a Secret of type helm.sh/release.v1 in the release's namespace. RBAC
// cannot filter Secrets by type (and `list` cannot be limited by name), so the group may read
// every Secret of the namespaces holding PayFlow's releases: each layer binds it in the
// namespaces it installs releases into. Cluster-wide, it reads the StorageClasses and the RBAC
// objects the layers manage, which the view policy leaves out too (stacks/test/plan-role-kubernetes.test.ts).

/** Kubernetes group of the cluster module's `viewer_principal_arns` access entries. */
export const PLAN_READERS_GROUP = 'payflow:plan-readers';
/** ClusterRole (created by the platform layer) bound per namespace: get/list Secrets. */
export const RELEASE_SECRETS_READER_ROLE = 'payflow-plan-reader-release-secrets';
/** ClusterRole (created by the platform layer) bound cluster-wide: get/list StorageClasses. */
export const STORAGE_CLASSES_READER_ROLE = 'payflow-plan-reader-storage-classes';
/**
 * ClusterRole (created by the platform layer) bound cluster-wide: get/list the RBAC objects the
 * platform and app layers manage (their own ClusterRoles and bindings). AmazonEKSViewPolicy, like
 * Kubernetes' `view`, reads none; reading a role or binding grants nothing it names.
 */
export const RBAC_READER_ROLE = 'payflow-plan-reader-rbac';
/** Name of the RoleBinding of the plan readers, the same in every namespace. */
export const PLAN_READERS_BINDING = 'payflow-plan-readers';

const RBAC_GROUP = 'rbac.authorization.k8s.io';
const subject = [{ kind: 'Group', name: PLAN_READERS_GROUP, apiGroup: RBAC_GROUP }];

/**
 * The ClusterRoles of the plan readers. Secrets are only granted through the namespaced
 * RoleBindings of PlanReaderSecretsAccess; StorageClasses and RBAC objects, missing from the view
 * policy, through ClusterRoleBindings (the platform plan refreshes its gp3 class, its
 * ClusterRoles and their bindings; the app plan its RoleBinding).
 */
export class PlanReaderRoles extends Construct {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    new ClusterRoleV1(this, 'release_secrets', {
      metadata: { name: RELEASE_SECRETS_READER_ROLE },
      rule: [{ apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list'] }],
    });
    const storageClasses = new ClusterRoleV1(this, 'storage_classes', {
      metadata: { name: STORAGE_CLASSES_READER_ROLE },
      rule: [
        { apiGroups: ['storage.k8s.io'], resources: ['storageclasses'], verbs: ['get', 'list'] },
      ],
    });
    new ClusterRoleBindingV1(this, 'storage_classes_binding', {
      metadata: { name: STORAGE_CLASSES_READER_ROLE },
      roleRef: { apiGroup: RBAC_GROUP, kind: 'ClusterRole', name: storageClasses.metadata.name },
      subject,
    });
    const rbac = new ClusterRoleV1(this, 'rbac', {
      metadata: { name: RBAC_READER_ROLE },
      rule: [
        {
          apiGroups: [RBAC_GROUP],
          resources: ['clusterroles', 'clusterrolebindings', 'roles', 'rolebindings'],
          verbs: ['get', 'list'],
        },
      ],
    });
    new ClusterRoleBindingV1(this, 'rbac_binding', {
      metadata: { name: RBAC_READER_ROLE },
      roleRef: { apiGroup: RBAC_GROUP, kind: 'ClusterRole', name: rbac.metadata.name },
      subject,
    });
  }
}

export interface PlanReaderSecretsAccessProps {
  readonly namespace: string;
  /** What creates the namespace (a release with create_namespace, a kubernetes_namespace_v1). */
  readonly dependsOn?: ITerraformDependable[];
}

/** Lets the plan readers get and list the Secrets (Helm release records) of one namespace. */
export class PlanReaderSecretsAccess extends Construct {
  constructor(scope: Construct, id: string, props: PlanReaderSecretsAccessProps) {
    super(scope, id);
    // 'Default': the binding's Terraform address is the construct's id.
    new RoleBindingV1(this, 'Default', {
      metadata: { name: PLAN_READERS_BINDING, namespace: props.namespace },
      roleRef: { apiGroup: RBAC_GROUP, kind: 'ClusterRole', name: RELEASE_SECRETS_READER_ROLE },
      subject,
      ...(props.dependsOn ? { dependsOn: props.dependsOn } : {}),
    });
  }
}
