// What the two Kubernetes-level modules (platform, app) share: the cluster connection of
// stacks/lib/cluster-connection.ts, and the read-only access of the pull-request plan role
// (stacks/lib/plan-readers.ts) to the Helm release records in every namespace they install into.
import { expect } from 'chai';
import { AppStack } from '../app/app-stack';
import {
  PLAN_READERS_BINDING,
  PLAN_READERS_GROUP,
  RBAC_READER_ROLE,
  RELEASE_SECRETS_READER_ROLE,
  STORAGE_CLASSES_READER_ROLE,
} from '../lib/plan-readers';
import { PlatformStack } from '../platform/platform-stack';
import {
  type Block,
  type KubernetesModuleJson,
  requireTerraform,
  synthesizeKubernetesModule,
} from './kubernetes-module';
import { evaluateModuleExpressions } from './platform-terraform-evaluation';

const ENDPOINT_HOST = '0123456789ABCDEF0123456789ABCDEF.gr7.eu-west-3.eks.amazonaws.com';
const ENDPOINT = `https://${ENDPOINT_HOST}`;

const modules = {
  platform: synthesizeKubernetesModule(PlatformStack, 'platform'),
  app: synthesizeKubernetesModule(AppStack, 'app'),
};
/** How the app module names its own namespace in its resources. */
const NAMESPACE_REFERENCES: Record<string, string> = {
  '${kubernetes_namespace_v1.app_namespace.metadata[0].name}': 'payflow',
};
const namespaceOf = (block: Block): string => {
  const namespace = String(block.namespace ?? (block.metadata as Block | undefined)?.namespace);
  return NAMESPACE_REFERENCES[namespace] ?? namespace;
};

/** Namespaces holding a Helm release of the module where the plan readers have no RoleBinding. */
function unboundReleaseNamespaces(tf: KubernetesModuleJson): string[] {
  const bound = new Set(
    Object.values(tf.resource.kubernetes_role_binding_v1 ?? {})
      .filter((binding) => {
        const subjects = binding.subject as Block[];
        const roleRef = binding.role_ref as Block;
        return (
          (binding.metadata as Block).name === PLAN_READERS_BINDING &&
          roleRef.kind === 'ClusterRole' &&
          roleRef.name === RELEASE_SECRETS_READER_ROLE &&
          subjects.some((s) => s.kind === 'Group' && s.name === PLAN_READERS_GROUP)
        );
      })
      .map((binding) => namespaceOf(binding.metadata as Block)),
  );
  const releases = Object.values(tf.resource.helm_release ?? {}).map(namespaceOf);
  return [...new Set(releases)].filter((namespace) => !bound.has(namespace)).sort();
}

/** Verbs of the plan readers' ClusterRoles that are not read-only. */
function writeVerbs(tf: KubernetesModuleJson): string[] {
  return Object.values(tf.resource.kubernetes_cluster_role_v1 ?? {}).flatMap((role) =>
    (role.rule as Block[]).flatMap((rule) =>
      (rule.verbs as string[]).filter((verb) => !['get', 'list', 'watch'].includes(verb)),
    ),
  );
}

for (const [name, tf] of Object.entries(modules)) {
  describe(`${name} module: cluster connection and plan readers`, () => {
    it('authenticates to the cluster with aws eks get-token, never a kubeconfig or a token', () => {
      const kubernetes = tf.provider.kubernetes?.[0] as Block;
      const helm = (tf.provider.helm?.[0] as Block).kubernetes as Block;
      for (const config of [kubernetes, helm]) {
        expect(config.host).to.equal('${coalesce(var.cluster_tunnel_url, var.cluster_endpoint)}');
        expect(config.tls_server_name).to.equal('${trimprefix(var.cluster_endpoint, "https://")}');
        expect(config.cluster_ca_certificate).to.equal(
          '${base64decode(var.cluster_certificate_authority_data)}',
        );
        expect(config).to.not.have.any.keys('config_path', 'config_paths', 'token', 'client_key');
      }
      const exec = (kubernetes.exec as Block[])[0] as Block;
      expect(exec.command).to.equal('aws');
      expect(exec.args).to.deep.equal([
        'eks',
        'get-token',
        '--cluster-name',
        '${var.cluster_name}',
        '--region',
        '${var.region}',
      ]);
      expect((helm.exec as Block).args).to.deep.equal(exec.args);
      expect(tf.terraform.required_providers.helm?.source).to.equal('hashicorp/helm');
      expect(tf.terraform.required_providers.kubernetes?.source).to.equal('hashicorp/kubernetes');
    });

    describe('through the SSM tunnel or from inside the VPC (evaluated by Terraform)', function () {
      before(requireTerraform);
      const kubernetes = tf.provider.kubernetes?.[0] as Block;
      // The two inputs the connection reads, with their validations.
      const connectionInputs = {
        variable: {
          cluster_endpoint: tf.variable.cluster_endpoint,
          cluster_tunnel_url: tf.variable.cluster_tunnel_url,
        },
      };
      const connection = (tunnel: Record<string, string>) =>
        evaluateModuleExpressions(
          name,
          connectionInputs,
          { host: kubernetes.host, tls_server_name: kubernetes.tls_server_name },
          { cluster_endpoint: ENDPOINT, ...tunnel },
        );

      it('connects to the endpoint itself when no tunnel is given', function () {
        const result = connection({});
        expect(result.status, result.stderr).to.equal(0);
        expect(result.values).to.deep.equal({ host: ENDPOINT, tls_server_name: ENDPOINT_HOST });
      });

      it('connects to the local end of the tunnel, checking TLS against the endpoint name', function () {
        const result = connection({ cluster_tunnel_url: 'https://127.0.0.1:41234' });
        expect(result.status, result.stderr).to.equal(0);
        expect(result.values).to.deep.equal({
          host: 'https://127.0.0.1:41234',
          tls_server_name: ENDPOINT_HOST,
        });
      });
    });

    it('lets the plan readers read the Helm release records of every namespace it installs into', () => {
      expect(unboundReleaseNamespaces(tf)).to.deep.equal([]);
    });
  });
}

