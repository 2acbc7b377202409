import type { Db } from './database.js';
import { formatPosition, parsePosition, type Position } from '../event-store.js';
import type {
  ClientView,
  CodeView,
  ReadOp,
  ReadStore,
  ScopeView,
  TokenStatus,
  TokenView,
  UserView,
} from '../read-store.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS rm_clients (
  client_id TEXT PRIMARY KEY, name TEXT NOT NULL, secret_hash TEXT, redirect_uris TEXT NOT NULL,
  grant_types TEXT NOT NULL, allowed_scopes TEXT, resource_server INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS rm_users (
  user_id TEXT PRIMARY KEY, username TEXT NOT NULL, username_key TEXT NOT NULL UNIQUE,
  password_hash TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS rm_scopes (
  name TEXT PRIMARY KEY, description TEXT NOT NULL, is_default INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS rm_codes (
  hash TEXT PRIMARY KEY, grant_id TEXT NOT NULL, client_id TEXT NOT NULL, user_id TEXT NOT NULL,
  scope TEXT NOT NULL, expires_at INTEGER NOT NULL, redeemed INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS rm_tokens (
  hash TEXT PRIMARY KEY, kind TEXT NOT NULL, status TEXT NOT NULL, grant_id TEXT NOT NULL,
  client_id TEXT NOT NULL, user_id TEXT, username TEXT, scope TEXT NOT NULL,
  issued_at INTEGER NOT NULL, expires_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS rm_tokens_grant ON rm_tokens (grant_id);
CREATE TABLE IF NOT EXISTS rm_checkpoints (projection TEXT PRIMARY KEY, position TEXT NOT NULL);
`;

interface ClientRow {
  client_id: string;
  name: string;
  secret_hash: string | null;
  redirect_uris: string;
  grant_types: string;
  allowed_scopes: string | null;
  resource_server: number;
}
interface TokenRow {
  hash: string;
  kind: TokenView['kind'];
  status: TokenStatus;
  grant_id: string;
  client_id: string;
  user_id: string | null;
  username: string | null;
  scope: string;
  issued_at: number;
  expires_at: number;
}
interface CodeRow {
  hash: string;
  grant_id: string;
  client_id: string;
  user_id: string;
  scope: string;
  expires_at: number;
  redeemed: number;
}

const clientFromRow = (r: ClientRow): ClientView => ({
  clientId: r.client_id,
  name: r.name,
  secretHash: r.secret_hash,
  redirectUris: JSON.parse(r.redirect_uris) as string[],
  grantTypes: JSON.parse(r.grant_types) as ClientView['grantTypes'],
  allowedScopes: r.allowed_scopes === null ? null : (JSON.parse(r.allowed_scopes) as string[]),
  resourceServer: r.resource_server === 1,
});

const tokenFromRow = (r: TokenRow): TokenView => ({
  hash: r.hash,
  kind: r.kind,
  status: r.status,
  grantId: r.grant_id,
  clientId: r.client_id,
  userId: r.user_id,
  username: r.username,
  scope: r.scope,
  issuedAt: r.issued_at,
  expiresAt: r.expires_at,
});

/** Read models in the same SQLite file as the events; a batch and its checkpoint commit together. */
export class SqliteReadStore implements ReadStore {
  private readonly q;

  constructor(private readonly db: Db) {
    db.exec(SCHEMA);
    this.q = {
      client: db.prepare<[string], ClientRow>('SELECT * FROM rm_clients WHERE client_id = ?'),
      user: db.prepare<[string], { user_id: string; username: string; password_hash: string }>(
        'SELECT user_id, username, password_hash FROM rm_users WHERE username_key = ?',
      ),
      scopes: db.prepare<[], { name: string; description: string; is_default: number }>(
        'SELECT * FROM rm_scopes ORDER BY name',
      ),
      token: db.prepare<[string], TokenRow>('SELECT * FROM rm_tokens WHERE hash = ?'),
      code: db.prepare<[string], CodeRow>('SELECT * FROM rm_codes WHERE hash = ?'),
      checkpoint: db.prepare<[string], { position: string }>(
        'SELECT position FROM rm_checkpoints WHERE projection = ?',
      ),
      setCheckpoint: db.prepare(
        'INSERT INTO rm_checkpoints (projection, position) VALUES (?, ?) ON CONFLICT (projection) DO UPDATE SET position = excluded.position',
      ),
      putClient: db.prepare(
        `INSERT OR REPLACE INTO rm_clients VALUES (@clientId, @name, @secretHash, @redirectUris, @grantTypes, @allowedScopes, @resourceServer)`,
      ),
      setClientSecret: db.prepare('UPDATE rm_clients SET secret_hash = ? WHERE client_id = ?'),
      putUser: db.prepare('INSERT OR REPLACE INTO rm_users VALUES (?, ?, ?, ?)'),
      setUserPassword: db.prepare('UPDATE rm_users SET password_hash = ? WHERE user_id = ?'),
      putScope: db.prepare('INSERT OR REPLACE INTO rm_scopes VALUES (?, ?, ?)'),
      // Codes and tokens never change after issue but for their status: a replay keeps that status.
      putCode: db.prepare('INSERT INTO rm_codes VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (hash) DO NOTHING'),
      markCodeRedeemed: db.prepare('UPDATE rm_codes SET redeemed = 1 WHERE hash = ?'),
      putToken: db.prepare(
        `INSERT INTO rm_tokens VALUES (@hash, @kind, @status, @grantId, @clientId, @userId, @username, @scope, @issuedAt, @expiresAt) ON CONFLICT (hash) DO NOTHING`,
      ),
      setTokenStatus: db.prepare(
        // A revocation is final: a replayed rotation must not bring a revoked token back.
        "UPDATE rm_tokens SET status = ? WHERE hash = ? AND status <> 'revoked'",
      ),
      revokeGrant: db.prepare("UPDATE rm_tokens SET status = 'revoked' WHERE grant_id = ?"),
    };
  }

  async getClient(clientId: string): Promise<ClientView | null> {
    const row = this.q.client.get(clientId);
    return row ? clientFromRow(row) : null;
  }

  async getUserByUsername(username: string): Promise<UserView | null> {
    const row = this.q.user.get(username.toLowerCase());
    return row ? { userId: row.user_id, username: row.username, passwordHash: row.password_hash } : null;
  }

  async listScopes(): Promise<ScopeView[]> {
    return this.q.scopes
      .all()
      .map((r) => ({ name: r.name, description: r.description, isDefault: r.is_default === 1 }));
  }

  async getToken(hash: string): Promise<TokenView | null> {
    const row = this.q.token.get(hash);
    return row ? tokenFromRow(row) : null;
  }

  async getCode(hash: string): Promise<CodeView | null> {
    const r = this.q.code.get(hash);
    if (!r) return null;
    return {
      hash: r.hash,
      grantId: r.grant_id,
      clientId: r.client_id,
      userId: r.user_id,
      scope: r.scope,
      expiresAt: r.expires_at,
      redeemed: r.redeemed === 1,
    };
  }

  async getCheckpoint(projection: string): Promise<Position | null> {
    const row = this.q.checkpoint.get(projection);
    return row ? parsePosition(row.position) : null;
  }

  async commit(projection: string, ops: ReadOp[], checkpoint: Position): Promise<void> {
    this.db.transaction(() => {
      for (const op of ops) this.apply(op);
      this.q.setCheckpoint.run(projection, formatPosition(checkpoint));
    })();
  }

  private apply(op: ReadOp): void {
    switch (op.op) {
      case 'putClient': {
        const c = op.client;
        this.q.putClient.run({
          clientId: c.clientId,
          name: c.name,
          secretHash: c.secretHash,
          redirectUris: JSON.stringify(c.redirectUris),
          grantTypes: JSON.stringify(c.grantTypes),
          allowedScopes: c.allowedScopes === null ? null : JSON.stringify(c.allowedScopes),
          resourceServer: c.resourceServer ? 1 : 0,
        });
        return;
      }
      case 'setClientSecret':
        this.q.setClientSecret.run(op.secretHash, op.clientId);
        return;
      case 'putUser':
        this.q.putUser.run(op.user.userId, op.user.username, op.user.username.toLowerCase(), op.user.passwordHash);
        return;
      case 'setUserPassword':
        this.q.setUserPassword.run(op.passwordHash, op.userId);
        return;
      case 'putScope':
        this.q.putScope.run(op.scope.name, op.scope.description, op.scope.isDefault ? 1 : 0);
        return;
      case 'putCode': {
        const c = op.code;
        this.q.putCode.run(c.hash, c.grantId, c.clientId, c.userId, c.scope, c.expiresAt, c.redeemed ? 1 : 0);
        return;
      }
      case 'markCodeRedeemed':
        this.q.markCodeRedeemed.run(op.hash);
        return;
      case 'putToken':
        this.q.putToken.run(op.token);
        return;
      case 'setTokenStatus':
        this.q.setTokenStatus.run(op.status, op.hash);
        return;
      case 'revokeGrant':
        this.q.revokeGrant.run(op.grantId);
        return;
    }
  }

  async close(): Promise<void> {}
}
