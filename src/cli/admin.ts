import type { Command } from 'commander';
import { revokeConsent, userIdByUsername } from '../commands/consent.js';
import { defineScope } from '../commands/define-scope.js';
import { FIXTURES, isFixtureName } from '../commands/fixtures.js';
import { registerClient } from '../commands/register-client.js';
import { registerUser } from '../commands/register-user.js';
import { GrantType } from '../domain/events.js';
import { CLI_META, withRuntime } from './runtime-command.js';

const list = (value: string, prior: string[] = []) => [...prior, ...value.split(/[ ,]+/).filter(Boolean)];

/** fixtures, clients, users, scopes: the operator's commands; each records events like any grant. */
export function adminCommands(program: Command): void {
  const fixtures = program.command('fixtures').description('load the seed fixtures');
  fixtures
    .command('load')
    .argument('<names...>', 'fixture names: test_credentials, test_scopes')
    .description('load fixtures; loading twice is harmless')
    .action(async (names: string[]) => {
      const unknown = names.filter((n) => !isFixtureName(n));
      if (unknown.length > 0) program.error(`unknown fixture: ${unknown.join(', ')} (known: ${Object.keys(FIXTURES).join(', ')})`);
      await withRuntime(async ({ ctx }) => {
        for (const name of names) {
          if (!isFixtureName(name)) continue;
          const done = await FIXTURES[name](ctx, CLI_META);
          console.log(`${name}: ${done.length ? `added ${done.join(', ')}` : 'already loaded'}`);
        }
      });
    });

  program
    .command('clients')
    .description('manage clients')
    .command('create')
    .argument('<client_id>')
    .option('--name <name>', 'display name shown on the consent page')
    .option('--secret <secret>', 'client secret (omit with --public)')
    .option('--public', 'a public client: no secret, PKCE required')
    .option('--redirect-uri <uri>', 'a redirect URI (repeatable)', list, [])
    .option('--grant-types <types>', 'grant types, comma-separated', list)
    .option('--scopes <scopes>', 'scopes the client may have (default: any)', list)
    .option('--resource-server', 'may introspect any token')
    .action(async (clientId: string, o: { name?: string; secret?: string; public?: boolean; redirectUri: string[]; grantTypes?: string[]; scopes?: string[]; resourceServer?: boolean }) => {
      if (!o.public && !o.secret) program.error('give --secret, or --public for a public client');
      const grantTypes = (o.grantTypes ?? ['authorization_code', 'refresh_token']).map((g) => {
        const parsed = GrantType.safeParse(g);
        if (!parsed.success) program.error(`unknown grant type: ${g}`);
        return parsed.data;
      });
      await withRuntime(({ ctx }) =>
        registerClient(
          ctx,
          {
            clientId,
            name: o.name ?? clientId,
            secret: o.public ? null : o.secret!,
            redirectUris: o.redirectUri,
            grantTypes,
            allowedScopes: o.scopes ?? null,
            resourceServer: o.resourceServer ?? false,
          },
          CLI_META,
        ),
      );
      console.log(`client ${clientId} created`);
    });

  const users = program.command('users').description('manage users');
  users
    .command('create')
    .argument('<username>')
    .requiredOption('--password <password>', 'the password (prefer OAUTH2_PASSWORD in the environment)')
    .action(async (username: string, o: { password: string }) => {
      const userId = await withRuntime(({ ctx }) => registerUser(ctx, { username, password: o.password }, CLI_META));
      console.log(`user ${username} created (${userId})`);
    });
  users
    .command('revoke-consent')
    .argument('<username>')
    .argument('<client_id>')
    .description('forget what the user allowed the client: its next authorization asks again')
    .action(async (username: string, clientId: string) => {
      const revoked = await withRuntime(async ({ ctx }) => {
        const userId = await userIdByUsername(ctx.events, username);
        return userId === null ? null : revokeConsent(ctx, { userId, clientId }, CLI_META);
      });
      if (revoked === null) program.error(`no user ${username}`);
      console.log(revoked ? `consent of ${username} for ${clientId} revoked` : `${username} has no remembered consent for ${clientId}`);
    });

  program
    .command('scopes')
    .description('manage scopes')
    .command('define')
    .argument('<name>')
    .option('--description <text>', 'shown on the consent page', '')
    .option('--default', 'granted when a client asks for no scope')
    .action(async (name: string, o: { description: string; default?: boolean }) => {
      const changed = await withRuntime(({ ctx }) =>
        defineScope(ctx, { name, description: o.description, isDefault: o.default ?? false }, CLI_META),
      );
      console.log(changed ? `scope ${name} defined` : `scope ${name} unchanged`);
    });
}
