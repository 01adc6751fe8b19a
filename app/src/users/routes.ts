import type { Express } from 'express';
import { sendJson } from '../http/json-response';
import { methodNotAllowed } from '../http/method-not-allowed';
import type { UserRepository } from './repository';

/**
 * GET /users: drop-in replacement for the Jump Go API, so the JSON keeps the Go struct's
 * field names ({"ID","Created_at","LastName","FirstName"}); the email is never exposed.
 */
export function registerUserRoutes(app: Express, users: UserRepository): void {
  app
    .route('/users')
    .get(async (_req, res) => {
      const list = await users.list();
      sendJson(
        res,
        200,
        list.map((user) => ({
          ID: user.id,
          Created_at: user.createdAt.toISOString(),
          LastName: user.lastName,
          FirstName: user.firstName,
        })),
      );
    })
    .all(methodNotAllowed(['GET']));
}
