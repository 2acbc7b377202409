import { z } from 'zod';

/**
 * Every event the server records, as zod schemas: events read back from a store are parsed with
 * these, so an old event that no longer fits fails loudly instead of projecting garbage.
 * Evolution rule: add a new event type or an optional field; never change a field's meaning.
 * Tokens and codes appear only as digests (security/tokens.ts: tokenDigest, SHA-256 based, 64 hex
 * digits); secrets only as scrypt hashes.
 */

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/);
/** Unix time in seconds, like the `exp` of a token. */
const unixSeconds = z.number().int().nonnegative();

export const GRANT_TYPES = [
  'authorization_code',
  'implicit',
  'password',
  'client_credentials',
  'refresh_token',
] as const;
export const GrantType = z.enum(GRANT_TYPES);
export type GrantType = z.infer<typeof GrantType>;

/** Grant types that a token is issued by (refresh continues a grant, it does not start one). */
export const IssuingGrantType = z.enum(['authorization_code', 'implicit', 'password', 'client_credentials']);
export type IssuingGrantType = z.infer<typeof IssuingGrantType>;

export const ClientRegistered = z.object({
  clientId: z.string().min(1),
  name: z.string(),
  /** null for a public client. */
  secretHash: z.string().nullable(),
  redirectUris: z.array(z.string()),
  grantTypes: z.array(GrantType),
  /** null: any defined scope. */
  allowedScopes: z.array(z.string()).nullable(),
  resourceServer: z.boolean(),
});

export const ClientSecretRotated = z.object({ clientId: z.string(), secretHash: z.string() });

export const UserRegistered = z.object({
  userId: z.string(),
  username: z.string(),
  passwordHash: z.string(),
});

/** Recorded on `username-<lowercased>` so that a name is claimed once, whatever the race. */
export const UsernameClaimed = z.object({ username: z.string(), userId: z.string() });

export const UserPasswordChanged = z.object({ userId: z.string(), passwordHash: z.string() });

export const ScopeDefined = z.object({
  name: z.string(),
  description: z.string(),
  isDefault: z.boolean(),
});

export const ScopeChanged = ScopeDefined;

export const CodeIssued = z.object({
  codeHash: sha256Hex,
  grantId: z.string(),
  clientId: z.string(),
  userId: z.string(),
  username: z.string(),
  /** Where the code was sent: the request's redirect_uri, or the client's only one. */
  redirectUri: z.string(),
  /** Whether the authorization request named redirect_uri (then the token request must too). */
  redirectUriProvided: z.boolean(),
  scope: z.string(),
  expiresAt: unixSeconds,
  codeChallenge: z.string().optional(),
  codeChallengeMethod: z.literal('S256').optional(),
});

export const CodeRedeemed = z.object({ codeHash: sha256Hex, grantId: z.string(), clientId: z.string() });

export const CodeReplayDetected = z.object({
  codeHash: sha256Hex,
  grantId: z.string(),
  clientId: z.string(),
});

export const TokenIssued = z.object({
  grantId: z.string(),
  grantType: IssuingGrantType,
  clientId: z.string(),
  userId: z.string().nullable(),
  username: z.string().nullable(),
  scope: z.string(),
  accessTokenHash: sha256Hex,
  accessExpiresAt: unixSeconds,
  refreshTokenHash: sha256Hex.nullable(),
  refreshExpiresAt: unixSeconds.nullable(),
  codeHash: sha256Hex.optional(),
});

export const TokenRefreshed = z.object({
  grantId: z.string(),
  clientId: z.string(),
  userId: z.string().nullable(),
  username: z.string().nullable(),
  scope: z.string(),
  previousRefreshTokenHash: sha256Hex,
  accessTokenHash: sha256Hex,
  accessExpiresAt: unixSeconds,
  refreshTokenHash: sha256Hex,
  refreshExpiresAt: unixSeconds,
  /**
   * Present while a reuse grace window is configured: when the rotation happened, and the new
   * token pair in a form only a holder of the previous refresh token can turn back into tokens,
   * so that a repeat of this refresh within the window answers the same pair: `v2.` a seed the
   * pair is derived from with that token as HMAC key, `v1.` the pair sealed (AES-256-GCM) under a
   * key derived from it (security/successor.ts). Not a usable token at rest.
   */
  successor: z.object({ rotatedAt: unixSeconds, sealed: z.string().min(1) }).optional(),
  /**
   * The scope the grant was first given (refreshes may narrow `scope`, never widen past this).
   * Present since 2026-11-29: with it, this event holds all of the family's state that a refresh
   * needs, so a load reads the stream back to the latest such event, not from its start
   * (domain/grant.ts: startsGrantState).
   */
  grantedScope: z.string().optional(),
});

/** A rotated refresh token was presented again (RFC 9700 §4.14): the whole grant is revoked. */
export const RefreshTokenReuseDetected = z.object({
  grantId: z.string(),
  clientId: z.string(),
  presentedRefreshTokenHash: sha256Hex,
});

/** A user allowed a client some scopes; later requests for the same or fewer skip the consent page. */
export const ConsentGranted = z.object({ userId: z.string(), clientId: z.string(), scope: z.string() });

/** The remembered consent is withdrawn: the next authorization asks again. */
export const ConsentRevoked = z.object({ userId: z.string(), clientId: z.string() });

export const RevocationReason = z.enum(['revocation_request', 'code_replay', 'refresh_token_reuse']);

/**
 * Without tokenHash the whole grant is revoked (every access and refresh token of it);
 * with it, only that access token.
 */
export const TokenRevoked = z.object({
  grantId: z.string(),
  clientId: z.string(),
  reason: RevocationReason,
  tokenHash: sha256Hex.optional(),
});

export const EventSchemas = {
  ClientRegistered,
  ClientSecretRotated,
  UserRegistered,
  UsernameClaimed,
  UserPasswordChanged,
  ScopeDefined,
  ScopeChanged,
  CodeIssued,
  CodeRedeemed,
  CodeReplayDetected,
  TokenIssued,
  TokenRefreshed,
  TokenRevoked,
  RefreshTokenReuseDetected,
  ConsentGranted,
  ConsentRevoked,
} as const;

export type EventType = keyof typeof EventSchemas;
export type EventData<T extends EventType> = z.infer<(typeof EventSchemas)[T]>;

/** A domain event: its type and its data, as deciders return them. */
export type DomainEvent = { [T in EventType]: { type: T; data: EventData<T> } }[EventType];

export function isEventType(type: string): type is EventType {
  return Object.hasOwn(EventSchemas, type);
}

/** Parse an event read back from storage; null for a type this version does not know. */
export function parseEvent(type: string, data: unknown): DomainEvent | null {
  if (!isEventType(type)) return null;
  const schema = EventSchemas[type];
  return { type, data: schema.parse(data) } as DomainEvent;
}

export function event<T extends EventType>(type: T, data: EventData<T>): DomainEvent {
  return { type, data } as DomainEvent;
}
