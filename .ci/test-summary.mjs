// Sums the JUnit XML files that every suite writes and prints the closing line
// "N passed, N failed, N skipped" (mocha's own summary is per suite only). Failed tests are
// detailed above it, then named one per line right above it, so that even a short tail of a CI
// log names every one of them.
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';

// Steps that write no report (lint, build) are named after the directory when they failed,
// and each counts as one failed test.
const [dir = 'reports/junit', ...failedSteps] = process.argv.slice(2);
const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.xml')) : [];
const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseTagValue: false,
  parseAttributeValue: false,
  htmlEntities: true, // &#8594; as well as &amp;
  isArray: (name) => ['testsuite', 'testcase', 'failure', 'error'].includes(name),
});
let tests = 0;
let failures = 0;
let skipped = 0;
const failed = [];
const names = [];
const oneLine = (text, max = 160) => {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
};
for (const file of files) {
  const root = parser.parse(readFileSync(join(dir, file), 'utf8')).testsuites ?? {};
  const count = (name) => Number(root[name] ?? 0);
  tests += count('tests');
  failures += count('failures') + count('errors');
  skipped += count('skipped');
  for (const testcase of (root.testsuite ?? []).flatMap((suite) => suite.testcase ?? [])) {
    const [problem] = [...(testcase.failure ?? []), ...(testcase.error ?? [])];
    if (problem === undefined) continue;
    const name = String(testcase.name ?? '');
    // The body holds the assertion's diff, which says more than "expected [ Array(1) ]".
    const body = typeof problem === 'string' ? problem : String(problem['#text'] ?? '');
    const reason = typeof problem === 'string' ? '' : String(problem.message ?? '');
    const lines = body.split('\n');
    failed.push(`  ✗ ${name}\n    ${lines.slice(0, 12).join('\n    ') || reason}`);
    names.push(oneLine(`${name} — ${lines[0] || reason}`));
  }
}
const passed = tests - failures - skipped;
for (const step of failedSteps) {
  failed.push(`  ✗ make test step "${step}" failed (see its output above)`);
  names.push(`make test step "${step}"`);
}
failures += failedSteps.length;
if (failed.length > 0) {
  console.log(`\nFailed:\n${failed.join('\n')}`);
  console.log(`\nFailed tests (${names.length}):`);
  names.forEach((name, index) => console.log(`  ${index + 1}. ${name}`));
}
console.log(`\n${files.length} JUnit report(s) in ${dir}`);
console.log(`${passed} passed, ${failures} failed, ${skipped} skipped`);
process.exit(files.length === 0 || failures > 0 ? 1 : 0);
