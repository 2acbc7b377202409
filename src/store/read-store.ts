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
/**
 * A revoked token leaves the read model: the log holds its history. A refresh token exchanged for
 * a successor stays, as it was, until it expires, so that its reuse can be detected; whether it is
 * still current is its grant stream's to say (decision 0014). `rotated` marks such a token in rows
 * written before 2026-11-30, when each rotation rewrote the rotated token's row.
 */
export type TokenStatus = 'active' | 'rotated';

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
  /**
   * On a refresh token's row, the revision of the grant stream's event that issued it, and the
   * scope its family was granted: when that event carries the family's whole identity (an
   * issuance, or a rotation since 2026-11-29), the row then tells what the family's state was right
   * after it, and a refresh presumes that state instead of reading the stream (decision 0015).
   * Null on access tokens, and on rows that cannot tell it (written before 2026-11-30).
   */
  grantRevision: number | null;
  grantedScope: string | null;
}

/** A code not yet redeemed. */
export interface CodeView {
  hash: string;
  grantId: string;
  clientId: string;
  userId: string;
  scope: string;
  expiresAt: number;
  /**
   * The rest of what CodeIssued recorded, so that an exchange can decide on the row (decision
   * 0015). Null in rows written before 2026-11-30.
   */
  issued: CodeIssuedRest | null;
}

export interface CodeIssuedRest {
  username: string;
  redirectUri: string;
  redirectUriProvided: boolean;
  /** The S256 challenge, if the authorization request sent one (S256 is the only method taken). */
  codeChallenge: string | null;
}

/** What a projector asks a read store to do; each is idempotent. */
export type ReadOp =
  | { op: 'putClient'; client: ClientView }
  | { op: 'setClientSecret'; clientId: string; secretHash: string }
  | { op: 'putUser'; user: UserView }
  | { op: 'setUserPassword'; userId: string; passwordHash: string }
  | { op: 'putScope'; scope: ScopeView }
  | { op: 'putCode'; code: CodeView }
  /** A redeemed code is history: it leaves the read model. */
  | { op: 'deleteCode'; hash: string }
  | { op: 'putToken'; token: TokenView }
  | { op: 'deleteToken'; hash: string }
  /** Every token of the grant leaves the read model. */
  | { op: 'revokeGrant'; grantId: string };

/** The read models, each kept by one projector and rebuilt on its own. */
export const PROJECTION_NAMES = ['clients', 'users', 'scopes', 'codes', 'tokens'] as const;
export type ProjectionName = (typeof PROJECTION_NAMES)[number];

/**
 * A projection's read model lives in numbered generations. Readers use the active one; a rebuild
 * fills a new one (building) and then makes it active, and the old one is retiring (still kept
 * up to date, for readers that have not switched yet) until it is dropped.
 */
export type GenerationStatus = 'building' | 'active' | 'retiring';

export interface GenerationInfo {
  projection: ProjectionName;
  generation: number;
  status: GenerationStatus;
  checkpoint: Position | null;
}

/** The operations one event produced, with its position: a generation skips what it already has. */
export interface PositionedOps {
  position: Position;
  ops: ReadOp[];
}

export interface CatchUp {
  entries: PositionedOps[];
  checkpoint: Position | null;
}

export interface ReadStore {
  getClient(clientId: string): Promise<ClientView | null>;
  getUserByUsername(username: string): Promise<UserView | null>;
  listScopes(): Promise<ScopeView[]>;
  getToken(hash: string): Promise<TokenView | null>;
  getCode(hash: string): Promise<CodeView | null>;

  /** Every generation of every projection, with its checkpoint, as stored now. */
  generations(): Promise<GenerationInfo[]>;
  /** The checkpoint of the projection's active generation. */
  getCheckpoint(projection: ProjectionName): Promise<Position | null>;
  /**
   * Live projection: applies the entries to the projection's active and retiring generations,
   * each skipping entries at or before its own checkpoint, and moves them to `checkpoint`.
   * Returns the generations whose checkpoint was behind `previous` (they missed events and must
   * be caught up with commitTo).
   */
  commit(
    projection: ProjectionName,
    entries: PositionedOps[],
    checkpoint: Position,
    previous: Position | null,
  ): Promise<GenerationInfo[]>;
  /** Applies entries to one generation only (a rebuild, or a catch-up). */
  commitTo(projection: ProjectionName, generation: number, entries: PositionedOps[], checkpoint: Position): Promise<void>;
  /** A new, empty generation in status building; leftovers of an interrupted rebuild are dropped first. */
  createGeneration(projection: ProjectionName): Promise<number>;
  /**
   * Makes a building generation active and the active one retiring. `finalCatchUp` gives the
   * events after the generation's checkpoint; where the store can, it is applied in the same
   * transaction as the switch, so no append falls between them.
   */
  activate(
    projection: ProjectionName,
    generation: number,
    finalCatchUp: (from: Position | null) => Promise<CatchUp>,
  ): Promise<void>;
  dropGeneration(projection: ProjectionName, generation: number): Promise<void>;
  /** Removes expired tokens and codes from every generation (the read models hold live state only). */
  pruneExpired(now: number): Promise<number>;
  /** Every row of a generation (default: the active one), sorted by key: to compare read models. */
  dump(projection: ProjectionName, generation?: number): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

export function opProjection(op: ReadOp): ProjectionName {
  switch (op.op) {
    case 'putClient':
    case 'setClientSecret':
      return 'clients';
    case 'putUser':
    case 'setUserPassword':
      return 'users';
    case 'putScope':
      return 'scopes';
    case 'putCode':
    case 'deleteCode':
      return 'codes';
    default:
      return 'tokens';
  }
}
