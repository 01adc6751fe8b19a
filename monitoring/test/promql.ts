// Metric names a PromQL expression reads, found with Prometheus' own PromQL grammar
// (@prometheus-io/lezer-promql, the parser of the Prometheus web UI), not with regular expressions.
import { parser } from '@prometheus-io/lezer-promql';

/** Names of the series an expression selects (`foo` in `rate(foo{a="b"}[5m])`). */
export function metricNamesOf(expr: string): string[] {
  const names = new Set<string>();
  const tree = parser.parse(expr);
  const cursor = tree.cursor();
  do {
    if (cursor.type.isError) throw new Error(`PromQL syntax error at ${cursor.from} in: ${expr}`);
    if (cursor.name === 'Identifier') {
      const parent = cursor.node.parent;
      if (parent?.name === 'VectorSelector') names.add(expr.slice(cursor.from, cursor.to));
    }
  } while (cursor.next());
  return [...names].sort();
}
