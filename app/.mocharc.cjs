// The API's own suite (real PostgreSQL and Redis from DATABASE_URL / REDIS_URL).
// JUnit XML goes to ../reports/junit like the repository-wide suite.
module.exports = {
  require: ['tsx/cjs'],
  extension: ['ts'],
  spec: ['test/**/*.test.ts'],
  timeout: 30000,
  exit: true,
  reporter: 'mocha-multi-reporters',
  'reporter-option': ['configFile=test/mocha-reporters.json'],
};
