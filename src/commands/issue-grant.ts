import { event, type IssuingGrantType } from '../domain/events.js';
import { grantStream } from '../domain/grant.js';
import { timeOrderedId } from '../security/ids.js';
import { randomToken, tokenDigest } from '../security/tokens.js';
import type { NewEvent } from '../store/event-store.js';
import { type CommandContext, type RequestMeta, toNewEvents } from './context.js';

/** RFC 6749 §5.1 */
export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope: string;
  refresh_token?: string;
}

export interface NewGrant {
  grantType: IssuingGrantType;
  clientId: string;
  userId: string | null;
  username: string | null;
  scope: string;
  withRefreshToken: boolean;
  grantId?: string;
  codeHash?: string;
}

/** A new token family, ready to append: its stream, its TokenIssued, and the response it makes. */
export interface PreparedGrant {
  stream: string;
  events: NewEvent[];
  response: TokenResponse;
}

/** Mints the tokens of a new grant and the event that records them (only their digests). */
export function prepareGrant(ctx: CommandContext, grant: NewGrant, meta: RequestMeta): PreparedGrant {
  const now = ctx.now();
  const { ACCESS_TOKEN_LIFETIME, REFRESH_TOKEN_LIFETIME } = ctx.config;
  const accessToken = randomToken();
  const refreshToken = grant.withRefreshToken ? randomToken() : null;
  const grantId = grant.grantId ?? timeOrderedId();
  const issued = event('TokenIssued', {
    grantId,
    grantType: grant.grantType,
    clientId: grant.clientId,
    userId: grant.userId,
    username: grant.username,
    scope: grant.scope,
    accessTokenHash: tokenDigest(accessToken),
    accessExpiresAt: now + ACCESS_TOKEN_LIFETIME,
    refreshTokenHash: refreshToken === null ? null : tokenDigest(refreshToken),
    refreshExpiresAt: refreshToken === null ? null : now + REFRESH_TOKEN_LIFETIME,
    ...(grant.codeHash ? { codeHash: grant.codeHash } : {}),
  });
  return {
    stream: grantStream(grantId),
    events: toNewEvents([issued], meta),
    response: {
      access_token: accessToken,
      token_type: 'Bearer',
      expires_in: ACCESS_TOKEN_LIFETIME,
      scope: grant.scope,
      ...(refreshToken === null ? {} : { refresh_token: refreshToken }),
    },
  };
}

/**
 * Starts a token family on its own stream. The response is returned only once the events are
 * durable and projected, so the token works the moment the client holds it.
 */
export async function issueGrant(ctx: CommandContext, grant: NewGrant, meta: RequestMeta): Promise<TokenResponse> {
  const prepared = prepareGrant(ctx, grant, meta);
  const { position } = await ctx.events.append(prepared.stream, prepared.events, 'no_stream');
  await ctx.waitForProjection(position);
  return prepared.response;
}
