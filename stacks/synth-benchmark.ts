// `npm run bench:synth`: wall-clock time of `npm run synth` (a fresh Node.js process that
// loads CDKTF, builds every registered stack and writes the modules), median of 3 runs,
// written to a throw-away directory. Target: under 10 s on a 2-core machine.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const TARGET_SECONDS = 10;
const RUNS = 3;

const outDir = mkdtempSync(join(tmpdir(), 'payflow-bench-synth-'));
const timings: number[] = [];
try {
  for (let run = 0; run < RUNS; run++) {
    const started = performance.now();
    const result = spawnSync(
      process.execPath,
      [require.resolve('tsx/cli'), join(__dirname, 'main.ts'), '--out', outDir],
      { encoding: 'utf8' },
    );
    if (result.status !== 0) {
      console.error(result.stdout, result.stderr);
      process.exit(1);
    }
    timings.push((performance.now() - started) / 1000);
    if (run === 0) console.log(result.stdout.trim());
  }
} finally {
  rmSync(outDir, { recursive: true, force: true });
}

const median = [...timings].sort((a, b) => a - b)[Math.floor(RUNS / 2)] ?? Number.NaN;
console.log(
  `synthesis of all stacks: median ${median.toFixed(2)} s over ${RUNS} runs ` +
    `(${timings.map((t) => t.toFixed(2)).join(', ')}; target < ${TARGET_SECONDS} s)`,
);
if (median >= TARGET_SECONDS) {
  console.error(`slower than the ${TARGET_SECONDS} s target: look for a root import of a provider`);
  process.exit(1);
}
