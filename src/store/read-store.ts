import type { GrantType } from '../domain/events.js';
import type { Position } from './event-store.js';

/**
 * The read-store port: the read models the HTTP layer and the bearer validator query, and the
 * operations projectors emit to keep them. Adapters: sqlite/ (embedded default), mongo/.
 */

export interface ClientView {
  clientId: string;
  name: string;
  secretHash: string | null;
  redirectUris: string[];
  grantTypes: GrantType[];
  allowedScopes: string[] | null;
  resourceServer: boolean;
}

export interface UserView {
  userId: string;
  username: string;
  passwordHash: string;
}

export interface ScopeView {
  name: string;
  description: string;
  isDefault: boolean;
}

export type TokenKind = 'access' | 'refresh';
/** rotated: a refresh token that was exchanged for a successor (kept to detect reuse). */
export type TokenStatus = 'active' | 'rotated' | 'revoked';

export interface TokenView {
  hash: string;
  kind: TokenKind;
  status: TokenStatus;
  grantId: string;
  clientId: string;
  userId: string | null;
  username: string | null;
  scope: string;
  issuedAt: number;
  expiresAt: number;
}

export interface CodeView {
  hash: string;
  grantId: string;
  clientId: string;
  userId: string;
  scope: string;
  expiresAt: number;
  redeemed: boolean;
}

/** What a projector asks a read store to do; each is idempotent. */
export type ReadOp =
  | { op: 'putClient'; client: ClientView }
  | { op: 'setClientSecret'; clientId: string; secretHash: string }
  | { op: 'putUser'; user: UserView }
  | { op: 'setUserPassword'; userId: string; passwordHash: string }
  | { op: 'putScope'; scope: ScopeView }
  | { op: 'putCode'; code: CodeView }
  | { op: 'markCodeRedeemed'; hash: string }
  | { op: 'putToken'; token: TokenView }
  | { op: 'setTokenStatus'; hash: string; status: TokenStatus }
  | { op: 'revokeGrant'; grantId: string };

export interface ReadStore {
  getClient(clientId: string): Promise<ClientView | null>;
  getUserByUsername(username: string): Promise<UserView | null>;
  listScopes(): Promise<ScopeView[]>;
  getToken(hash: string): Promise<TokenView | null>;
  getCode(hash: string): Promise<CodeView | null>;

  getCheckpoint(projection: string): Promise<Position | null>;
  /** Apply one projection's operations and move its checkpoint, as one unit where the store can. */
  commit(projection: string, ops: ReadOp[], checkpoint: Position): Promise<void>;
  close(): Promise<void>;
}
