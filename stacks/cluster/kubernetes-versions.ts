import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type InputRule, Rule } from '../lib/inputs';

/** One row of kubernetes-versions.tsv: a Kubernetes minor version Amazon EKS offers. */
export interface KubernetesVersion {
  /** Minor version, e.g. `1.36`. */
  readonly version: string;
  /** Last day of standard support (UTC, YYYY-MM-DD). */
  readonly standardSupportEnd: string;
  /** Last day of extended support (UTC, YYYY-MM-DD). */
  readonly extendedSupportEnd: string;
}

/** The dated table (live/environment.sh reads the same file for its support warning). */
export const KUBERNETES_VERSIONS_FILE = join(__dirname, 'kubernetes-versions.tsv');

const ROW = /^(1\.\d{2})\t(\d{4}-\d{2}-\d{2})\t(\d{4}-\d{2}-\d{2})$/;

/** Rows of the table, oldest first; throws on a line that is neither a comment nor a row. */
export function parseKubernetesVersions(text: string): KubernetesVersion[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('#'))
    .map((line) => {
      const match = ROW.exec(line);
      if (!match)
        throw new Error(`kubernetes-versions.tsv: not "<1.xx> TAB <date> TAB <date>": ${line}`);
      const [, version, standardSupportEnd, extendedSupportEnd] = match as unknown as [
        string,
        string,
        string,
        string,
      ];
      return { version, standardSupportEnd, extendedSupportEnd };
    });
}

export const KUBERNETES_VERSIONS: readonly KubernetesVersion[] = parseKubernetesVersions(
  readFileSync(KUBERNETES_VERSIONS_FILE, 'utf8'),
);

/** The input rule of every module input naming the cluster's Kubernetes version. */
export function offeredKubernetesVersion(): InputRule {
  const versions = KUBERNETES_VERSIONS.map((v) => v.version);
  return Rule.custom(
    (v) => `contains(${JSON.stringify(versions)}, ${v})`,
    `Must be a Kubernetes version Amazon EKS offers (stacks/cluster/kubernetes-versions.tsv): ${versions.join(', ')}.`,
  );
}
