// The API's own suite (real PostgreSQL and Redis from DATABASE_URL / REDIS_URL).
// JUnit XML goes to ../reports/junit like the repository-wide suite. The file glob lives in
// package.json's "test" script: mocha adds a config's `spec` to the files named on the command
// line, so with it here `npx mocha test/<file>.test.ts` would run the whole suite.
module.exports = {
  require: ['tsx/cjs'],
  extension: ['ts'],
  timeout: 30000,
  exit: true,
  reporter: 'mocha-multi-reporters',
  'reporter-option': ['configFile=test/mocha-reporters.json'],
};