describe('plan readers (pull-request plan role, cluster input viewer_principal_arns)', () => {
  const platform = modules.platform;

  it('the platform module creates the read-only ClusterRoles: Secrets per namespace, StorageClasses, RBAC objects', () => {
    const roles = platform.resource.kubernetes_cluster_role_v1 ?? {};
    expect(
      Object.values(roles).map((role) => [(role.metadata as Block).name, role.rule]),
    ).to.deep.equal([
      [
        RBAC_READER_ROLE,
        [
          {
            api_groups: ['rbac.authorization.k8s.io'],
            resources: ['clusterroles', 'clusterrolebindings', 'roles', 'rolebindings'],
            verbs: ['get', 'list'],
          },
        ],
      ],
      [
        RELEASE_SECRETS_READER_ROLE,
        [{ api_groups: [''], resources: ['secrets'], verbs: ['get', 'list'] }],
      ],
      [
        STORAGE_CLASSES_READER_ROLE,
        [{ api_groups: ['storage.k8s.io'], resources: ['storageclasses'], verbs: ['get', 'list'] }],
      ],
    ]);
    expect(writeVerbs(platform)).to.deep.equal([]);
    expect(modules.app.resource.kubernetes_cluster_role_v1).to.equal(undefined);
  });

  it('Secrets are only granted per namespace: no ClusterRoleBinding to the Secrets role', () => {
    const clusterBindings = Object.values(
      platform.resource.kubernetes_cluster_role_binding_v1 ?? {},
    );
    expect(clusterBindings.map((b) => (b.metadata as Block).name)).to.deep.equal([
      RBAC_READER_ROLE,
      STORAGE_CLASSES_READER_ROLE,
    ]);
    for (const binding of clusterBindings) {
      expect(binding.subject).to.deep.equal([
        { api_group: 'rbac.authorization.k8s.io', kind: 'Group', name: PLAN_READERS_GROUP },
      ]);
    }
  });

  it('binds the platform namespaces once their releases created them, and payflow in the app', () => {
    const bindings = platform.resource.kubernetes_role_binding_v1 ?? {};
    expect(Object.values(bindings).map((b) => namespaceOf(b.metadata as Block))).to.deep.equal([
      'external-secrets',
      'kube-system',
      'monitoring',
    ]);
    expect(bindings.plan_readers_monitoring?.depends_on).to.deep.equal([
      'helm_release.kube_prometheus_stack',
    ]);
    expect(bindings.plan_readers_external_secrets?.depends_on).to.deep.equal([
      'helm_release.external_secrets',
    ]);
    const app = modules.app.resource.kubernetes_role_binding_v1 ?? {};
    expect(Object.values(app).map((b) => namespaceOf(b.metadata as Block))).to.deep.equal([
      'payflow',
    ]);
  });

  it('the checks fail on a release in an unbound namespace and on a write verb', () => {
    const broken = structuredClone(platform);
    broken.resource.helm_release = {
      ...broken.resource.helm_release,
      argo: { name: 'argo', namespace: 'argocd' },
    };
    expect(unboundReleaseNamespaces(broken)).to.deep.equal(['argocd']);
    const role = Object.values(broken.resource.kubernetes_cluster_role_v1 ?? {})[0] as Block;
    (role.rule as Block[]).push({ api_groups: [''], resources: ['secrets'], verbs: ['create'] });
    expect(writeVerbs(broken)).to.deep.equal(['create']);
  });
});
