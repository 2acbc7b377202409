import type { Db } from './database.js';
import type { ProjectionName, ReadOp, ScopeView } from '../read-store.js';

/** The table(s) of one generation of one projection, and the statements that read and write them. */
export function tableName(projection: ProjectionName, generation: number): string {
  return `rm_${projection}_g${generation}`;
}

/** Columns added by decision 0015 (name, type), which upgradeTables adds to the tables of older files. */
const COLUMNS_SINCE_0015: Partial<Record<ProjectionName, ReadonlyArray<readonly [name: string, type: string]>>> = {
  tokens: [['grant_revision', 'INTEGER'], ['granted_scope', 'TEXT']],
  codes: [['username', 'TEXT'], ['redirect_uri', 'TEXT'], ['redirect_uri_provided', 'INTEGER'], ['code_challenge', 'TEXT']],
};
const since0015 = (projection: ProjectionName): string =>
  (COLUMNS_SINCE_0015[projection] ?? []).map(([name, type]) => `${name} ${type}`).join(', ');

// Tokens and codes are keyed by a random hash: WITHOUT ROWID keeps one B-tree per table, not two.
const DDL: Record<ProjectionName, (t: string) => string> = {
  clients: (t) => `CREATE TABLE IF NOT EXISTS ${t} (
    client_id TEXT PRIMARY KEY, name TEXT NOT NULL, secret_hash TEXT, redirect_uris TEXT NOT NULL,
    grant_types TEXT NOT NULL, allowed_scopes TEXT, resource_server INTEGER NOT NULL)`,
  users: (t) => `CREATE TABLE IF NOT EXISTS ${t} (
    user_id TEXT PRIMARY KEY, username TEXT NOT NULL, username_key TEXT NOT NULL UNIQUE, password_hash TEXT NOT NULL)`,
  scopes: (t) => `CREATE TABLE IF NOT EXISTS ${t} (name TEXT PRIMARY KEY, description TEXT NOT NULL, is_default INTEGER NOT NULL)`,
  codes: (t) => `CREATE TABLE IF NOT EXISTS ${t} (
    hash TEXT PRIMARY KEY, grant_id TEXT NOT NULL, client_id TEXT NOT NULL, user_id TEXT NOT NULL,
    scope TEXT NOT NULL, expires_at INTEGER NOT NULL, ${since0015('codes')}) WITHOUT ROWID`,
  tokens: (t) => `CREATE TABLE IF NOT EXISTS ${t} (
    hash TEXT PRIMARY KEY, kind TEXT NOT NULL, status TEXT NOT NULL, grant_id TEXT NOT NULL,
    client_id TEXT NOT NULL, user_id TEXT, username TEXT, scope TEXT NOT NULL,
    issued_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, ${since0015('tokens')}) WITHOUT ROWID;
    ${REVOKED_GRANTS_DDL(t)}`,
};

/**
 * The grants revoked as a whole (decision 0017): their token rows stay, and every read of the
 * tokens leaves out those of a grant listed here. Deleting them needed an index on grant_id, and
 * each refresh then wrote its family's entry there, on whichever page that family began: a
 * random page per refresh. `prune_after` is when no token of the grant can still be live: set by
 * the first prune after the revocation (the latest expiry of any row then), NULL until then.
 */
const revokedGrants = (t: string) => `${t}_revoked`;
const REVOKED_GRANTS_DDL = (t: string) =>
  `CREATE TABLE IF NOT EXISTS ${revokedGrants(t)} (grant_id TEXT PRIMARY KEY, prune_after INTEGER) WITHOUT ROWID`;
/** Leaves out the rows of revoked grants; `t` is the tokens table, aliased `t` in the query. */
export const NOT_REVOKED = (t: string) => `NOT EXISTS (SELECT 1 FROM ${revokedGrants(t)} r WHERE r.grant_id = t.grant_id)`;

/**
 * Secondary indexes: a rebuild creates them once its rows are in (one sorted build instead of a
 * random insert per row), before the generation goes live.
 */
