import { OAuthError } from '../domain/errors.js';
import { resolveScope } from '../domain/scope.js';
import type { ClientView, UserView } from '../store/read-store.js';
import { decoyHash, verifySecret } from '../security/secret-hash.js';
import { ensureGrantAllowed } from './authenticate-client.js';
import type { CommandContext, RequestMeta } from './context.js';
import { issueGrant, type TokenResponse } from './issue-grant.js';

/** Checks a username and password; unknown user and wrong password fail alike, in the same time. */
export async function verifyUserPassword(ctx: CommandContext, username: string, password: string): Promise<UserView | null> {
  const user = await ctx.reads.getUserByUsername(username);
  const ok = await verifySecret(password, user ? user.passwordHash : await decoyHash());
  return user && ok ? user : null;
}

/** RFC 6749 §4.3 */
export async function passwordGrant(
  ctx: CommandContext,
  client: ClientView,
  params: { username: string | undefined; password: string | undefined; scope: string | undefined },
  meta: RequestMeta,
): Promise<TokenResponse> {
  ensureGrantAllowed(client, 'password');
  if (!params.username || params.password === undefined) {
    throw new OAuthError('invalid_request', 'username and password are required');
  }
  const granted = resolveScope({
    requested: params.scope,
    defined: await ctx.reads.listScopes(),
    allowed: client.allowedScopes,
    ignoreRequested: ctx.config.IGNORE_CLIENT_REQUESTED_SCOPE,
  });
  const user = await verifyUserPassword(ctx, params.username, params.password);
  if (!user) throw new OAuthError('invalid_grant', 'invalid username or password');
  return issueGrant(
    ctx,
    {
      grantType: 'password',
      clientId: client.clientId,
      userId: user.userId,
      username: user.username,
      scope: granted.join(' '),
      withRefreshToken: client.grantTypes.includes('refresh_token'),
    },
    { ...meta, actor: { clientId: client.clientId, userId: user.userId } },
  );
}
