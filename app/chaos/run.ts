// `npm run chaos` (make chaos): the long form of the fault runs, on a private PostgreSQL and
// Redis, against the built API (dist/). Prints a report; exits 1 when any claim does not hold.
// The short form of the same scenarios runs in `npm test` (test/chaos.test.ts).
import { FaultLab } from './fault-lab';
import { malformedInputRun } from './malformed-run';
import {
  postgresStoppedDuringLoad,
  redisKilledDuringLoad,
  sigtermDuringLoad,
  type ScenarioReport,
} from './scenarios';

const quick = process.env.CHAOS_QUICK === '1';
const size = {
  concurrency: quick ? 10 : 32,
  beforeFaultMillis: quick ? 1500 : 5000,
  outageMillis: quick ? 2000 : 5000,
  afterRecoveryMillis: quick ? 2500 : 8000,
};

function print(report: ScenarioReport): void {
  console.log(`\n== ${report.scenario}`);
  for (const [name, value] of Object.entries(report.facts)) console.log(`   ${name}: ${value}`);
  for (const check of report.checks) {
    const kind = check.timeBound ? ' (time bound: not asserted by make test)' : '';
    console.log(
      `   ${check.passed ? 'PASS' : 'FAIL'}  ${check.claim}${kind}\n         ${check.detail}`,
    );
  }
}

async function main(): Promise<void> {
  console.log(
    `fault runs (${quick ? 'quick' : 'long'} form): ${size.concurrency} concurrent clients, ` +
      `${size.outageMillis} ms outages, private PostgreSQL and Redis`,
  );
  const lab = await FaultLab.start('dist');
  const reports: ScenarioReport[] = [];
  try {
    for (const scenario of [
      () => redisKilledDuringLoad(lab, size),
      () => postgresStoppedDuringLoad(lab, size),
      () => sigtermDuringLoad(lab, size),
      () => sigtermDuringLoad(lab, size, { SHUTDOWN_DELAY_MS: '2000' }),
      () => malformedInputRun(lab),
    ]) {
      const report = await scenario();
      print(report);
      reports.push(report);
    }
  } finally {
    await lab.stop();
  }
  const failed = reports.flatMap((r) =>
    r.checks.filter((c) => !c.passed).map((c) => `${r.scenario}: ${c.claim}`),
  );
  const total = reports.reduce((sum, r) => sum + r.checks.length, 0);
  console.log(`\n${total - failed.length} of ${total} claims held`);
  for (const claim of failed) console.log(`  FAILED ${claim}`);
  process.exit(failed.length === 0 ? 0 : 1);
}

main().catch((error: unknown) => {
  console.error(`chaos failed: ${(error as Error).stack ?? String(error)}`);
  process.exit(1);
});
