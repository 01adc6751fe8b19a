// Strict validation of rendered Kubernetes objects, offline, with the kubernetes-models packages:
// - their runtime validators (compiled from the OpenAPI schemas) check types, integers, formats
//   and required fields;
// - their TypeScript interfaces, through the TypeScript compiler, reject every field the API
//   does not define (excess property checks), the part the runtime validators leave out.
// Built-in kinds come from kubernetes-models 4.5.1, generated from Kubernetes 1.33 (it knows
// Lifecycle.stopSignal, new in 1.33, and not PodSpec.hostnameOverride, new in 1.34); custom
// resources from @kubernetes-models/external-secrets and @kubernetes-models/prometheus-operator.
import { resolve } from 'node:path';
import ts from 'typescript';

/** Kubernetes minor version the built-in models describe (the test proves it with two fields). */
export const KUBERNETES_MODELS_VERSION = '1.33';

export interface KubernetesObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata?: { readonly name?: string };
}

/** API groups of custom resources, with the package that models them. */
const CUSTOM_RESOURCE_PACKAGES: Readonly<Record<string, string>> = {
  'external-secrets.io': '@kubernetes-models/external-secrets',
  'monitoring.coreos.com': '@kubernetes-models/prometheus-operator',
};

/** Module of a kind's model, e.g. kubernetes-models/apps/v1/Deployment. */
export function modelModule({ apiVersion, kind }: KubernetesObject): string {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  const custom = CUSTOM_RESOURCE_PACKAGES[group ?? ''];
  if (custom) return `${custom}/${apiVersion}/${kind}`;
  return `kubernetes-models/${group ? `${group}/` : ''}${version}/${kind}`;
}

const label = (o: KubernetesObject) => `${o.kind}/${o.metadata?.name ?? '?'}`;

type ModelClass = new (data: unknown) => { validate(): void };

async function runtimeProblems(objects: readonly KubernetesObject[]): Promise<string[]> {
  const problems: string[] = [];
  for (const object of objects) {
    let model: ModelClass | undefined;
    try {
      const exports = (await import(modelModule(object))) as Record<string, ModelClass>;
      model = exports[object.kind];
    } catch {
      model = undefined;
    }
    if (!model) {
      problems.push(`${label(object)}: no model for ${object.apiVersion} ${object.kind}`);
      continue;
    }
    try {
      new model(object).validate();
    } catch (error) {
      problems.push(`${label(object)}: ${(error as Error).message}`);
    }
  }
  return problems;
}

/**
 * Type-checks `const o<i>: I<Kind> = <object>;` for every object in one program (a virtual file
 * resolved from the repository root, so node_modules is found as for any source file).
 */
function unknownFieldProblems(objects: readonly KubernetesObject[]): string[] {
  const file = resolve(__dirname, '__rendered_objects__.ts');
  const lines: string[] = [];
  const owner: number[] = [];
  objects.forEach((object, i) => {
    const declaration = [
      `import type { I${object.kind} as T${i} } from '${modelModule(object)}';`,
      ...`export const o${i}: T${i} = ${JSON.stringify(object, null, 2)};`.split('\n'),
    ];
    lines.push(...declaration);
    owner.push(...declaration.map(() => i));
  });
  const source = lines.join('\n');
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    // The custom resource packages export ES modules only ("import" condition).
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile } = host;
  host.getSourceFile = (name, language, ...rest) =>
    name === file
      ? ts.createSourceFile(name, source, language)
      : getSourceFile.call(host, name, language, ...rest);
  host.fileExists = (name) => name === file || fileExists.call(host, name);
  host.readFile = (name) => (name === file ? source : readFile.call(host, name));
  const program = ts.createProgram([file], options, host);
  return ts.getPreEmitDiagnostics(program).map((diagnostic) => {
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, ' ');
    if (diagnostic.file?.fileName !== file || diagnostic.start === undefined) return message;
    const { line } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start);
    const object = objects[owner[line] ?? -1];
    return `${object ? label(object) : '?'}: ${message} (at \`${lines[line]?.trim()}\`)`;
  });
}

/** Every problem of the objects against their models; empty when all are valid. */
export async function kubernetesObjectProblems(
  objects: readonly KubernetesObject[],
): Promise<string[]> {
  const runtime = await runtimeProblems(objects);
  return [...runtime, ...unknownFieldProblems(objects)];
}
