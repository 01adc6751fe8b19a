// The malformed-request corpus (chaos/malformed-corpus.ts, ≥ 200 cases) against the API process
// started from src/: every answer a 4xx in the API's JSON error shape (also those refused by
// Node's HTTP parser, answered by the server's clientError handler), never a 5xx, and no row
// written.
import { expect } from 'chai';
import { Client } from 'pg';
import { malformedRequests, type Category } from '../chaos/malformed-corpus';
import { hasErrorShape, rowCountSql, runCorpus, type CaseResult } from '../chaos/malformed-run';
import { freePort } from '../chaos/network';
import { apiArguments, ServerProcess } from '../chaos/server-process';
import {
  createTestDatabase,
  sharedServers,
  testKeyPrefix,
  type TestDatabase,
} from './support/servers';
import { migrate } from './support/service';

describe('malformed requests', function () {
  this.timeout(60_000);
  const corpus = malformedRequests();
  const categories = [...new Set(corpus.map((item) => item.category))];
  let database: TestDatabase;
  let api: ServerProcess;
  let results: CaseResult[] = [];

  before(async () => {
    const { redisUrl } = sharedServers();
    database = await createTestDatabase('malformed');
    await migrate(database.url);
    api = await ServerProcess.start({
      args: apiArguments('src'),
      port: await freePort(),
      readyPath: '/ready',
      env: {
        DATABASE_URL: database.url,
        REDIS_URL: redisUrl,
        REDIS_KEY_PREFIX: testKeyPrefix('malformed'),
        APP_ENV: 'test',
        LOG_LEVEL: 'warn',
      },
    });
    const client = new Client({ connectionString: database.url });
    await client.connect();
    try {
      results = await runCorpus(api.port, async () =>
        Number((await client.query<{ rows: string }>(rowCountSql)).rows[0]?.rows),
      );
    } finally {
      await client.end();
    }
  });

  after(async () => {
    await api?.stop();
    await database?.drop();
  });

  it('holds at least 200 cases over every category the issue lists', () => {
    expect(corpus.length).to.be.at.least(200);
    expect(categories).to.include.members([
      'broken JSON',
      'wrong types',
      'huge numbers',
      'NaN/Infinity strings',
      'negative, zero and over-precise amounts',
      'unknown currencies',
      'oversized bodies',
      'wrong content types',
      'header abuse',
      'SQL injection',
      'script injection',
      'unicode edge cases',
    ] satisfies Category[]);
    expect(results).to.have.length(corpus.length);
  });

  for (const category of categories) {
    it(`${category}: 4xx JSON errors, never a 5xx, nothing written`, () => {
      const problems = results
        .filter((result) => result.item.category === category && result.problems.length > 0)
        .map((result) => `${result.item.name}: ${result.problems.join(', ')}`);
      expect(problems).to.deep.equal([]);
    });
  }

  it('requests refused by the HTTP parser get the JSON error shape too, and Connection: close', () => {
    const parserCases = results.filter((result) => result.item.rejectedByHttpParser);
    expect(parserCases.length).to.be.at.least(5);
    const bare = parserCases
      .filter(
        (result) =>
          !result.response ||
          !hasErrorShape(result.response) ||
          result.response.headers.connection !== 'close',
      )
      .map((result) => `${result.item.name}: ${result.response?.body.slice(0, 80) ?? 'no answer'}`);
    expect(bare).to.deep.equal([]);
    const statuses = new Set(parserCases.map((result) => result.response?.status));
    expect([...statuses].sort()).to.include.members([400, 431]);
  });

  it('the API is still healthy after the whole corpus', async () => {
    expect(await api.status('/ready')).to.equal(200);
  });
});
