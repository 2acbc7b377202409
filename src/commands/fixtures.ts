import { type CommandContext, type RequestMeta } from './context.js';
import { defineScope } from './define-scope.js';
import { clientExists, registerClient } from './register-client.js';
import { registerUser, usernameTaken } from './register-user.js';
import { GRANT_TYPES } from '../domain/events.js';

/** The seed's fixtures, by the names its README loads them with. Loading twice is harmless. */
export const FIXTURES = {
  async test_credentials(ctx: CommandContext, meta: RequestMeta): Promise<string[]> {
    const done: string[] = [];
    if (!(await clientExists(ctx, 'testclient'))) {
      await registerClient(
        ctx,
        {
          clientId: 'testclient',
          name: 'Test Client',
          secret: 'testpassword',
          redirectUris: ['https://www.example.com'],
          grantTypes: [...GRANT_TYPES],
          allowedScopes: null,
          resourceServer: false,
        },
        meta,
      );
      done.push('client testclient');
    }
    if (!(await usernameTaken(ctx, 'testuser@example.com'))) {
      await registerUser(ctx, { username: 'testuser@example.com', password: 'testpassword' }, meta);
      done.push('user testuser@example.com');
    }
    return done;
  },

  async test_scopes(ctx: CommandContext, meta: RequestMeta): Promise<string[]> {
    const scopes = [
      { name: 'foo', description: 'Read your foo', isDefault: true },
      { name: 'bar', description: 'Change your bar', isDefault: true },
      { name: 'qux', description: 'Use qux on your behalf', isDefault: true },
    ];
    const done: string[] = [];
    for (const scope of scopes) if (await defineScope(ctx, scope, meta)) done.push(`scope ${scope.name}`);
    return done;
  },
} as const;

export type FixtureName = keyof typeof FIXTURES;
export const isFixtureName = (name: string): name is FixtureName => Object.hasOwn(FIXTURES, name);
