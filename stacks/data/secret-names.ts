/**
 * Names of the Secrets Manager secrets the data layer creates: one definition for the data module
 * (which names them) and the shared module (which scopes the GitHub roles to them, with
 * `environment` = `*`). RDS names the master password secret it manages itself.
 */
export function dataSecretNames(project: string, environment: string) {
  return {
    /** Alertmanager's Slack webhooks (JSON), value put by the operator. */
    alerting: `${project}/${environment}/alerting`,
  } as const;
}

/** RDS names the secret of a managed master password `rds!db-<id>` and creates it as the caller. */
export const RDS_MANAGED_SECRET_PATTERN = 'rds!db-*';
