// Sums the JUnit XML files that every suite writes and prints the closing line
// "N passed, N failed, N skipped" (mocha's own summary is per suite only).
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2] ?? 'reports/junit';
const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.xml')) : [];
let tests = 0;
let failures = 0;
let skipped = 0;
for (const file of files) {
  const xml = readFileSync(join(dir, file), 'utf8');
  const root = /<testsuites\b[^>]*>/.exec(xml)?.[0] ?? '';
  const attr = (name) => Number(new RegExp(`\\b${name}="(\\d+)"`).exec(root)?.[1] ?? 0);
  tests += attr('tests');
  failures += attr('failures') + attr('errors');
  skipped += attr('skipped');
}
const passed = tests - failures - skipped;
console.log(`\n${files.length} JUnit report(s) in ${dir}`);
console.log(`${passed} passed, ${failures} failed, ${skipped} skipped`);
process.exit(files.length === 0 || failures > 0 ? 1 : 0);
