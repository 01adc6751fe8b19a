// Terraform templates as the synthesized JSON holds them ("api.${var.zone}"), written into HCL
// expressions: by the module-instance evaluation of the tests, and by the deploy-role table's
// attributes that AWS computes (deploy-role-calls.ts).

/** An HCL string literal holding a template: literal parts escaped, interpolations kept. */
export function hclQuoted(template: string): string {
  let out = '';
  for (let i = 0; i < template.length;) {
    if (template.startsWith('${', i)) {
      const end = interpolationEnd(template, i);
      out += template.slice(i, end);
      i = end;
    } else {
      const char = template[i] ?? '';
      out += char === '"' ? '\\"' : char === '\\' ? '\\\\' : char === '\n' ? '\\n' : char;
      i += 1;
    }
  }
  return `"${out}"`;
}

/** Index just past the `}` closing the interpolation that starts at `start`. */
export function interpolationEnd(template: string, start: number): number {
  let depth = 0;
  for (let j = start + 1; j < template.length; j += 1) {
    if (template[j] === '{') depth += 1;
    if (template[j] === '}') {
      depth -= 1;
      if (depth === 0) return j + 1;
    }
  }
  throw new Error(`unbalanced interpolation in ${template}`);
}
