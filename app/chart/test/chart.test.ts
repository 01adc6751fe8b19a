// The API's Helm chart (app/chart), checked offline: values against values.schema.json (and
// bad values rejected), the README documents every value, and the templates carry the probes,
// the restricted Pod Security settings and the resources the issue asks for. A real helm renders
// and validates the chart in stacks/test/helm-render.test.ts.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv';
import { expect } from 'chai';
import { parse } from 'yaml';
import { ENVIRONMENTS } from '../../../stacks/lib/module-stack';

type Values = Record<string, unknown>;

const chartDir = join(__dirname, '..');
const templatesDir = join(chartDir, 'templates');
const read = (path: string) => readFileSync(path, 'utf8');
const schema = JSON.parse(read(join(chartDir, 'values.schema.json'))) as object;
const defaults = parse(read(join(chartDir, 'values.yaml'))) as Values;
const template = (name: string) => read(join(templatesDir, name));
const templateFiles = readdirSync(templatesDir).filter((f) => f.endsWith('.yaml'));

const ajv = new Ajv({ allErrors: true, strict: false });
const validate = ajv.compile(schema);
const clone = (v: Values): Values => structuredClone(v);

/** Body of a `{{- define "name" -}} … {{- end }}` block of _helpers.tpl. */
function helper(name: string): string {
  const helpers = template('_helpers.tpl');
  const start = helpers.indexOf(`{{- define "${name}" -}}`);
  expect(start, `helper ${name}`).to.be.greaterThan(-1);
  const body = helpers.slice(start).split('\n').slice(1);
  // The define's own end: the first `end` not closing an if/with/range opened inside it.
  let depth = 0;
  const end = body.findIndex((line) => {
    depth += (line.match(/\{\{-?\s*(if|with|range)\b/g) ?? []).length;
    if (!/^\s*\{\{-?\s*end\s*-?\}\}/.test(line)) return false;
    depth -= 1;
    return depth < 0;
  });
  return body.slice(0, end).join('\n');
}

/** Violations of the Pod Security Standard "restricted" in a container securityContext. */
function restrictedViolations(context: Values): string[] {
  const violations: string[] = [];
  if (context.runAsNonRoot !== true) violations.push('runAsNonRoot must be true');
  if (typeof context.runAsUser !== 'number' || context.runAsUser === 0)
    violations.push('runAsUser must be a non-zero number');
  if (context.allowPrivilegeEscalation !== false)
    violations.push('allowPrivilegeEscalation must be false');
  const drop = (context.capabilities as { drop?: string[] } | undefined)?.drop ?? [];
  if (!drop.includes('ALL')) violations.push('capabilities must drop ALL');
  if ((context.seccompProfile as { type?: string } | undefined)?.type !== 'RuntimeDefault')
    violations.push('seccompProfile must be RuntimeDefault');
  if (context.readOnlyRootFilesystem !== true) violations.push('root filesystem must be read-only');
  return violations;
}

/** Lines of a values file that look like a secret value rather than a reference to one. */
function secretValues(text: string): string[] {
  return text
    .split('\n')
    .filter(
      (line) =>
        /^\s*\w*(password|token|secret)[ \t]*:[ \t]*\S/i.test(line) ||
        /rediss?:\/\/[^\s]*@/.test(line),
    );
}

describe('API Helm chart (app/chart)', () => {
  describe('values.schema.json', () => {
    it('accepts values.yaml', () => {
      expect(validate(defaults), JSON.stringify(validate.errors)).to.equal(true);
    });

    for (const environment of ENVIRONMENTS) {
      it(`accepts values-${environment}.yaml, in both modes`, () => {
        const values = parse(read(join(chartDir, `values-${environment}.yaml`))) as Values;
        expect(validate(values), JSON.stringify(validate.errors)).to.equal(true);
        expect(validate({ ...values, mode: 'migrations' })).to.equal(true);
        expect(values.environment).to.equal(environment);
      });
    }

    const bad: [string, (v: Values) => void][] = [
      ['an unknown top-level key', (v) => (v.replicas = 3)],
      ['an unknown nested key', (v) => ((v.image as Values).registry = 'x')],
      ['an image tag with a space', (v) => ((v.image as Values).tag = 'my tag')],
      ['an unknown mode', (v) => (v.mode = 'cron')],
      ['an unknown environment', (v) => (v.environment = 'qa')],
      [
        'a certificate that is not an ACM ARN',
        (v) => ((v.ingress as Values).certificateArn = 'arn:aws:iam::123456789012:role/x'),
      ],
      ['an upper-case host', (v) => ((v.ingress as Values).host = 'API.example.com')],
      [
        'a secret key that is not an ARN or a name',
        (v) => (((v.externalSecret as Values).postgresSecret as Values).key = 'has spaces'),
      ],
      ['resources without limits', (v) => delete (v.resources as Values).limits],
      ['a replica count as a string', (v) => (v.replicaCount = '2')],
      [
        'a data subnet that is not a CIDR',
        (v) => ((v.networkPolicy as Values).dataSubnetCidrs = ['10.0.0.0']),
      ],
      ['a missing probe', (v) => delete (v.probes as Values).readiness],
      ['readinessRequiresRedis as a string', (v) => (v.readinessRequiresRedis = 'false')],
      ['a missing readinessRequiresRedis', (v) => delete v.readinessRequiresRedis],
      ['a traceSampleRatio above 1', (v) => (v.traceSampleRatio = 1.5)],
      ['a negative traceSampleRatio', (v) => (v.traceSampleRatio = -0.1)],
      ['a traceSampleRatio as a string', (v) => (v.traceSampleRatio = '0.5')],
      ['a missing traceSampleRatio', (v) => delete v.traceSampleRatio],
      ['Redis without a host', (v) => delete (v.redis as Values).host],
      ['a missing redis.enabled', (v) => delete (v.redis as Values).enabled],
      [
        'readiness requiring a Redis that is disabled',
        (v) => {
          (v.redis as Values).enabled = false;
          v.readinessRequiresRedis = true;
        },
      ],
      [
        'Redis without its AUTH token secret',
        (v) => delete (v.externalSecret as Values).redisSecret,
      ],
      [
        'a CPU target out of range',
        (v) => ((v.autoscaling as Values).targetCPUUtilizationPercentage = 100),
      ],
    ];
    for (const [what, mutate] of bad) {
      it(`rejects ${what}`, () => {
        const values = clone(defaults);
        mutate(values);
        expect(validate(values)).to.equal(false);
      });
    }

    it('accepts no Redis at all: redis.enabled false, without host, port or token secret', () => {
      const values = clone(defaults);
      values.redis = { enabled: false };
      delete (values.externalSecret as Values).redisSecret;
      expect(validate(values), JSON.stringify(validate.errors)).to.equal(true);
    });

    it('types every value: each leaf of values.yaml has a schema type', () => {
      const missing: string[] = [];
      const walk = (value: unknown, node: Values | undefined, path: string) => {
        const resolved = node?.$ref
          ? ((schema as { definitions: Record<string, Values> }).definitions[
              String(node.$ref).replace('#/definitions/', '')
            ] as Values)
          : node;
        if (!resolved || (!resolved.type && !resolved.$ref)) missing.push(path);
        if (value && typeof value === 'object' && !Array.isArray(value) && resolved?.properties) {
          for (const [key, child] of Object.entries(value)) {
            walk(child, (resolved.properties as Record<string, Values>)[key], `${path}.${key}`);
          }
        }
      };
      walk(defaults, schema as Values, 'values');
      expect(missing).to.deep.equal([]);
    });
  });

  it('README.md lists every value of values.yaml', () => {
    const readme = read(join(chartDir, 'README.md'));
    const paths: string[] = [];
    const walk = (value: unknown, path: string) => {
      const isMap = value && typeof value === 'object' && !Array.isArray(value);
      if (
        isMap &&
        Object.keys(value).length > 0 &&
        !/(annotations|labels|podLabels)$/i.test(path)
      ) {
        for (const [key, child] of Object.entries(value))
          walk(child, path ? `${path}.${key}` : key);
      } else {
        paths.push(path);
      }
    };
    walk(defaults, '');
    const undocumented = paths.filter((p) => !readme.includes(`\`${p}\``));
    expect(undocumented).to.deep.equal([]);
  });

  describe('templates', () => {
    it('balance their template actions and blocks', () => {
      for (const file of [...templateFiles, '_helpers.tpl', 'NOTES.txt']) {
        const text = template(file);
        const opens = (text.match(/\{\{-?\s*(if|with|range|define)\b/g) ?? []).length;
        const ends = (text.match(/\{\{-?\s*end\s*-?\}\}/g) ?? []).length;
        expect(ends, `${file}: if/with/range/define vs end`).to.equal(opens);
        const actionsOpen = (text.match(/\{\{/g) ?? []).length;
        const actionsClose = (text.match(/\}\}/g) ?? []).length;
        expect(actionsClose, `${file}: {{ vs }}`).to.equal(actionsOpen);
      }
    });

    it('use only current API versions (Kubernetes 1.30+ and the CRDs installed by platform)', () => {
      const allowed = new Set([
        'v1',
        'apps/v1',
        'batch/v1',
        'policy/v1',
        'autoscaling/v2',
        'networking.k8s.io/v1',
        'monitoring.coreos.com/v1',
        'external-secrets.io/v1',
      ]);
      const kinds = new Set<string>();
      for (const file of templateFiles) {
        for (const [, version] of template(file).matchAll(/^apiVersion: (\S+)$/gm)) {
          expect(allowed.has(version ?? ''), `${file}: ${version}`).to.equal(true);
        }
        for (const [, kind] of template(file).matchAll(/^kind: (\S+)$/gm)) kinds.add(kind ?? '');
      }
      expect([...kinds].sort()).to.deep.equal(
        [
          'ConfigMap',
          'Deployment',
          'ExternalSecret',
          'HorizontalPodAutoscaler',
          'Ingress',
          'Job',
          'NetworkPolicy',
          'PodDisruptionBudget',
          'Service',
          'ServiceAccount',
          'ServiceMonitor',
        ].sort(),
      );
    });

    it('the container securityContext meets the restricted Pod Security Standard', () => {
      const context = parse(helper('payflow.containerSecurityContext')) as Values;
      expect(restrictedViolations(context)).to.deep.equal([]);
      expect(context.runAsUser).to.equal(10001);
      const pod = parse(helper('payflow.podSecurityContext')) as Values;
      expect(pod).to.deep.include({ runAsNonRoot: true, runAsUser: 10001 });
      expect(pod.seccompProfile).to.deep.equal({ type: 'RuntimeDefault' });
    });

    it('the restricted check fails on a context allowing privilege escalation or root', () => {
      const context = parse(helper('payflow.containerSecurityContext')) as Values;
      expect(restrictedViolations({ ...context, allowPrivilegeEscalation: true })).to.have.length(
        1,
      );
      expect(restrictedViolations({ ...context, runAsUser: 0, capabilities: {} })).to.have.length(
        2,
      );
    });

    it('the Deployment and the Job both apply the security contexts and a writable /tmp only', () => {
      for (const file of ['deployment.yaml', 'job-migrations.yaml']) {
        const text = template(file);
        expect(text).to.include('include "payflow.podSecurityContext"');
        expect(text).to.include('include "payflow.containerSecurityContext"');
        expect(text).to.include('automountServiceAccountToken: false');
        expect(text).to.include('include "payflow.volumeMounts"');
        expect(text).to.include('resources:');
      }
      const mounts = parse(
        helper('payflow.volumeMounts')
          .replace(/^\s*\{\{-? (if|else|end)\b.*\}\}\n/gm, '')
          .replace(/\{\{.*?\}\}/g, '/etc/payflow'),
      ) as Values[];
      expect(mounts.find((m) => m.name === 'tmp')).to.deep.include({ mountPath: '/tmp' });
      expect(helper('payflow.volumes')).to.match(/- name: tmp\n\s+emptyDir:/);
      expect(template('serviceaccount.yaml')).to.include('automountServiceAccountToken: false');
    });

    it('the Deployment has startup, liveness and readiness probes on the right paths', () => {
      const text = template('deployment.yaml');
      for (const probe of ['startup', 'liveness', 'readiness']) {
        expect(text).to.include(`${probe}Probe:`);
        expect(text).to.include(`path: {{ .Values.probes.${probe}.path }}`);
      }
      const probes = defaults.probes as Record<string, Values>;
      expect(probes.liveness?.path).to.equal('/liveness');
      expect(probes.readiness?.path).to.equal('/readiness');
      expect(probes.startup?.path).to.equal('/liveness');
      expect(text).to.match(
        /preStop:\n\s+sleep:\n\s+seconds: \{\{ \.Values\.lifecycle\.preStopSleepSeconds \}\}/,
      );
      expect(text).to.include(
        'terminationGracePeriodSeconds: {{ .Values.lifecycle.terminationGracePeriodSeconds }}',
      );
      expect(text).to.include('topologyKey: topology.kubernetes.io/zone');
      expect(text).to.include('topologyKey: kubernetes.io/hostname');
      const lifecycle = defaults.lifecycle as {
        preStopSleepSeconds: number;
        terminationGracePeriodSeconds: number;
      };
      expect(lifecycle.terminationGracePeriodSeconds).to.be.greaterThan(
        lifecycle.preStopSleepSeconds,
      );
    });

    it('the migrations Job runs node dist/migrate.js with a backoff limit and a TTL', () => {
      const text = template('job-migrations.yaml');
      expect(text).to.match(/^\{\{- if eq \.Values\.mode "migrations" \}\}/);
      expect(text).to.include('command: ["node", "dist/migrate.js"]');
      expect(text).to.include('backoffLimit: {{ .Values.migrations.backoffLimit }}');
      expect(text).to.include(
        'ttlSecondsAfterFinished: {{ .Values.migrations.ttlSecondsAfterFinished }}',
      );
      expect(text).to.include('restartPolicy: Never');
      // The API objects are not rendered by the migrations release.
      for (const file of [
        'deployment.yaml',
        'service.yaml',
        'ingress.yaml',
        'hpa.yaml',
        'poddisruptionbudget.yaml',
        'servicemonitor.yaml',
      ]) {
        expect(template(file), file).to.match(/^\{\{- if (and \()?eq \.Values\.mode "api"/);
      }
    });

    it('the Ingress carries the ALB annotations (TLS, redirect, health check, group)', () => {
      const text = template('ingress.yaml');
      for (const annotation of [
        'alb.ingress.kubernetes.io/scheme',
        'alb.ingress.kubernetes.io/target-type: ip',
        'alb.ingress.kubernetes.io/certificate-arn',
        `alb.ingress.kubernetes.io/listen-ports: '[{"HTTP": 80}, {"HTTPS": 443}]'`,
        'alb.ingress.kubernetes.io/ssl-redirect: "443"',
        'alb.ingress.kubernetes.io/healthcheck-path',
        'alb.ingress.kubernetes.io/group.name',
        'alb.ingress.kubernetes.io/ssl-policy',
      ]) {
        expect(text).to.include(annotation);
      }
      expect(defaults.ingress).to.deep.include({ className: 'alb', healthcheckPath: '/health' });
    });

    it('HPA 2-10 at 70 % CPU and a PodDisruptionBudget of minAvailable 1 by default', () => {
      expect(defaults.autoscaling).to.deep.equal({
        enabled: true,
        minReplicas: 2,
        maxReplicas: 10,
        targetCPUUtilizationPercentage: 70,
      });
      expect(template('hpa.yaml')).to.include('apiVersion: autoscaling/v2');
      expect(defaults.podDisruptionBudget).to.deep.equal({ enabled: true, minAvailable: 1 });
    });

    it('NetworkPolicies deny by default and allow only DNS, PostgreSQL, Redis and OTLP out', () => {
      const text = template('networkpolicy.yaml');
      expect(text).to.match(
        /name: default-deny-all[\s\S]*?podSelector: \{\}\n\s+policyTypes:\n\s+- Ingress\n\s+- Egress/,
      );
      expect(text).to.match(/k8s-app: kube-dns\n\s+ports:\n\s+- protocol: UDP\n\s+port: 53/);
      expect(text).to.include('port: {{ .Values.postgres.port }}');
      expect(text).to.include('port: {{ .Values.redis.port }}');
      expect(text).to.include('port: {{ $np.otlpPort }}');
      expect(text).to.include('range $np.dataSubnetCidrs');
      expect(text).to.include('kubernetes.io/metadata.name: {{ $np.monitoringNamespace }}');
      expect(text).to.not.match(/0\.0\.0\.0\/0/);
    });

    it('secrets come from an ExternalSecret (RDS password, Redis AUTH as a rediss:// URL)', () => {
      const text = template('externalsecret.yaml');
      expect(text).to.include('apiVersion: external-secrets.io/v1');
      expect(text).to.include('postgres-password:');
      expect(text).to.match(/REDIS_URL: .*ternary "rediss" "redis"/);
      expect(text).to.include('{{ .redisAuthToken | urlquery }}');
      const configMap = template('configmap.yaml');
      for (const key of [
        'host:',
        'port:',
        'user:',
        'name:',
        'ssl_mode:',
        'OTLP_ENDPOINT',
        'LOG_LEVEL',
        'APP_ENV',
      ]) {
        expect(configMap).to.include(key);
      }
      expect(configMap).to.not.match(/^\s*[A-Z_]*PASSWORD[A-Z_]*:/m);
    });

    it('the PostgreSQL password is a file from a whole Secret volume, re-read on rotation', () => {
      const env = helper('payflow.env');
      expect(env).to.match(/- name: POSTGRES_PASSWORD_FILE\n\s+value: .*\/postgres-password/);
      expect(env).to.not.match(/name: POSTGRES_PASSWORD\n/);
      expect(env).to.match(/- name: REDIS_URL\n\s+valueFrom:\n\s+secretKeyRef:/);
      expect(env).to.include('- name: PORT');
      // envFrom the Secret would also put the password into the environment.
      expect(helper('payflow.envFrom')).to.not.include('secretRef');
      const volumes = helper('payflow.volumes');
      expect(volumes).to.match(
        /- name: postgres-password\n\s+secret:\n\s+secretName: \{\{ include "payflow.secretName" \. \}\}/,
      );
      expect(volumes).to.match(/- key: postgres-password\n\s+path: postgres-password/);
      const mounts = helper('payflow.volumeMounts');
      expect(mounts).to.match(/- name: postgres-password\n\s+mountPath: .*\n\s+readOnly: true/);
      // A subPath mount is never refreshed by the kubelet: the rotation would not reach the pod.
      expect(mounts).to.not.include('subPath');
      // A rotated RDS password must reach the file within minutes, not the hour of before.
      const refresh = (defaults.externalSecret as { refreshInterval: string }).refreshInterval;
      const [, amount, unit] = /^(\d+)(s|m|h)$/.exec(refresh) ?? [];
      const seconds = Number(amount) * (unit === 'h' ? 3600 : unit === 'm' ? 60 : 1);
      expect(seconds).to.be.within(1, 600);
    });

    it('READINESS_REQUIRES_REDIS comes from readinessRequiresRedis (false by default)', () => {
      expect(template('configmap.yaml')).to.include(
        'READINESS_REQUIRES_REDIS: {{ .Values.readinessRequiresRedis | quote }}',
      );
      expect(defaults.readinessRequiresRedis).to.equal(false);
    });

    it('TRACE_SAMPLE_RATIO comes from traceSampleRatio (1 by default: every request traced)', () => {
      expect(template('configmap.yaml')).to.include(
        'TRACE_SAMPLE_RATIO: {{ .Values.traceSampleRatio | quote }}',
      );
      expect(defaults.traceSampleRatio).to.equal(1);
      for (const ratio of [0, 0.1, 1]) {
        expect(validate({ ...clone(defaults), traceSampleRatio: ratio }), String(ratio)).to.equal(
          true,
        );
      }
    });

    it('NODE_OPTIONS comes from nodeOptions (a 16 MB young generation by default)', () => {
      expect(template('configmap.yaml')).to.match(
        /\{\{- with \.Values\.nodeOptions \}\}\n\s+NODE_OPTIONS: \{\{ \. \| quote \}\}/,
      );
      expect(defaults.nodeOptions).to.equal('--max-semi-space-size=16');
      expect(validate({ ...clone(defaults), nodeOptions: '' })).to.equal(true);
      expect(validate({ ...clone(defaults), nodeOptions: 16 })).to.equal(false);
    });

    it('no values file holds a secret value', () => {
      const files = readdirSync(chartDir).filter((f) => /^values.*\.yaml$/.test(f));
      expect(files).to.have.length(4);
      for (const file of files) {
        expect(secretValues(read(join(chartDir, file))), file).to.deep.equal([]);
      }
    });

    it('the secret-value check fails on a password or a URL with credentials', () => {
      const leaked = 'postgres:\n  password: change-me\nredisUrl: rediss://:change-me@host:6379\n';
      expect(secretValues(leaked)).to.have.length(2);
    });
  });
});
