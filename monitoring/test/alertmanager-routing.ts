// Alertmanager's routing, enough of it to test where an alert goes without the amtool binary
// (optional here, absent in CI): matchers (=, !=, =~, !~; regexes anchored), nested routes,
// first match wins unless `continue: true`. Tests cross-check it against amtool when present.

export interface Route {
  receiver?: string;
  matchers?: string[];
  continue?: boolean;
  routes?: Route[];
  [key: string]: unknown;
}

type Labels = Readonly<Record<string, string>>;

const MATCHER = /^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*(?:"((?:[^"\\]|\\.)*)"|(\S*))\s*$/;

/** Whether `labels` satisfy one matcher string of the `matchers` syntax. */
export function matches(matcher: string, labels: Labels): boolean {
  const parsed = MATCHER.exec(matcher);
  if (!parsed) throw new Error(`unsupported matcher: ${matcher}`);
  const [, name, op, quoted, bare] = parsed;
  const expected = quoted !== undefined ? JSON.parse(`"${quoted}"`) : (bare ?? '');
  const value = labels[name as string] ?? '';
  switch (op) {
    case '=':
      return value === expected;
    case '!=':
      return value !== expected;
    case '=~':
      return new RegExp(`^(?:${expected})$`).test(value);
    default:
      return !new RegExp(`^(?:${expected})$`).test(value);
  }
}

/** Receivers an alert with `labels` is sent to, like `amtool config routes test`. */
export function receiversFor(root: Route, labels: Labels): string[] {
  const walk = (route: Route, inherited: string): string[] => {
    if ('match' in route || 'match_re' in route) {
      throw new Error('legacy match/match_re: use matchers (the evaluator does not read them)');
    }
    const receiver = route.receiver ?? inherited;
    const found: string[] = [];
    for (const child of route.routes ?? []) {
      if (!(child.matchers ?? []).every((m) => matches(m, labels))) continue;
      found.push(...walk(child, receiver));
      if (!child.continue) break;
    }
    return found.length > 0 ? found : [receiver];
  };
  return walk(root, root.receiver ?? '');
}
