import type { ClientView, CodeView, ScopeView, TokenView, UserView } from '../read-store.js';

/**
 * How each read model is stored: `_id` is its natural key and `pos` the position key (see
 * position-key.ts) of the last batch that wrote the document, which guards against older writes.
 */
interface Stored {
  _id: string;
  pos: string;
}

export type ClientDoc = Stored & Omit<ClientView, 'clientId'>;
/** usernameKey: the lowercased username, unique, for case-insensitive lookups. */
export type UserDoc = Stored & Omit<UserView, 'userId'> & { usernameKey: string };
export type ScopeDoc = Stored & Omit<ScopeView, 'name'>;
/** Documents written before decision 0015 lack grantRevision and grantedScope. */
export type TokenDoc = Stored &
  Omit<TokenView, 'hash' | 'grantRevision' | 'grantedScope'> &
  Partial<Pick<TokenView, 'grantRevision' | 'grantedScope'>>;
/** Documents written before decision 0015 lack issued. */
export type CodeDoc = Stored & Omit<CodeView, 'hash' | 'issued'> & Partial<Pick<CodeView, 'issued'>>;
/**
 * One document per projection (its `_id`): which generation is active, which are building or
 * retiring. One document, so a switch is one update; only a rebuild writes it.
 */
export interface GenerationsDoc {
  _id: string;
  active: number;
  building: number[];
  retiring: number[];
}

/**
 * The checkpoint of one generation (`_id`: `<projection>:<generation>`, position: formatPosition
 * text), apart from GenerationsDoc so that the projector and a rebuild never write one document
 * at once (FerretDB applies concurrent updates of one document as read-modify-write).
 */
export interface CheckpointDoc {
  _id: string;
  position: string;
}

export const clientFromDoc = (d: ClientDoc): ClientView => ({
  clientId: d._id,
  name: d.name,
  secretHash: d.secretHash,
  redirectUris: d.redirectUris,
  grantTypes: d.grantTypes,
  allowedScopes: d.allowedScopes,
  resourceServer: d.resourceServer,
});

export const userFromDoc = (d: UserDoc): UserView => ({
  userId: d._id,
  username: d.username,
  passwordHash: d.passwordHash,
});

export const scopeFromDoc = (d: ScopeDoc): ScopeView => ({
  name: d._id,
  description: d.description,
  isDefault: d.isDefault,
});

/**
 * A token row as its document holds it: without grantRevision and grantedScope when both are null
 * (every access token), which tokenFromDoc reads back as null. Documents stay the size they were
 * before decision 0015 for all but refresh tokens.
 */
export function tokenDocument(token: TokenView): { hash: string; fields: Omit<TokenDoc, '_id' | 'pos'> } {
  const { hash, grantRevision, grantedScope, ...rest } = token;
  return { hash, fields: grantRevision === null && grantedScope === null ? rest : { ...rest, grantRevision, grantedScope } };
}

export const tokenFromDoc = (d: TokenDoc): TokenView => ({
  hash: d._id,
  kind: d.kind,
  status: d.status,
  grantId: d.grantId,
  clientId: d.clientId,
  userId: d.userId,
  username: d.username,
  scope: d.scope,
  issuedAt: d.issuedAt,
  expiresAt: d.expiresAt,
  grantRevision: d.grantRevision ?? null,
  grantedScope: d.grantedScope ?? null,
});

export const codeFromDoc = (d: CodeDoc): CodeView => ({
  hash: d._id,
  grantId: d.grantId,
  clientId: d.clientId,
  userId: d.userId,
  scope: d.scope,
  expiresAt: d.expiresAt,
  issued: d.issued ?? null,
});