const INDEXES: Partial<Record<ProjectionName, (t: string) => string>> = {
  codes: (t) => `CREATE INDEX IF NOT EXISTS ${t}_expiry ON ${t} (expires_at)`,
  tokens: (t) => `CREATE INDEX IF NOT EXISTS ${t}_expiry ON ${t} (expires_at)`,
};

const KEY: Record<ProjectionName, string> = {
  clients: 'client_id',
  users: 'user_id',
  scopes: 'name',
  codes: 'hash',
  tokens: 'hash',
};

export function createTables(db: Db, projection: ProjectionName, generation: number, { indexes = true } = {}): void {
  db.exec(DDL[projection](tableName(projection, generation)));
  if (indexes) createIndexes(db, projection, generation);
}

export function createIndexes(db: Db, projection: ProjectionName, generation: number): void {
  const ddl = INDEXES[projection];
  if (ddl) db.exec(ddl(tableName(projection, generation)));
}

/**
 * Adds the columns a table of this version has to one an earlier version created. ALTER TABLE ADD
 * COLUMN changes only the schema, not the rows (they read the new columns as NULL).
 */
export function upgradeTables(db: Db, projection: ProjectionName, generation: number): void {
  const added = COLUMNS_SINCE_0015[projection];
  if (!added) return;
  const t = tableName(projection, generation);
  const columns = new Set(db.prepare<[], { name: string }>(`SELECT name FROM pragma_table_info('${t}')`).all().map((c) => c.name));
  if (columns.size === 0) return;
  for (const [name, type] of added) {
    if (!columns.has(name)) db.exec(`ALTER TABLE ${t} ADD COLUMN ${name} ${type}`);
  }
  // Decision 0017: grants revoked from now on are listed, not deleted row by row (those revoked
  // before were deleted), and no index on grant_id is kept up.
  if (projection === 'tokens') db.exec(`${REVOKED_GRANTS_DDL(t)}; DROP INDEX IF EXISTS ${t}_grant`);
}

export function dropTables(db: Db, projection: ProjectionName, generation: number): void {
  const t = tableName(projection, generation);
  db.exec(`DROP TABLE IF EXISTS ${t}`);
  if (projection === 'tokens') db.exec(`DROP TABLE IF EXISTS ${revokedGrants(t)}`);
}

export interface TableStatements {
  apply(op: ReadOp): void;
  dump(): Record<string, unknown>[];
  /** Deletes rows that expired before `now`; 0 for tables without expiry. */
  prune(now: number): number;
}

