// RDS IAM database authentication: the API has no database password. For every new connection
// node-postgres asks for one, and gets a token that @aws-sdk/rds-signer signs (SigV4, valid 15
// minutes) with the pod's AWS credentials (EKS Pod Identity, found by the SDK's default chain).
// RDS checks the signature and the role's rds-db:connect permission on dbuser:<resource>/<user>.
import { Signer } from '@aws-sdk/rds-signer';
import type { PostgresConfig } from '../config';

export interface IamTokenOptions {
  /** Default: the SDK's chain (environment, EKS Pod Identity, …). */
  credentials?: ConstructorParameters<typeof Signer>[0]['credentials'];
}

/** node-postgres' `password`: a new token per connection, never kept beyond it. */
export function rdsIamPassword(
  config: PostgresConfig,
  options: IamTokenOptions = {},
): () => Promise<string> {
  if (!config.iam || !config.host || !config.user) {
    throw new Error('rdsIamPassword needs a host, a user and auth iam');
  }
  const signer = new Signer({
    hostname: config.host,
    port: config.port ?? 5432,
    username: config.user,
    region: config.iam.region,
    ...(options.credentials ? { credentials: options.credentials } : {}),
  });
  return async () => {
    try {
      return await signer.getAuthToken();
    } catch (error) {
      // 08001 like a refused connection: the pool reports it, requests get 503 (pool.ts).
      throw Object.assign(
        new Error(`cannot sign an RDS IAM token: ${(error as Error).message}`, { cause: error }),
        { code: '08001' },
      );
    }
  };
}
