// Repository-wide tests (infrastructure, monitoring, workflows, docs, local stack).
// The API has its own suite in app/.mocharc.cjs. Both write JUnit XML into reports/junit.
module.exports = {
  require: ['tsx/cjs'],
  extension: ['ts'],
  spec: [
    'stacks/test/**/*.test.ts',
    'monitoring/test/**/*.test.ts',
    '.github/test/**/*.test.ts',
    'docs/test/**/*.test.ts',
  ],
  timeout: 120000,
  reporter: 'mocha-multi-reporters',
  'reporter-option': ['configFile=.ci/mocha-reporters.json'],
};
