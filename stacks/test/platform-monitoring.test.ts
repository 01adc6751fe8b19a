// The cluster's monitoring says what monitoring/ says: Alertmanager derived from the local
// stack's file (parity modulo the webhook source), kube-prometheus-stack's default rules without
// duplicates of PayFlow's alerts and routed to the low-priority receiver, Alloy labelling the
// API's logs with the service_name the dashboard queries, and the names the runbooks use.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { parse } from 'yaml';
import { receiversFor, type Route } from '../../monitoring/test/alertmanager-routing';
import { allRules, loadRuleFile } from '../../monitoring/test/rule-files';
import {
  ALERTMANAGER_WEBHOOKS,
  type AlertmanagerConfig,
  clusterAlertmanagerConfig,
  readSharedAlertmanagerConfig,
} from '../platform/alertmanager-config';
import { REPOSITORY_FILES } from '../platform/platform-stack';
import { POD_IDENTITY_SERVICE_ACCOUNTS } from '../platform/pod-identity-service-accounts';
import {
  CHART_DUPLICATES,
  alertmanagerDivergence,
  differences,
  loudChartDuplicates,
} from './alertmanager-parity';

type Block = Record<string, unknown>;
const root = join(__dirname, '..', '..');
const staticValues = (chart: string) =>
  parse(readFileSync(join(root, REPOSITORY_FILES.staticValues, `${chart}.yaml`), 'utf8')) as Block;
const at = (value: unknown, ...keys: (string | number)[]): unknown =>
  keys.reduce<unknown>((v, k) => (v as Record<string | number, unknown> | undefined)?.[k], value);

const shared = readSharedAlertmanagerConfig(root);
const cluster = clusterAlertmanagerConfig(shared);
const slackConfigs = (config: AlertmanagerConfig) =>
  (config.receivers ?? []).flatMap((r) =>
    ((r.slack_configs as Block[] | undefined) ?? []).map((c): Block => ({
      receiver: r.name,
      ...c,
    })),
  );

