// Loaded by .mocharc.cjs for every run of the API suite: once the run ends, passed or failed,
// its Redis keys (all under runKeyPrefix) are deleted from the shared Redis. Without it, each
// `make test-app` left its idempotency records there for their 24 h TTL.
import { deleteRedisKeys, runKeyPrefix } from './servers';

export async function mochaGlobalTeardown(): Promise<void> {
  const redisUrl = process.env.REDIS_URL;
  if (!redisUrl) return;
  await deleteRedisKeys(redisUrl, runKeyPrefix);
}
