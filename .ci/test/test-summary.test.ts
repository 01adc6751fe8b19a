// The closing line CI reads, and the list of failed tests printed above it.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';

const script = path.resolve(__dirname, '../test-summary.mjs');

function summarize(
  reports: Record<string, string>,
  failedSteps: string[] = [],
): { status: number | null; stdout: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'junit-'));
  try {
    for (const [name, xml] of Object.entries(reports)) writeFileSync(path.join(dir, name), xml);
    const result = spawnSync(process.execPath, [script, dir, ...failedSteps], { encoding: 'utf8' });
    return { status: result.status, stdout: result.stdout };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const green = `<?xml version="1.0"?>
<testsuites name="app" tests="3" failures="0" skipped="1">
  <testsuite name="a" tests="3"><testcase name="a works" /></testsuite>
</testsuites>`;

const red = `<?xml version="1.0"?>
<testsuites name="root" tests="2" failures="1" skipped="0">
  <testsuite name="b" tests="2" failures="1">
    <testcase name="b works" />
    <testcase name="b &quot;parses&quot; &amp; answers" classname="b">
      <failure message="expected [ Array(1) ] to deeply equal []" type="AssertionError"><![CDATA[AssertionError: expected [ Array(1) ] to deeply equal []
      -  "readiness reports 503 while Redis is down"]]></failure>
    </testcase>
  </testsuite>
</testsuites>`;

describe('.ci/test-summary.mjs', () => {
  it('sums every report into the closing line and exits 0 when all passed', () => {
    const { status, stdout } = summarize({ 'app.xml': green });
    expect(stdout).to.match(/^2 passed, 0 failed, 1 skipped$/m);
    expect(stdout).not.to.contain('Failed:');
    expect(status).to.equal(0);
  });

  it('names each failed test with its assertion, and exits 1', () => {
    const { status, stdout } = summarize({ 'app.xml': green, 'root.xml': red });
    expect(stdout).to.match(/^3 passed, 1 failed, 1 skipped$/m);
    expect(stdout).to.contain('✗ b "parses" & answers');
    expect(stdout).to.contain('readiness reports 503 while Redis is down');
    expect(status).to.equal(1);
  });

  it('names every failed test on one line each, right above the closing line', () => {
    const twoFailures = red.replace('tests="2" failures="1"', 'tests="3" failures="2"').replace(
      '</testsuite>',
      `<testcase name="c hangs"><failure message="Timeout of 60000ms exceeded.
      For async tests"/></testcase></testsuite>`,
    );
    const { stdout } = summarize({ 'root.xml': twoFailures }, ['lint']);
    const lines = stdout.trimEnd().split('\n');
    expect(lines.slice(-7, -3)).to.deep.equal([
      'Failed tests (3):',
      '  1. b "parses" & answers — AssertionError: expected [ Array(1) ] to deeply equal []',
      '  2. c hangs — Timeout of 60000ms exceeded. For async tests',
      '  3. make test step "lint"',
    ]);
    expect(lines.at(-1)).to.equal('1 passed, 3 failed, 0 skipped');
  });

  it('reads any well-formed report: output before the failure, character references, quotes', () => {
    // What a regular expression over the text missed: a <system-out> ahead of the <failure>,
    // &#…; references and single-quoted attributes are all plain XML.
    const report = `<?xml version="1.0"?>
<testsuites name='root' tests='2' failures='1' skipped='0'>
  <testsuite name="d" tests="2" failures="1">
    <testcase name="d logs"><system-out>starting</system-out></testcase>
    <testcase name="d retries &#8594; gives up"><system-out>retry 1</system-out><failure message="it gave up">Error: it gave up &lt;after 3&gt;
    at retry (d.ts:1)</failure></testcase>
  </testsuite>
</testsuites>`;
    const { status, stdout } = summarize({ 'root.xml': report });
    expect(stdout).to.match(/^1 passed, 1 failed, 0 skipped$/m);
    expect(stdout).to.contain('  1. d retries → gives up — Error: it gave up <after 3>');
    expect(status).to.equal(1);
  });

  it('counts a failed step without a report (lint, build) as a failure, by name', () => {
    const { status, stdout } = summarize({ 'app.xml': green }, ['lint']);
    expect(stdout).to.match(/^2 passed, 1 failed, 1 skipped$/m);
    expect(stdout).to.contain('✗ make test step "lint" failed');
    expect(status).to.equal(1);
  });

  it('fails when no suite wrote a report', () => {
    const { status, stdout } = summarize({});
    expect(stdout).to.match(/^0 passed, 0 failed, 0 skipped$/m);
    expect(status).to.equal(1);
  });
});
