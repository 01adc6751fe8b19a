// The suite's Redis hygiene: every key prefix it hands out lies under the run's prefix, and the
// end-of-run hook (deleteRunKeys, a root after() hook of support/servers.ts) deletes it whole.
import { expect } from 'chai';
import { createClient } from 'redis';
import {
  deleteRunKeys,
  runKeyPrefix,
  sharedServers,
  testKeyPrefix,
  uniqueName,
} from './support/servers';

describe('Redis keys of a test run', function () {
  it('every REDIS_KEY_PREFIX the suite hands out lies under the run prefix', function () {
    const prefixes = ['in_process', 'process', 'image'].map(testKeyPrefix);
    expect(new Set(prefixes).size).to.equal(3);
    for (const prefix of prefixes) expect(prefix.startsWith(runKeyPrefix)).to.equal(true);
    expect(runKeyPrefix).to.match(/^payflow_test_run_[0-9a-f]{8}:$/);
  });

  it('the end-of-run hook deletes every key under the run prefix (many SCAN pages) and no other', async function () {
    const redis = createClient({ url: sharedServers().redisUrl });
    await redis.connect();
    const ours = `${testKeyPrefix('cleanup')}idempotency:`;
    const foreign = `${uniqueName('payflow_test_run')}:kept`;
    try {
      const multi = redis.multi();
      for (let i = 0; i < 1500; i += 1) multi.set(`${ours}${i}`, 'x', { EX: 86_400 });
      multi.set(foreign, 'x', { EX: 60 });
      await multi.exec();

      await deleteRunKeys();

      const left = [];
      for await (const keys of redis.scanIterator({ MATCH: `${runKeyPrefix}*`, COUNT: 500 })) {
        left.push(...keys);
      }
      expect(left).to.deep.equal([]);
      expect(await redis.exists(foreign)).to.equal(1);
    } finally {
      await redis.del(foreign);
      redis.destroy();
    }
  });
});
