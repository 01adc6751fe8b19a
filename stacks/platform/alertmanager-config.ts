import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

/**
 * The cluster's Alertmanager configuration is derived from the local stack's file, so that both
 * route, group, inhibit and format alerts the same way. Only the webhook source differs: the
 * local stack has one webhook file for every receiver (global.slack_api_url_file), the cluster
 * one key per channel in the Secret that External Secrets syncs from Secrets Manager.
 */
export const SHARED_ALERTMANAGER_CONFIG = 'monitoring/alertmanager/alertmanager.yml';

export const ALERTMANAGER_WEBHOOKS = {
  /** Secret written by the platform-resources chart's ExternalSecret (alerting.targetSecretName). */
  secretName: 'alertmanager-webhooks',
  /** Where kube-prometheus-stack's values mount that Secret in the Alertmanager pods. */
  mountPath: '/etc/alertmanager/webhooks',
  /**
   * Secret key each Slack receiver posts with. The platform alerts share the warning channel's
   * webhook: the secret has two keys, and a third would break every environment that lacks it.
   */
  keyOfReceiver: {
    critical: 'critical_webhook_url',
    warning: 'warning_webhook_url',
    platform: 'warning_webhook_url',
  } as Readonly<Record<string, string>>,
} as const;

type Block = Record<string, unknown>;

export interface AlertmanagerConfig extends Block {
  global?: Block;
  route?: Block;
  inhibit_rules?: Block[];
  receivers?: ({ name: string } & Block)[];
}

/** The shared file, parsed (YAML aliases resolved). */
export function readSharedAlertmanagerConfig(repositoryRoot: string): AlertmanagerConfig {
  return parse(
    readFileSync(join(repositoryRoot, SHARED_ALERTMANAGER_CONFIG), 'utf8'),
  ) as AlertmanagerConfig;
}

/**
 * The cluster's version of the shared configuration: the same routes, inhibitions, receivers and
 * templates, each Slack receiver reading its webhook from the mounted Secret. Throws on anything
 * it could not carry over faithfully (a webhook written into the file, a receiver without a
 * Secret key, a notifier other than Slack), so a change to the shared file fails at synth time
 * instead of silently diverging.
 */
export function clusterAlertmanagerConfig(
  shared: AlertmanagerConfig,
  keyOfReceiver: Readonly<Record<string, string>> = ALERTMANAGER_WEBHOOKS.keyOfReceiver,
  mountPath: string = ALERTMANAGER_WEBHOOKS.mountPath,
): AlertmanagerConfig {
  const config = structuredClone(shared);
  if (config.global) {
    if ('slack_api_url' in config.global) {
      throw new Error('global.slack_api_url: a webhook written in the file');
    }
    delete config.global.slack_api_url_file;
  }
  config.receivers = (config.receivers ?? []).map((receiver) => {
    const notifiers = Object.keys(receiver).filter((k) => k.endsWith('_configs'));
    const unsupported = notifiers.filter((k) => k !== 'slack_configs');
    if (unsupported.length > 0) {
      throw new Error(
        `receiver ${receiver.name}: no cluster webhook for ${unsupported.join(', ')}`,
      );
    }
    if (!notifiers.includes('slack_configs')) return receiver;
    const key = keyOfReceiver[receiver.name];
    if (!key) throw new Error(`receiver ${receiver.name}: no webhook Secret key in the cluster`);
    const slack = (receiver.slack_configs as Block[]).map((slackConfig) => {
      if ('api_url' in slackConfig || 'api_url_file' in slackConfig) {
        throw new Error(`receiver ${receiver.name}: the shared file must not pick a webhook`);
      }
      return { ...slackConfig, api_url_file: `${mountPath}/${key}` };
    });
    return { ...receiver, slack_configs: slack };
  });
  return config;
}
