// No test of this suite may depend on the machine's speed (a loaded CI machine once failed a run
// whose every correctness claim held). Read with the TypeScript compiler, every test file waits
// with waitFor only up to hangGuardMillis, never a deadline of its own.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import ts from 'typescript';
import { hangGuardMillis } from './support/servers';

/** waitFor calls whose deadline is neither hangGuardMillis nor at least as long. */
export function shortWaits(fileName: string, source: string): string[] {
  const file = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (
      ts.isCallExpression(node) &&
      ts.isIdentifier(node.expression) &&
      node.expression.text === 'waitFor'
    ) {
      const deadline = node.arguments[1];
      const ok =
        deadline !== undefined &&
        ((ts.isIdentifier(deadline) && deadline.text === 'hangGuardMillis') ||
          (ts.isNumericLiteral(deadline) && Number(deadline.text) >= hangGuardMillis));
      if (!ok) {
        const { line } = file.getLineAndCharacterOfPosition(node.getStart());
        found.push(`${fileName}:${line + 1}: waitFor(…, ${deadline?.getText() ?? 'no deadline'})`);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

describe('tests that do not depend on the machine speed', function () {
  it('every waitFor of the suite waits up to hangGuardMillis', function () {
    const files = readdirSync(__dirname).filter((f) => f.endsWith('.test.ts'));
    expect(files.length).to.be.above(10);
    const found = files.flatMap((f) => shortWaits(f, readFileSync(join(__dirname, f), 'utf8')));
    expect(found).to.deep.equal([]);
  });

  it('catches the 5-second deadline it was written against', function () {
    const old = "await waitFor(() => !redis.isReady, 5000, 'the client to notice');";
    expect(shortWaits('resilience.test.ts', old)).to.deep.equal([
      'resilience.test.ts:1: waitFor(…, 5000)',
    ]);
  });
});
