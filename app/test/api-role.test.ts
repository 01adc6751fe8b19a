// The API's own database role, created by the migration command: it does its work (the API
// suites connect as it) and nothing more, against the real PostgreSQL.
import { expect } from 'chai';
import { Client } from 'pg';
import { API_TABLE_PRIVILEGES } from '../src/postgres/api-role';
import { migrationsTable } from '../src/postgres/migrations';
import { createTestDatabase, type TestDatabase } from './support/servers';
import { asApiRole, migrate, testApiRole } from './support/service';

describe('the API database role', function () {
  this.timeout(60000);
  let database: TestDatabase;
  let admin: Client;
  let api: Client;
  const { role } = testApiRole(process.env.DATABASE_URL ?? '');

  /**
   * The SQLSTATE a statement fails with as the API role, or undefined when it succeeds; rolled
   * back either way, so that no test leaves rows or locks behind.
   */
  const refusal = async (sql: string): Promise<string | undefined> => {
    await api.query('BEGIN');
    try {
      await api.query(sql);
      return undefined;
    } catch (error) {
      return (error as { code?: string }).code;
    } finally {
      await api.query('ROLLBACK');
    }
  };

  /** table → sorted privileges the role holds, as the server reports them. */
  const grantsOf = async (grantee: string) => {
    const rows = await admin.query<{ table_name: string; privilege_type: string }>(
      `SELECT table_name, privilege_type FROM information_schema.role_table_grants
        WHERE grantee = $1 AND table_schema = 'public' ORDER BY 1, 2`,
      [grantee],
    );
    const grants: Record<string, string[]> = {};
    for (const row of rows.rows) (grants[row.table_name] ??= []).push(row.privilege_type);
    return grants;
  };
  const expectedGrants = () =>
    Object.fromEntries(
      Object.entries({ ...API_TABLE_PRIVILEGES, [migrationsTable]: ['SELECT'] })
        .map(([table, privileges]) => [table, [...privileges].sort()] as const)
        .sort(([a], [b]) => a.localeCompare(b)),
    );

  before(async function () {
    database = await createTestDatabase('api_role');
    await migrate(database.url);
    admin = new Client({ connectionString: database.url });
    await admin.connect();
    // A table the API was never granted: the owner's, created after the migrations.
    await admin.query('CREATE TABLE audit_notes (id int PRIMARY KEY, note text)');
    await admin.query("INSERT INTO audit_notes VALUES (1, 'owner only')");
    api = new Client({ connectionString: asApiRole(database.url) });
    await api.connect();
  });
  after(async function () {
    await api?.end();
    await admin?.end();
    await database?.drop();
  });

  it('connects with its own name and password, and is no superuser', async function () {
    const who = await api.query<{ user: string; superuser: string }>(
      "SELECT current_user AS user, current_setting('is_superuser') AS superuser",
    );
    expect(who.rows[0]).to.deep.equal({ user: role, superuser: 'off' });
  });

  it('every table of the schema has a decision, and the role holds exactly those rights', async function () {
    const tables = await admin.query<{ tablename: string }>(
      "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'audit_notes' ORDER BY 1",
    );
    expect(tables.rows.map((row) => row.tablename)).to.deep.equal(Object.keys(expectedGrants()));
    expect(await grantsOf(role)).to.deep.equal(expectedGrants());
  });

  it('does its work: reads users, writes payments and idempotency keys, purges keys', async function () {
    expect(await refusal('SELECT id, email FROM users')).to.equal(undefined);
    expect(
      await refusal(
        `INSERT INTO payments (id, amount_minor, currency) VALUES ('pay_${'a'.repeat(32)}', 100, 'EUR')`,
      ),
    ).to.equal(undefined);
    expect(
      await refusal(
        `INSERT INTO idempotency_keys (scope, key, request_hash, response_status, response_body, expires_at)
         VALUES ('s', 'k', 'h', 201, '{}', now())`,
      ),
    ).to.equal(undefined);
    expect(await refusal('SELECT ctid FROM idempotency_keys FOR UPDATE SKIP LOCKED')).to.equal(
      undefined,
    );
    expect(await refusal('DELETE FROM idempotency_keys WHERE expires_at <= now()')).to.equal(
      undefined,
    );
    expect(await refusal(`SELECT name FROM ${migrationsTable}`)).to.equal(undefined);
  });

  const insufficientPrivilege = '42501';
  const refused: Array<[string, string]> = [
    ['DROP a table', 'DROP TABLE payments'],
    ['ALTER a table', 'ALTER TABLE payments ADD COLUMN note text'],
    ['TRUNCATE a table', 'TRUNCATE idempotency_keys'],
    ['CREATE a table in the schema', 'CREATE TABLE public.mine (id int)'],
    ['CREATE a temporary table', 'CREATE TEMPORARY TABLE scratch (id int)'],
    [
      'CREATE a function in the schema',
      'CREATE FUNCTION public.f() RETURNS int LANGUAGE sql AS $$SELECT 1$$',
    ],
    ['read a table it was not granted', 'SELECT note FROM audit_notes'],
    [
      'write to users',
      "INSERT INTO users (last_name, first_name, email) VALUES ('x', 'y', 'z@test.local')",
    ],
    ['change a payment', "UPDATE payments SET status = 'succeeded'"],
    ['delete a payment', 'DELETE FROM payments'],
    ['write the migrations table', `DELETE FROM ${migrationsTable}`],
  ];
  for (const [what, sql] of refused) {
    it(`cannot ${what}`, async function () {
      expect(await refusal(sql), sql).to.equal(insufficientPrivilege);
    });
  }

  it('the next migration run takes back rights granted by hand, and keeps its own', async function () {
    await admin.query(`GRANT TRUNCATE, UPDATE ON payments TO ${role}`);
    await admin.query(`GRANT SELECT ON audit_notes TO ${role}`);
    await admin.query(`ALTER ROLE ${role} CREATEDB`);
    await migrate(database.url);
    expect(await grantsOf(role)).to.deep.equal(expectedGrants());
    const attributes = await admin.query<{ rolcreatedb: boolean }>(
      'SELECT rolcreatedb FROM pg_roles WHERE rolname = $1',
      [role],
    );
    expect(attributes.rows[0]?.rolcreatedb).to.equal(false);
  });

  it('on RDS (a server with the rds_iam role) it is made a member of rds_iam', async function () {
    const memberOfRdsIam = async () =>
      (
        await admin.query(
          `SELECT 1 FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid
             JOIN pg_roles u ON u.oid = m.member WHERE r.rolname = 'rds_iam' AND u.rolname = $1`,
          [role],
        )
      ).rowCount === 1;
    const hadRdsIam = (await admin.query("SELECT 1 FROM pg_roles WHERE rolname = 'rds_iam'"))
      .rowCount;
    expect(hadRdsIam, 'this test server must not be RDS').to.equal(0);
    expect(await memberOfRdsIam()).to.equal(false);
    // Roles belong to the whole server: the stand-in for RDS's role goes away after the test.
    await admin.query('CREATE ROLE rds_iam NOLOGIN');
    try {
      await migrate(database.url, { apiPassword: undefined });
      expect(await memberOfRdsIam()).to.equal(true);
    } finally {
      await admin.query('DROP ROLE rds_iam');
      await migrate(database.url);
    }
  });
});
