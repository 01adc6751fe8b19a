// Kubernetes RBAC rule matching (the semantics of the RBAC authorizer for resource requests:
// a rule allows a request when its apiGroups, resources and verbs each contain the request's
// value or "*"; rules only add) and the rules of the EKS access policies the cluster module uses.

export interface RbacRule {
  readonly apiGroups: readonly string[];
  readonly resources: readonly string[];
  readonly verbs: readonly string[];
}

export interface ResourceRequest {
  /** "" for the core group. */
  readonly apiGroup: string;
  /** Plural resource name, e.g. "secrets", "clusterroles". */
  readonly resource: string;
  readonly verb: string;
}

const has = (values: readonly string[], value: string) =>
  values.includes('*') || values.includes(value);

/** Does any rule allow the request? */
export function allows(rules: readonly RbacRule[], request: ResourceRequest): boolean {
  return rules.some(
    (rule) =>
      has(rule.apiGroups, request.apiGroup) &&
      has(rule.resources, request.resource) &&
      has(rule.verbs, request.verb),
  );
}

const READ = ['get', 'list', 'watch'];

/**
 * The rules of EKS access policies, transcribed from the EKS user guide ("Review access policy
 * permissions"). AmazonEKSViewPolicy reads neither Secrets, nor RBAC objects, nor
 * StorageClasses; AmazonEKSAdminViewPolicy would read everything, every Secret of the cluster
 * included, which is why the plan role gets the view policy plus RBAC of its own.
 */
export const EKS_ACCESS_POLICY_RULES: Readonly<Record<string, readonly RbacRule[]>> = {
  AmazonEKSViewPolicy: [
    {
      apiGroups: ['apps'],
      resources: [
        'controllerrevisions',
        'daemonsets',
        'daemonsets/status',
        'deployments',
        'deployments/scale',
        'deployments/status',
        'replicasets',
        'replicasets/scale',
        'replicasets/status',
        'statefulsets',
        'statefulsets/scale',
        'statefulsets/status',
      ],
      verbs: READ,
    },
    {
      apiGroups: ['autoscaling'],
      resources: ['horizontalpodautoscalers', 'horizontalpodautoscalers/status'],
      verbs: READ,
    },
    {
      apiGroups: ['batch'],
      resources: ['cronjobs', 'cronjobs/status', 'jobs', 'jobs/status'],
      verbs: READ,
    },
    { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: READ },
    {
      apiGroups: ['extensions'],
      resources: [
        'daemonsets',
        'daemonsets/status',
        'deployments',
        'deployments/scale',
        'deployments/status',
        'ingresses',
        'ingresses/status',
        'networkpolicies',
        'replicasets',
        'replicasets/scale',
        'replicasets/status',
        'replicationcontrollers/scale',
      ],
      verbs: READ,
    },
    {
      apiGroups: ['networking.k8s.io'],
      resources: ['ingresses', 'ingresses/status', 'networkpolicies'],
      verbs: READ,
    },
    {
      apiGroups: ['policy'],
      resources: ['poddisruptionbudgets', 'poddisruptionbudgets/status'],
      verbs: READ,
    },
    {
      apiGroups: [''],
      resources: [
        'configmaps',
        'endpoints',
        'persistentvolumeclaims',
        'persistentvolumeclaims/status',
        'pods',
        'replicationcontrollers',
        'replicationcontrollers/scale',
        'serviceaccounts',
        'services',
        'services/status',
      ],
      verbs: READ,
    },
    {
      apiGroups: [''],
      resources: [
        'bindings',
        'events',
        'limitranges',
        'namespaces/status',
        'pods/log',
        'pods/status',
        'replicationcontrollers/status',
        'resourcequotas',
        'resourcequotas/status',
      ],
      verbs: READ,
    },
    { apiGroups: [''], resources: ['namespaces'], verbs: READ },
  ],
  AmazonEKSAdminViewPolicy: [{ apiGroups: ['*'], resources: ['*'], verbs: READ }],
};
