import { codeStream } from '../domain/authorization-code.js';
import { OAuthError } from '../domain/errors.js';
import { event } from '../domain/events.js';
import { parseScope, resolveScope } from '../domain/scope.js';
import { timeOrderedId } from '../security/ids.js';
import type { ClientView, ScopeView, UserView } from '../store/read-store.js';

type User = Pick<UserView, 'userId' | 'username'>;
import { randomToken, tokenDigest } from '../security/tokens.js';
import { ensureGrantAllowed } from './authenticate-client.js';
import { type CommandContext, type RequestMeta, toNewEvents } from './context.js';
import { issueGrant, type TokenResponse } from './issue-grant.js';

export interface AuthorizationParams {
  response_type?: string | undefined;
  client_id?: string | undefined;
  redirect_uri?: string | undefined;
  scope?: string | undefined;
  state?: string | undefined;
  code_challenge?: string | undefined;
  code_challenge_method?: string | undefined;
}

/** An error that must not be sent to the redirect URI: the client or its URI is not trusted. */
export class UntrustedRedirectError extends Error {
  override name = 'UntrustedRedirectError';
  constructor(
    readonly code: 'invalid_request' | 'invalid_client',
    message: string,
  ) {
    super(message);
  }
}

/** An error to send back to the client's redirect URI (RFC 6749 §4.1.2.1, §4.2.2.1). */
export class RedirectableError extends OAuthError {
  constructor(
    code: OAuthError['code'],
    description: string,
    readonly target: { redirectUri: string; state: string | undefined; fragment: boolean },
  ) {
    super(code, description);
  }
}

export interface AuthorizationRequest {
  client: ClientView;
  responseType: 'code' | 'token';
  redirectUri: string;
  redirectUriProvided: boolean;
  /** The scopes the user is asked to allow, with their descriptions. */
  scopes: ScopeView[];
  state: string | undefined;
  codeChallenge: string | undefined;
}

const PKCE_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;

/** Validates an authorization request in the order the RFC requires: client and URI first. */
export async function validateAuthorizationRequest(
  ctx: CommandContext,
  p: AuthorizationParams,
): Promise<AuthorizationRequest> {
  if (!p.client_id) throw new UntrustedRedirectError('invalid_request', 'The request does not say which application it comes from (no client_id).');
  const client = await ctx.reads.getClient(p.client_id);
  if (!client) throw new UntrustedRedirectError('invalid_client', 'The application that sent you here is not registered with this server.');
  let redirectUri: string;
  if (p.redirect_uri !== undefined) {
    // Exact string match with a registered URI (RFC 9700 §4.1.3).
    if (!client.redirectUris.includes(p.redirect_uri)) {
      throw new UntrustedRedirectError('invalid_request', 'The address to return to is not one registered for this application.');
    }
    redirectUri = p.redirect_uri;
  } else if (client.redirectUris.length === 1) {
    redirectUri = client.redirectUris[0]!;
  } else {
    throw new UntrustedRedirectError('invalid_request', 'The request has no return address and the application has several.');
  }
  const fragment = p.response_type === 'token';
  const fail = (code: OAuthError['code'], description: string) =>
    new RedirectableError(code, description, { redirectUri, state: p.state, fragment });

  if (p.response_type !== 'code' && p.response_type !== 'token') {
    throw fail(p.response_type ? 'unsupported_response_type' : 'invalid_request',
      p.response_type ? 'response_type must be code or token' : 'response_type is required');
  }
  try {
    ensureGrantAllowed(client, p.response_type === 'code' ? 'authorization_code' : 'implicit');
  } catch (error) {
    if (error instanceof OAuthError) throw fail(error.code, error.description);
    throw error;
  }
  if (p.code_challenge_method !== undefined && p.code_challenge_method !== 'S256') {
    throw fail('invalid_request', 'code_challenge_method must be S256');
  }
  if (p.code_challenge !== undefined && !PKCE_CHALLENGE.test(p.code_challenge)) {
    throw fail('invalid_request', 'code_challenge must be 43 base64url characters');
  }
  if (p.response_type === 'code' && p.code_challenge === undefined) {
    if (client.secretHash === null) throw fail('invalid_request', 'a public client must send a PKCE code_challenge (S256)');
    if (ctx.config.REQUIRE_PKCE) throw fail('invalid_request', 'this server requires a PKCE code_challenge (S256)');
  }
  const defined = await ctx.reads.listScopes();
  let names: string[];
  try {
    names = resolveScope({
      requested: p.scope,
      defined,
      allowed: client.allowedScopes,
      ignoreRequested: ctx.config.IGNORE_CLIENT_REQUESTED_SCOPE,
    });
  } catch (error) {
    if (error instanceof OAuthError) throw fail(error.code, error.description);
    throw error;
  }
  const byName = new Map(defined.map((s) => [s.name, s]));
  return {
    client,
    responseType: p.response_type,
    redirectUri,
    redirectUriProvided: p.redirect_uri !== undefined,
    scopes: names.map((n) => byName.get(n)!),
    state: p.state,
    codeChallenge: p.code_challenge,
  };
}

/** The scopes the user kept ticked, limited to those the request asked for. */
export function approvedScope(request: AuthorizationRequest, ticked: readonly string[]): string {
  const asked = new Set(request.scopes.map((s) => s.name));
  const kept = ticked.flatMap((t) => parseScope(t)).filter((n) => asked.has(n));
  if (kept.length === 0) throw new OAuthError('invalid_scope', 'no scope was allowed');
  return [...new Set(kept)].join(' ');
}

/** Issues an authorization code (RFC 6749 §4.1.2); only its hash is recorded. */
export async function issueCode(
  ctx: CommandContext,
  request: AuthorizationRequest,
  user: User,
  scope: string,
  meta: RequestMeta,
): Promise<string> {
  const code = randomToken();
  const codeHash = tokenDigest(code);
  const issued = event('CodeIssued', {
    codeHash,
    grantId: timeOrderedId(),
    clientId: request.client.clientId,
    userId: user.userId,
    username: user.username,
    redirectUri: request.redirectUri,
    redirectUriProvided: request.redirectUriProvided,
    scope,
    expiresAt: ctx.now() + ctx.config.AUTH_CODE_LIFETIME,
    ...(request.codeChallenge ? { codeChallenge: request.codeChallenge, codeChallengeMethod: 'S256' as const } : {}),
  });
  const actor = { clientId: request.client.clientId, userId: user.userId };
  await ctx.events.append(codeStream(codeHash), toNewEvents([issued], { ...meta, actor }), 'no_stream');
  return code;
}

/** RFC 6749 §4.2.2: an access token in the fragment, never a refresh token. */
export function issueImplicitToken(
  ctx: CommandContext,
  request: AuthorizationRequest,
  user: User,
  scope: string,
  meta: RequestMeta,
): Promise<TokenResponse> {
  return issueGrant(
    ctx,
    {
      grantType: 'implicit',
      clientId: request.client.clientId,
      userId: user.userId,
      username: user.username,
      scope,
      withRefreshToken: false,
    },
    { ...meta, actor: { clientId: request.client.clientId, userId: user.userId } },
  );
}