/** Prepares one generation's statements; an op for another projection is a programming error. */
export function prepareTable(db: Db, projection: ProjectionName, generation: number): TableStatements {
  const t = tableName(projection, generation);
  const dump = db.prepare<[], Record<string, unknown>>(`SELECT * FROM ${t} ORDER BY ${KEY[projection]}`);
  const noPrune = () => 0;
  switch (projection) {
    case 'clients': {
      const put = db.prepare(`INSERT OR REPLACE INTO ${t} VALUES (?, ?, ?, ?, ?, ?, ?)`);
      const secret = db.prepare(`UPDATE ${t} SET secret_hash = ? WHERE client_id = ?`);
      return {
        apply(op) {
          if (op.op === 'putClient') {
            const c = op.client;
            put.run(c.clientId, c.name, c.secretHash, JSON.stringify(c.redirectUris), JSON.stringify(c.grantTypes),
              c.allowedScopes === null ? null : JSON.stringify(c.allowedScopes), c.resourceServer ? 1 : 0);
          } else if (op.op === 'setClientSecret') secret.run(op.secretHash, op.clientId);
          else throw new Error(`${op.op} is not a clients operation`);
        },
        dump: () => dump.all(),
        prune: noPrune,
      };
    }
    case 'users': {
      const put = db.prepare(`INSERT OR REPLACE INTO ${t} VALUES (?, ?, ?, ?)`);
      const password = db.prepare(`UPDATE ${t} SET password_hash = ? WHERE user_id = ?`);
      return {
        apply(op) {
          if (op.op === 'putUser') put.run(op.user.userId, op.user.username, op.user.username.toLowerCase(), op.user.passwordHash);
          else if (op.op === 'setUserPassword') password.run(op.passwordHash, op.userId);
          else throw new Error(`${op.op} is not a users operation`);
        },
        dump: () => dump.all(),
        prune: noPrune,
      };
    }
    case 'scopes': {
      const put = db.prepare(`INSERT OR REPLACE INTO ${t} VALUES (?, ?, ?)`);
      return {
        apply(op) {
          if (op.op !== 'putScope') throw new Error(`${op.op} is not a scopes operation`);
          const s: ScopeView = op.scope;
          put.run(s.name, s.description, s.isDefault ? 1 : 0);
        },
        dump: () => dump.all(),
        prune: noPrune,
      };
    }
    case 'codes': {
      // A code never changes after issue: a replayed put keeps the first.
      const put = db.prepare(`INSERT INTO ${t} (hash, grant_id, client_id, user_id, scope, expires_at, username, redirect_uri,
        redirect_uri_provided, code_challenge) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (hash) DO NOTHING`);
      const del = db.prepare(`DELETE FROM ${t} WHERE hash = ?`);
      const prune = db.prepare<[number]>(`DELETE FROM ${t} WHERE expires_at <= ?`);
      return {
        apply(op) {
          if (op.op === 'putCode') {
            const c = op.code;
            const i = c.issued;
            put.run(c.hash, c.grantId, c.clientId, c.userId, c.scope, c.expiresAt, i?.username ?? null, i?.redirectUri ?? null,
              i === null ? null : i.redirectUriProvided ? 1 : 0, i?.codeChallenge ?? null);
          } else if (op.op === 'deleteCode') del.run(op.hash);
          else throw new Error(`${op.op} is not a codes operation`);
        },
        dump: () => dump.all(),
        prune: (now) => prune.run(now).changes,
      };
    }
    case 'tokens': {
      const put = db.prepare(`INSERT INTO ${t} (hash, kind, status, grant_id, client_id, user_id, username, scope,
        issued_at, expires_at, grant_revision, granted_scope) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (hash) DO NOTHING`);
      const del = db.prepare(`DELETE FROM ${t} WHERE hash = ?`);
      const r = revokedGrants(t);
      const revokeGrant = db.prepare(`INSERT INTO ${r} (grant_id, prune_after) VALUES (?, NULL) ON CONFLICT (grant_id) DO NOTHING`);
      const prune = db.prepare<[number]>(`DELETE FROM ${t} WHERE expires_at <= ?`);
      // After the expired rows are gone: a grant's rows all exist once it is revoked (none is
      // issued after), so none outlives the latest expiry in the table now (0 if it is empty).
      const setPruneAfter = db.prepare(`UPDATE ${r} SET prune_after = coalesce((SELECT max(expires_at) FROM ${t}), 0) WHERE prune_after IS NULL`);
      const pruneRevoked = db.prepare<[number]>(`DELETE FROM ${r} WHERE prune_after <= ?`);
      // What a reader sees: the rows of revoked grants are not part of the model.
      const visible = db.prepare<[], Record<string, unknown>>(`SELECT * FROM ${t} t WHERE ${NOT_REVOKED(t)} ORDER BY hash`);
      return {
        apply(op) {
          if (op.op === 'putToken') {
            // Positional parameters: binding by name costs a lookup per column on every token.
            const k = op.token;
            put.run(k.hash, k.kind, k.status, k.grantId, k.clientId, k.userId, k.username, k.scope, k.issuedAt, k.expiresAt,
              k.grantRevision, k.grantedScope);
          }
          else if (op.op === 'deleteToken') del.run(op.hash);
          else if (op.op === 'revokeGrant') revokeGrant.run(op.grantId);
          else throw new Error(`${op.op} is not a tokens operation`);
        },
        dump: () => visible.all(),
        prune: (now) => {
          const pruned = prune.run(now).changes;
          pruneRevoked.run(now);
          setPruneAfter.run();
          return pruned;
        },
      };
    }
  }
}
