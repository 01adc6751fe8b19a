// ElastiCache IAM authentication: the API has no Redis password. For every new connection
// node-redis asks for credentials and gets the ElastiCache user and a token: a SigV4-presigned
// `connect` request for the replication group, valid 15 minutes, signed with the pod's AWS
// credentials (EKS Pod Identity, found by the SDK's default chain) — the same scheme as RDS's
// (postgres/iam-token.ts), with the service `elasticache` and the parameter `User`.
// ElastiCache checks the signature and the role's elasticache:Connect permission.
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import { Sha256 } from '@smithy/core/checksum';
import { HttpRequest } from '@smithy/core/protocols';
import { SignatureV4 } from '@smithy/signature-v4';
import type { RedisIamAuth } from '../config';

/** How long a token is valid for a new connection (the most ElastiCache accepts). */
const TOKEN_LIFETIME_SECONDS = 900;

export interface RedisCredentials {
  username: string;
  password: string;
}

export function elastiCacheIamCredentials(
  iam: RedisIamAuth,
  credentials: ConstructorParameters<
    typeof SignatureV4
  >[0]['credentials'] = fromNodeProviderChain(),
): () => Promise<RedisCredentials> {
  const signer = new SignatureV4({
    service: 'elasticache',
    region: iam.region,
    credentials,
    sha256: Sha256,
  });
  return async () => {
    const request = new HttpRequest({
      method: 'GET',
      protocol: 'http:',
      hostname: iam.cacheName,
      path: '/',
      query: { Action: 'connect', User: iam.user },
      headers: { host: iam.cacheName },
    });
    const presigned = await signer.presign(request, { expiresIn: TOKEN_LIFETIME_SECONDS });
    const query = new URLSearchParams(presigned.query as Record<string, string>);
    return { username: iam.user, password: `${iam.cacheName}/?${query.toString()}` };
  };
}
