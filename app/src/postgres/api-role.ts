// The API's own database role: it reads and writes the rows of its tables and nothing else. The
// migration command (the only user of the owner/admin identity) brings the role to exactly this
// state after every run, so a change here reaches every database with the next deploy.
import type { Client } from 'pg';
import type { Logger } from '../telemetry/logger';

/**
 * Every table of the schema and what the API does with it (src/*\/repository.ts, the purge),
 * besides the migrations table (ApiRoleSettings.migrationsTable). A migration adding a table
 * adds it here: the test "every table of the schema has a decision" fails until it does. No
 * sequence: the keys are uuid and text.
 */
export const API_TABLE_PRIVILEGES: Readonly<Record<string, readonly string[]>> = {
  users: ['SELECT'],
  payments: ['SELECT', 'INSERT'],
  // UPDATE: the purge locks the rows it deletes (SELECT … FOR UPDATE SKIP LOCKED).
  idempotency_keys: ['SELECT', 'INSERT', 'UPDATE', 'DELETE'],
};

export interface ApiRoleSettings {
  role: string;
  /** undefined: no password (RDS: IAM tokens only). */
  password: string | undefined;
  /** Read (SELECT) by the API's start-up check that the schema is not behind the code. */
  migrationsTable: string;
}

/** RDS's role for IAM database authentication; absent from other PostgreSQL servers. */
const RDS_IAM_ROLE = 'rds_iam';

/**
 * Creates the role when missing, then, in one transaction, sets its password (or none), its
 * membership of rds_iam when the server is RDS, and exactly the grants of API_TABLE_PRIVILEGES
 * (everything else on the schema's tables revoked). Idempotent; concurrent runs are serialized
 * by the caller's advisory lock.
 */
export async function applyApiRole(
  client: Client,
  settings: ApiRoleSettings,
  logger: Logger,
): Promise<void> {
  const role = client.escapeIdentifier(settings.role);
  const database = client.escapeIdentifier(client.database ?? '');
  await client.query('BEGIN');
  try {
    // Roles belong to the cluster: a migration of another database may create it meanwhile.
    await client.query(
      `DO $$ BEGIN CREATE ROLE ${role} LOGIN;
         EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$`,
    );
    // Also undoes attributes granted by hand since the last run. Only a superuser may name
    // SUPERUSER, REPLICATION or BYPASSRLS, even to turn them off, and RDS's master user is not
    // one: they are named only when set (which took a superuser, who can undo it).
    const granted = await client.query<
      Record<'rolsuper' | 'rolreplication' | 'rolbypassrls', boolean>
    >('SELECT rolsuper, rolreplication, rolbypassrls FROM pg_roles WHERE rolname = $1', [
      settings.role,
    ]);
    const { rolsuper, rolreplication, rolbypassrls } = granted.rows[0] ?? {};
    const revoked = [
      rolsuper ? 'NOSUPERUSER' : '',
      rolreplication ? 'NOREPLICATION' : '',
      rolbypassrls ? 'NOBYPASSRLS' : '',
    ].join(' ');
    await client.query(
      `ALTER ROLE ${role} LOGIN NOCREATEDB NOCREATEROLE ${revoked} PASSWORD ${
        settings.password === undefined ? 'NULL' : client.escapeLiteral(settings.password)
      }`,
    );
    const rds = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [RDS_IAM_ROLE]);
    if (rds.rowCount === 1) await client.query(`GRANT ${RDS_IAM_ROLE} TO ${role}`);
    // PostgreSQL 15+ no longer lets PUBLIC create in the public schema; older servers do.
    await client.query('REVOKE CREATE ON SCHEMA public FROM PUBLIC');
    // Temporary tables are objects the API could create: PUBLIC may by default.
    await client.query(`REVOKE TEMPORARY ON DATABASE ${database} FROM PUBLIC`);
    await client.query(`GRANT CONNECT ON DATABASE ${database} TO ${role}`);
    await client.query(`GRANT USAGE ON SCHEMA public TO ${role}`);
    await client.query(`REVOKE ALL ON ALL TABLES IN SCHEMA public FROM ${role}`);
    await client.query(`REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM ${role}`);
    const grants = { ...API_TABLE_PRIVILEGES, [settings.migrationsTable]: ['SELECT'] };
    for (const [table, privileges] of Object.entries(grants)) {
      await client.query(
        `GRANT ${privileges.join(', ')} ON TABLE ${client.escapeIdentifier(table)} TO ${role}`,
      );
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
  logger.info(
    {
      role: settings.role,
      password: settings.password !== undefined,
      rds_iam: await hasRdsIam(client, settings.role),
    },
    'API database role up to date',
  );
  if (settings.password === undefined && !(await hasRdsIam(client, settings.role))) {
    logger.warn(
      { role: settings.role },
      'the API role has no password and this server has no rds_iam: it cannot log in (set POSTGRES_API_PASSWORD)',
    );
  }
}

async function hasRdsIam(client: Client, role: string): Promise<boolean> {
  const result = await client.query(
    `SELECT 1 FROM pg_auth_members m
       JOIN pg_roles r ON r.oid = m.roleid JOIN pg_roles u ON u.oid = m.member
      WHERE r.rolname = $1 AND u.rolname = $2`,
    [RDS_IAM_ROLE, role],
  );
  return result.rowCount === 1;
}
