import type { Pool } from 'pg';

export interface User {
  id: string;
  createdAt: Date;
  lastName: string;
  firstName: string;
}

export class UserRepository {
  constructor(private readonly pool: Pool) {}

  async list(): Promise<User[]> {
    const result = await this.pool.query<{
      id: string;
      created_at: Date;
      last_name: string;
      first_name: string;
    }>('SELECT id, created_at, last_name, first_name FROM users ORDER BY created_at, id');
    return result.rows.map((row) => ({
      id: row.id,
      createdAt: row.created_at,
      lastName: row.last_name,
      firstName: row.first_name,
    }));
  }
}
