// REDIS_AUTH=iam against a real redis-server: the client authenticates as the ElastiCache user
// with a freshly signed token on every new connection, reconnections included. A real signer,
// made-up credentials: no AWS account is involved (ElastiCache, not this server, would check
// the signature; here the user accepts any password).
import { expect } from 'chai';
import { PrivateRedis } from '../chaos/private-redis';
import type { RedisConfig } from '../src/config';
import { createRedisClient, type RedisClient } from '../src/redis/client';
import { elastiCacheIamCredentials } from '../src/redis/iam-token';
import { hangGuardMillis, waitFor } from './support/servers';
import { capturingLogger, fakeAwsCredentials } from './support/service';

describe('Redis with IAM authentication (REDIS_AUTH=iam)', function () {
  this.timeout(30000);
  const user = 'payflow-test-api';
  const iam = { user, cacheName: 'payflow-test-redis', region: 'eu-west-3' };
  let credentials: ReturnType<typeof fakeAwsCredentials>;
  let redis: PrivateRedis;
  let admin: RedisClient;

  before(async function () {
    credentials = fakeAwsCredentials();
    redis = await PrivateRedis.start();
    admin = createRedisClient(
      { url: redis.url, keyPrefix: '', commandTimeoutMillis: 2000, connectTimeoutMillis: 2000 },
      capturingLogger('silent').logger,
    );
    await admin.connect();
    // The ElastiCache user's access string in the data module (stacks/data/redis-cache.ts).
    await admin.sendCommand(
      ['ACL', 'SETUSER', user, 'reset', 'on', 'nopass'].concat(
        '~payflow:* -@all +get +set +@connection -@dangerous'.split(' '),
      ),
    );
  });
  after(async function () {
    admin?.destroy();
    await redis?.kill();
    credentials?.restore();
  });

  const authentications = async (): Promise<number> => {
    const stats = await admin.sendCommand<string>(['INFO', 'commandstats']);
    return Number(/cmdstat_auth:calls=(\d+)/.exec(stats)?.[1] ?? 0);
  };

  /** Connections the server has authenticated as `name`. */
  const connectionsOf = async (name: string): Promise<number> => {
    const list = await admin.sendCommand<string>(['CLIENT', 'LIST']);
    return list.split('\n').filter((line) => line.includes(` user=${name} `)).length;
  };

  it('signs a token for the ElastiCache user, valid 15 minutes', async function () {
    const signed = await elastiCacheIamCredentials(iam)();
    expect(signed.username).to.equal(user);
    const token = new URL(`http://${signed.password}`);
    expect(token.host).to.equal(iam.cacheName);
    const date = new Date().toISOString().slice(0, 10).replace(/-/g, '');
    expect(Object.fromEntries(token.searchParams)).to.include({
      Action: 'connect',
      User: user,
      'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
      'X-Amz-Credential': `${credentials.accessKeyId}/${date}/eu-west-3/elasticache/aws4_request`,
      'X-Amz-Expires': '900',
      'X-Amz-SignedHeaders': 'host',
    });
    expect(token.searchParams.get('X-Amz-Signature')).to.match(/^[0-9a-f]{64}$/);
  });

  it('authenticates every new connection as that user, reconnections included', async function () {
    const config: RedisConfig = {
      url: `redis://${user}@127.0.0.1:${redis.port}`,
      iam,
      keyPrefix: 'payflow:',
      commandTimeoutMillis: 2000,
      connectTimeoutMillis: 2000,
    };
    const before = await authentications();
    const client = createRedisClient(config, capturingLogger('silent').logger);
    try {
      await client.connect();
      expect(await connectionsOf(user)).to.equal(1);
      expect(await client.set('payflow:iam-test', '1')).to.equal('OK');
      expect(await authentications()).to.equal(before + 1);

      // The server drops the connection (ElastiCache does after 12 hours): a new one, a new AUTH.
      await admin.sendCommand(['CLIENT', 'KILL', 'USER', user]);
      await waitFor(
        async () => (await authentications()) === before + 2,
        hangGuardMillis,
        'a reconnection',
      );
      await waitFor(() => client.isReady, hangGuardMillis, 'the client to be ready again');
      expect(await connectionsOf(user)).to.equal(1);
      expect(await client.get('payflow:iam-test')).to.equal('1');
      // Outside its key prefix, the user's rights stop.
      const refused = await client.get('other:key').catch((error: Error) => error);
      expect((refused as Error).message).to.match(/NOPERM/);
    } finally {
      client.destroy();
    }
  });
});
