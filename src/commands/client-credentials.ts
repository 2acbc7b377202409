import { OAuthError } from '../domain/errors.js';
import { resolveScope } from '../domain/scope.js';
import type { ClientView } from '../store/read-store.js';
import { ensureGrantAllowed } from './authenticate-client.js';
import type { CommandContext, RequestMeta } from './context.js';
import { issueGrant, type TokenResponse } from './issue-grant.js';

/** RFC 6749 §4.4: confidential clients only, and no refresh token (§4.4.3). */
export async function clientCredentialsGrant(
  ctx: CommandContext,
  client: ClientView,
  scope: string | undefined,
  meta: RequestMeta,
): Promise<TokenResponse> {
  ensureGrantAllowed(client, 'client_credentials');
  if (client.secretHash === null) {
    throw new OAuthError('unauthorized_client', 'a public client cannot use the client_credentials grant');
  }
  const granted = resolveScope({
    requested: scope,
    defined: await ctx.reads.listScopes(),
    allowed: client.allowedScopes,
    ignoreRequested: ctx.config.IGNORE_CLIENT_REQUESTED_SCOPE,
  });
  return issueGrant(
    ctx,
    { grantType: 'client_credentials', clientId: client.clientId, userId: null, username: null, scope: granted.join(' '), withRefreshToken: false },
    meta,
  );
}