describe('platform monitoring matches monitoring/ (stacks/platform)', function () {
  describe('Alertmanager: derived from monitoring/alertmanager/alertmanager.yml', function () {
    it('keeps routes, group_by, inhibit rules, receivers and Slack templates; changes only the webhook source', function () {
      expect(alertmanagerDivergence(shared, cluster)).to.deep.equal([]);
      expect(cluster.route).to.deep.equal(shared.route);
      expect(cluster.inhibit_rules).to.deep.equal(shared.inhibit_rules);
      expect(at(cluster, 'global', 'slack_api_url_file')).to.equal(undefined);
      const secretKeys = ['critical_webhook_url', 'warning_webhook_url'];
      const files = slackConfigs(cluster).map((c) => [c.receiver, c.api_url_file]);
      expect(files).to.deep.equal([
        ['critical', `${ALERTMANAGER_WEBHOOKS.mountPath}/critical_webhook_url`],
        ['warning', `${ALERTMANAGER_WEBHOOKS.mountPath}/warning_webhook_url`],
        ['platform', `${ALERTMANAGER_WEBHOOKS.mountPath}/warning_webhook_url`],
      ]);
      for (const key of Object.values(ALERTMANAGER_WEBHOOKS.keyOfReceiver)) {
        expect(secretKeys).to.include(key);
      }
    });

    it('the parity check reports a cluster config that diverges (group_by, inhibition, template, route)', function () {
      const mutate = (change: (c: AlertmanagerConfig) => void) => {
        const copy = structuredClone(cluster);
        change(copy);
        return alertmanagerDivergence(shared, copy);
      };
      expect(
        mutate((c) => ((c.route as Block).group_by = ['alertname', 'namespace', 'severity'])),
      ).to.include('route.group_by[1]');
      expect(mutate((c) => c.inhibit_rules?.splice(1, 1))).to.not.deep.equal([]);
      expect(
        mutate((c) => {
          const slack = (c.receivers?.find((r) => r.name === 'critical')?.slack_configs ??
            []) as Block[];
          if (slack[0]) slack[0].text = '{{ .CommonAnnotations.summary }}';
        }),
      ).to.deep.equal(['receivers[1].slack_configs[0].text']);
      expect(
        mutate((c) => (((c.route as Block).routes as Route[])[1] as Route).matchers?.pop()),
      ).to.not.deep.equal([]);
      // The webhook source alone is not a divergence.
      expect(
        mutate((c) => {
          const slack = (c.receivers?.[1]?.slack_configs ?? []) as Block[];
          if (slack[0]) slack[0].api_url_file = '/elsewhere';
        }),
      ).to.deep.equal([]);
      expect(differences({ a: [1, 2] }, { a: [1] })).to.deep.equal(['a[1]']);
    });

    it('refuses what it cannot carry over: an inline webhook, a receiver without a key, another notifier', function () {
      const withReceiver = (receiver: Block) => ({
        ...shared,
        receivers: [...(shared.receivers ?? []), receiver as { name: string } & Block],
      });
      expect(() =>
        clusterAlertmanagerConfig(withReceiver({ name: 'oncall-2', slack_configs: [{}] })),
      ).to.throw(/oncall-2: no webhook Secret key/);
      expect(() =>
        clusterAlertmanagerConfig(
          withReceiver({ name: 'critical', slack_configs: [{ api_url_file: '/x' }] }),
        ),
      ).to.throw(/must not pick a webhook/);
      expect(() =>
        clusterAlertmanagerConfig(withReceiver({ name: 'mail', email_configs: [{ to: 'x' }] })),
      ).to.throw(/no cluster webhook for email_configs/);
      expect(() =>
        clusterAlertmanagerConfig({ ...shared, global: { slack_api_url: 'https://example' } }),
      ).to.throw(/slack_api_url/);
    });

    it('mounts the Secret of the ExternalSecret where the receivers read their webhooks', function () {
      const spec = at(staticValues('kube-prometheus-stack'), 'alertmanager', 'alertmanagerSpec');
      const volume = (at(spec, 'volumes') as Block[]).find(
        (v) => at(v, 'secret', 'secretName') === ALERTMANAGER_WEBHOOKS.secretName,
      );
      expect(volume, 'volume of the webhook Secret').to.not.equal(undefined);
      const mount = (at(spec, 'volumeMounts') as Block[]).find((m) => m.name === volume?.name);
      expect(mount?.mountPath).to.equal(ALERTMANAGER_WEBHOOKS.mountPath);
      const chartValues = parse(
        readFileSync(join(root, 'modules/platform/charts/platform-resources/values.yaml'), 'utf8'),
      ) as Block;
      expect(at(chartValues, 'alerting', 'targetSecretName')).to.equal(
        ALERTMANAGER_WEBHOOKS.secretName,
      );
    });

    it("leaves no Alertmanager config in the static values and sets every key of the chart's default route", function () {
      expect(at(staticValues('kube-prometheus-stack'), 'alertmanager', 'config')).to.equal(
        undefined,
      );
      // kube-prometheus-stack 75's default alertmanager.config.route: Helm merges maps, so a key
      // left out here would come from the chart (group_by [namespace], receiver "null"...).
      const chartRouteKeys = [
        'group_by',
        'group_wait',
        'group_interval',
        'repeat_interval',
        'receiver',
        'routes',
      ];
      expect(Object.keys(cluster.route ?? {})).to.include.members(chartRouteKeys);
      expect(Object.keys(cluster)).to.include.members(['global', 'route', 'inhibit_rules']);
    });
  });

  describe("kube-prometheus-stack's default rules", function () {
    const values = staticValues('kube-prometheus-stack');

    it('disables or inhibits every chart alert that repeats a PayFlow alert', function () {
      expect(loudChartDuplicates(values, cluster)).to.deep.equal([]);
      const payflowAlerts = new Set(allRules(loadRuleFile()).map((r) => r.alert));
      for (const { payflow } of Object.values(CHART_DUPLICATES)) {
        expect([...payflowAlerts], payflow).to.include(payflow);
      }
    });

    it('the duplicate check reports a re-enabled duplicate and a dropped inhibition', function () {
      const reenabled = structuredClone(values);
      const disabled = at(reenabled, 'defaultRules', 'disabled') as Record<string, unknown>;
      delete disabled.KubePodCrashLooping;
      expect(loudChartDuplicates(reenabled, cluster)).to.deep.equal(['KubePodCrashLooping']);
      const noInhibitions = { ...cluster, inhibit_rules: [] };
      expect(loudChartDuplicates(values, noInhibitions)).to.deep.equal([
        'TargetDown',
        'KubeDeploymentReplicasMismatch',
        'KubePodNotReady',
      ]);
      expect(loudChartDuplicates({}, cluster)).to.include.members([
        'KubePodCrashLooping',
        'NodeFilesystemSpaceFillingUp',
      ]);
    });

    it('labels the remaining chart alerts so that they reach the low-priority receiver, never a page', function () {
      const labels = at(values, 'defaultRules', 'additionalRuleLabels') as Record<string, string>;
      expect(labels).to.be.an('object');
      const route = cluster.route as Route;
      for (const severity of ['critical', 'warning']) {
        expect(
          receiversFor(route, { ...labels, alertname: 'KubeletDown', severity }),
          severity,
        ).to.deep.equal(['platform']);
      }
      expect(
        receiversFor(route, { ...labels, alertname: 'Watchdog', severity: 'none' }),
      ).to.deep.equal(['null']);
      // Without the label the same alert would page.
      expect(receiversFor(route, { alertname: 'KubeletDown', severity: 'critical' })).to.deep.equal(
        ['critical'],
      );
      // PayFlow's own rules never carry it.
      for (const rule of allRules(loadRuleFile())) {
        for (const name of Object.keys(labels)) {
          expect(rule.labels ?? {}, rule.alert ?? rule.record).to.not.have.property(name);
        }
      }
    });

    it("turns off the control plane's rules and scrapes, out of reach on EKS", function () {
      const rules = at(values, 'defaultRules', 'rules') as Block;
      for (const group of [
        'etcd',
        'kubeControllerManager',
        'kubeSchedulerAlerting',
        'kubeSchedulerRecording',
      ]) {
        expect(rules[group], group).to.equal(false);
      }
      for (const component of ['kubeEtcd', 'kubeControllerManager', 'kubeScheduler']) {
        expect(at(values, component, 'enabled'), component).to.equal(false);
      }
    });
  });

  describe('Alloy in the cluster', function () {
    const content = at(staticValues('alloy'), 'alloy', 'configMap', 'content') as string;

    /** The pod_logs relabel rules applied to a pod's discovery labels (Prometheus "replace"). */
    function relabel(config: string, labels: Record<string, string>): Record<string, string> {
      const block = /discovery\.relabel "pod_logs" \{([\s\S]*?)\n\s*\}\n\n/.exec(config)?.[1] ?? '';
      const result = new Map(Object.entries(labels));
      for (const [, body] of block.matchAll(/rule \{([\s\S]*?)\n\s*\}/g)) {
        const attributes: Record<string, string | string[]> = {};
        for (const [, key, value] of (body ?? '').matchAll(
          /(\w+)\s*=\s*("(?:[^"\\]|\\.)*"|\[[^\]]*\])/g,
        )) {
          attributes[key as string] = (value as string).startsWith('[')
            ? [...(value as string).matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1] as string)
            : (JSON.parse(value as string) as string);
        }
        if (attributes.action && attributes.action !== 'replace') throw new Error('unsupported');
        const sources = (attributes.source_labels as string[] | undefined) ?? [];
        const value = sources
          .map((l) => result.get(l) ?? '')
          .join((attributes.separator as string | undefined) ?? ';');
        const match = new RegExp(
          `^(?:${(attributes.regex as string | undefined) ?? '(.*)'})$`,
        ).exec(value);
        const target = attributes.target_label as string | undefined;
        if (!match || !target) continue;
        const replaced = ((attributes.replacement as string | undefined) ?? '$1').replace(
          /\$(\d+)/g,
          (_, i: string) => match[Number(i)] ?? '',
        );
        if (replaced === '') result.delete(target);
        else result.set(target, replaced);
      }
      return Object.fromEntries(result);
    }

    const pod = (container: string, podLabels: Record<string, string>) => ({
      __meta_kubernetes_namespace: 'payflow',
      __meta_kubernetes_pod_name: `${container}-0`,
      __meta_kubernetes_pod_uid: 'uid',
      __meta_kubernetes_pod_container_name: container,
      ...Object.fromEntries(
        Object.entries(podLabels).map(([k, v]) => [
          `__meta_kubernetes_pod_label_${k.replace(/[./-]/g, '_')}`,
          v,
        ]),
      ),
    });
    const apiLabels = {
      'app.kubernetes.io/name': 'payflow',
      'app.kubernetes.io/component': 'api',
      'app.kubernetes.io/part-of': 'payflow',
    };

    it('labels the API logs service_name="payflow-api", as the local Alloy does', function () {
      const local = readFileSync(join(root, 'monitoring', 'alloy', 'config.alloy'), 'utf8');
      expect(local).to.include('replacement   = "payflow-api"');
      expect(relabel(content, pod('api', apiLabels)).service_name).to.equal('payflow-api');
      expect(
        relabel(
          content,
          pod('migrate', { ...apiLabels, 'app.kubernetes.io/component': 'migrations' }),
        ).service_name,
      ).to.equal('payflow-migrations');
      expect(
        relabel(
          content,
          pod('loki', {
            'app.kubernetes.io/name': 'loki',
            'app.kubernetes.io/component': 'single-binary',
          }),
        ).service_name,
      ).to.equal('loki');
      expect(relabel(content, pod('coredns', {})).service_name).to.equal('coredns');
      // What the dashboard's logs panel and the runbooks select.
      const selected = (labels: Record<string, string>) =>
        /^payflow.*$/.test(relabel(content, labels).service_name ?? '');
      expect(selected(pod('api', apiLabels))).to.equal(true);
      expect(selected(pod('loki', { 'app.kubernetes.io/name': 'loki' }))).to.equal(false);
    });

    it('the check sees a config that sets no service_name', function () {
      const without = content.replace(/target_label\s*=\s*"service_name"/g, 'target_label = "x"');
      expect(relabel(without, pod('api', apiLabels)).service_name).to.equal(undefined);
      expect(relabel(content, pod('api', apiLabels)).__path__).to.equal(
        '/var/log/pods/*uid/api/*.log',
      );
    });
  });

  describe('names the runbooks use', function () {
    /** `deployment/<name>` of kube-system in the runbooks that no release of ours creates. */
    function unknownKubeSystemDeployments(markdown: string, known: string[]): string[] {
      return [...markdown.matchAll(/-n kube-system [^\n`]*?deployment\/([a-z0-9-]+)/g)]
        .map((m) => m[1] as string)
        .filter((name) => !known.includes(name));
    }
    const autoscaler = staticValues('cluster-autoscaler');
    const known = [
      autoscaler.fullnameOverride as string,
      'aws-load-balancer-controller',
      'metrics-server',
    ];

    it('the Cluster Autoscaler Deployment is named as the runbooks say; its service account is unchanged', function () {
      expect(autoscaler.fullnameOverride).to.equal('cluster-autoscaler');
      expect(at(autoscaler, 'rbac', 'serviceAccount', 'name')).to.equal(
        POD_IDENTITY_SERVICE_ACCOUNTS.clusterAutoscaler.name,
      );
      const runbooks = join(root, 'docs', 'runbooks');
      for (const page of readdirSync(runbooks).filter((f) => f.endsWith('.md'))) {
        const text = readFileSync(join(runbooks, page), 'utf8');
        expect(unknownKubeSystemDeployments(text, known), page).to.deep.equal([]);
      }
      const scaling = readFileSync(join(runbooks, 'scaling.md'), 'utf8');
      expect(scaling).to.include('-n kube-system logs deployment/cluster-autoscaler ');
    });

    it("the check reports the chart's default name", function () {
      expect(
        unknownKubeSystemDeployments(
          'kubectl -n kube-system logs deployment/cluster-autoscaler-aws-cluster-autoscaler --tail=5',
          known,
        ),
      ).to.deep.equal(['cluster-autoscaler-aws-cluster-autoscaler']);
    });
  });
});
