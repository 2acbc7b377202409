import { z } from 'zod';
import type { ActiveToken, TokenValidation, ValidateToken } from './bearer.js';
import { TokenCache } from './cache.js';

export interface IntrospectionValidatorOptions {
  /** The authorization server's URL (its ISSUER); the endpoint is `{issuer}/api/v1/introspect`. */
  issuer: string;
  /** The resource service's own client credentials; a client with `--resource-server` may see any token. */
  clientId: string;
  clientSecret: string;
  /** Seconds an active answer may be reused (default 30; 0: ask every time). Never past the token's exp. */
  cacheTtlSeconds?: number;
  /** Default 10,000; the oldest entry is dropped to make room. */
  maxCacheEntries?: number;
  /** Milliseconds to wait for the answer (default 5,000). */
  timeoutMs?: number;
  /** Milliseconds since the epoch (tests). */
  now?: () => number;
  /** The fetch to use (default: Node's global fetch). */
  fetch?: typeof fetch;
}

export type IntrospectionValidator = ValidateToken & { readonly cache: TokenCache<ActiveToken> };

/** The introspection endpoint did not give a usable answer: the token's state is unknown. */
export class IntrospectionUnavailableError extends Error {
  override readonly name = 'IntrospectionUnavailableError';
}

/** RFC 7662 §2.2, as our server answers it. */
const Answer = z.discriminatedUnion('active', [
  z.object({ active: z.literal(false) }),
  z.object({
    active: z.literal(true),
    scope: z.string(),
    client_id: z.string(),
    username: z.string().optional(),
    sub: z.string(),
    exp: z.number(),
    token_type: z.string().optional(),
  }),
]);

/** RFC 6749 §2.3.1: id and secret are form-urlencoded before they are joined and base64-encoded. */
function formEncode(value: string): string {
  return new URLSearchParams([['', value]]).toString().slice(1);
}

export function basicAuthorization(clientId: string, clientSecret: string): string {
  return `Basic ${Buffer.from(`${formEncode(clientId)}:${formEncode(clientSecret)}`).toString('base64')}`;
}

/**
 * Validates bearer tokens by asking the authorization server (RFC 7662). Active answers are
 * cached briefly; inactive answers and failures never are. A failure (network, non-200, an
 * answer that is not the expected JSON) throws IntrospectionUnavailableError.
 */
export function introspectionValidator(options: IntrospectionValidatorOptions): IntrospectionValidator {
  const endpoint = `${options.issuer.replace(/\/+$/, '')}/api/v1/introspect`;
  const authorization = basicAuthorization(options.clientId, options.clientSecret);
  const now = options.now ?? Date.now;
  const doFetch = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? 5_000;
  const cache = new TokenCache<ActiveToken>({
    ttlSeconds: options.cacheTtlSeconds ?? 30,
    maxEntries: options.maxCacheEntries ?? 10_000,
    now,
  });

  async function ask(token: string): Promise<unknown> {
    let res: Response;
    try {
      res = await doFetch(endpoint, {
        method: 'POST',
        headers: {
          authorization,
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
        },
        body: new URLSearchParams({ token, token_type_hint: 'access_token' }).toString(),
        redirect: 'error',
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      throw new IntrospectionUnavailableError(`introspection request failed: ${(error as Error).message}`, { cause: error });
    }
    // Always read the body to its end, so the connection goes back to the pool.
    let text: string;
    try {
      text = await res.text();
    } catch (error) {
      throw new IntrospectionUnavailableError('introspection answer could not be read', { cause: error });
    }
    if (res.status !== 200) throw new IntrospectionUnavailableError(`introspection answered HTTP ${res.status}`);
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new IntrospectionUnavailableError('introspection answered something that is not JSON');
    }
  }

  async function validate(token: string): Promise<TokenValidation> {
    const cached = cache.get(token);
    if (cached) return cached;
    const parsed = Answer.safeParse(await ask(token));
    if (!parsed.success) throw new IntrospectionUnavailableError('introspection answer is not an RFC 7662 answer');
    const answer = parsed.data;
    // A refresh token is active too, but it is not a bearer token for resources.
    if (!answer.active || (answer.token_type !== undefined && answer.token_type.toLowerCase() !== 'bearer')) {
      return { active: false };
    }
    if (now() >= answer.exp * 1000) return { active: false };
    const result: ActiveToken = Object.freeze({
      active: true,
      scope: answer.scope,
      clientId: answer.client_id,
      ...(answer.username !== undefined ? { username: answer.username } : {}),
      sub: answer.sub,
      exp: answer.exp,
    } as const);
    cache.put(token, result);
    return result;
  }

  return Object.assign(validate, { cache });
}
