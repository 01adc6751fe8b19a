// Repository-wide tests (infrastructure, monitoring, workflows, docs). The file globs live in
// package.json's "test" script so that `npx mocha <file>` runs only that file.
// The API has its own suite in app/.mocharc.cjs. Both write JUnit XML into reports/junit.
module.exports = {
  require: ['tsx/cjs'],
  extension: ['ts'],
  timeout: 120000,
  reporter: 'mocha-multi-reporters',
  'reporter-option': ['configFile=.ci/mocha-reporters.json'],
};
