import type { Statement } from 'better-sqlite3';
import type { Db } from './database.js';
import { comparePositions, formatPosition, parsePosition, type Position } from '../event-store.js';
import {
  type CatchUp,
  type ClientView,
  type CodeView,
  type GenerationInfo,
  type GenerationStatus,
  PROJECTION_NAMES,
  type PositionedOps,
  type ProjectionName,
  type ReadStore,
  type ScopeView,
  type TokenView,
  type UserView,
} from '../read-store.js';
import { TokenCache } from './token-cache.js';
import {
  createIndexes,
  createTables,
  dropTables,
  NOT_REVOKED,
  prepareTable,
  type TableStatements,
  tableName,
  upgradeTables,
} from './read-tables.js';

interface GenerationRow {
  projection: ProjectionName;
  generation: number;
  status: GenerationStatus;
  checkpoint: string | null;
}

/** How long a process keeps its view of the active generations before asking again. */
const VIEW_TTL_MS = 500;

const toInfo = (r: GenerationRow): GenerationInfo => ({
  projection: r.projection,
  generation: r.generation,
  status: r.status,
  checkpoint: r.checkpoint === null ? null : parsePosition(r.checkpoint),
});

/**
 * Read models in the same SQLite file as the events, on their own connection. Each projection's
 * rows live in numbered generations (tables rm_<projection>_g<N>); rm_generations says which is
 * active and holds each one's checkpoint, committed in the same transaction as its rows.
 */
export class SqliteReadStore implements ReadStore {
  private readonly tables = new Map<string, TableStatements>();
  private readonly queries = new Map<string, Statement>();
  private view = new Map<ProjectionName, number>();
  private viewAt = 0;
  private readonly q;
  private readonly tokenCache: TokenCache;

  constructor(private readonly db: Db) {
    this.tokenCache = new TokenCache(db);
    db.exec(`CREATE TABLE IF NOT EXISTS rm_generations (
      projection TEXT NOT NULL, generation INTEGER NOT NULL, status TEXT NOT NULL, checkpoint TEXT,
      PRIMARY KEY (projection, generation))`);
    this.q = {
      all: db.prepare<[], GenerationRow>('SELECT * FROM rm_generations ORDER BY projection, generation'),
      ofProjection: db.prepare<[string], GenerationRow>('SELECT * FROM rm_generations WHERE projection = ? ORDER BY generation'),
      insert: db.prepare('INSERT INTO rm_generations (projection, generation, status, checkpoint) VALUES (?, ?, ?, NULL)'),
      setStatus: db.prepare('UPDATE rm_generations SET status = ? WHERE projection = ? AND generation = ?'),
      setCheckpoint: db.prepare('UPDATE rm_generations SET checkpoint = ? WHERE projection = ? AND generation = ?'),
      remove: db.prepare('DELETE FROM rm_generations WHERE projection = ? AND generation = ?'),
    };
    db.transaction(() => {
      for (const p of PROJECTION_NAMES) {
        const generations = this.q.ofProjection.all(p);
        for (const g of generations) upgradeTables(db, p, g.generation);
        if (generations.length === 0) {
          createTables(db, p, 1);
          this.q.insert.run(p, 1, 'active');
        }
      }
    }).immediate();
  }

  // ---- queries, on the active generation of this process's view ----

  private active(projection: ProjectionName): number {
    if (Date.now() - this.viewAt > VIEW_TTL_MS) {
      this.view = new Map(this.q.all.all().filter((r) => r.status === 'active').map((r) => [r.projection, r.generation]));
      this.viewAt = Date.now();
    }
    return this.view.get(projection) ?? 1;
  }

  private readonly sql = {
    client: { projection: 'clients', sql: (t: string) => `SELECT * FROM ${t} WHERE client_id = ?` },
    user: { projection: 'users', sql: (t: string) => `SELECT * FROM ${t} WHERE username_key = ?` },
    scopes: { projection: 'scopes', sql: (t: string) => `SELECT * FROM ${t} ORDER BY name` },
    token: { projection: 'tokens', sql: (t: string) => `SELECT * FROM ${t} t WHERE hash = ? AND ${NOT_REVOKED(t)}` },
    code: { projection: 'codes', sql: (t: string) => `SELECT * FROM ${t} WHERE hash = ?` },
  } as const;

  /** A prepared query on the active generation of its projection, prepared once per generation. */
  private query<R>(kind: keyof SqliteReadStore['sql']): Statement<unknown[], R> {
    const { projection, sql } = this.sql[kind];
    const generation = this.active(projection);
    const key = `${kind}:${generation}`;
    let stmt = this.queries.get(key);
    if (!stmt) {
      stmt = this.db.prepare(sql(tableName(projection, generation)));
      this.queries.set(key, stmt);
    }
    return stmt as Statement<unknown[], R>;
  }

  async getClient(clientId: string): Promise<ClientView | null> {
    const r = this.query<ClientRow>('client').get(clientId);
    return r ? clientFromRow(r) : null;
  }

  async getUserByUsername(username: string): Promise<UserView | null> {
    const r = this.query<UserRow>('user').get(username.toLowerCase());
    return r ? { userId: r.user_id, username: r.username, passwordHash: r.password_hash } : null;
  }

  async listScopes(): Promise<ScopeView[]> {
    return this.query<ScopeRow>('scopes')
      .all()
      .map((r) => ({ name: r.name, description: r.description, isDefault: r.is_default === 1 }));
  }

  async getToken(hash: string): Promise<TokenView | null> {
    return this.tokenCache.get(hash, this.active('tokens'), () => {
      const r = this.query<TokenRow>('token').get(hash);
      return r ? tokenFromRow(r) : null;
    });
  }

  async getCode(hash: string): Promise<CodeView | null> {
    const r = this.query<CodeRow>('code').get(hash);
    return r ? codeFromRow(r) : null;
  }

  // ---- projection side ----

  async generations(): Promise<GenerationInfo[]> {
    return this.q.all.all().map(toInfo);
  }

  async getCheckpoint(projection: ProjectionName): Promise<Position | null> {
    const row = this.q.ofProjection.all(projection).find((r) => r.status === 'active');
    return row?.checkpoint ? parsePosition(row.checkpoint) : null;
  }

  private table(projection: ProjectionName, generation: number): TableStatements {
    const key = `${projection}:${generation}`;
    let t = this.tables.get(key);
    if (!t) {
      t = prepareTable(this.db, projection, generation);
      this.tables.set(key, t);
    }
    return t;
  }

  private applyTo(row: GenerationRow, entries: PositionedOps[], checkpoint: Position): void {
    const done = row.checkpoint === null ? null : parsePosition(row.checkpoint);
    if (row.projection === 'tokens') this.tokenCache.forget();
    const table = this.table(row.projection, row.generation);
    for (const entry of entries) {
      if (done && comparePositions(entry.position, done) <= 0) continue;
      for (const op of entry.ops) table.apply(op);
    }
    if (!done || comparePositions(checkpoint, done) > 0) {
      this.q.setCheckpoint.run(formatPosition(checkpoint), row.projection, row.generation);
    }
  }

  async commit(
    projection: ProjectionName,
    entries: PositionedOps[],
    checkpoint: Position,
    previous: Position | null,
  ): Promise<GenerationInfo[]> {
    // The generation list is read inside the write transaction, so a switch or a drop by a
    // rebuild in another process is either wholly before this batch or wholly after it.
    return this.db
      .transaction(() => {
        const behind: GenerationInfo[] = [];
        for (const row of this.q.ofProjection.all(projection)) {
          if (row.status === 'building') continue;
          const done = row.checkpoint === null ? null : parsePosition(row.checkpoint);
          if (previous && (!done || comparePositions(done, previous) < 0)) {
            behind.push(toInfo(row));
            continue;
          }
          this.applyTo(row, entries, checkpoint);
        }
        return behind;
      })
      .immediate();
  }

  /**
   * Inline projection (see projections/inline.ts): applies to every live generation of the
   * projection, inside the caller's transaction, what `entriesAfter` gives for its checkpoint,
   * and moves it to `checkpoint`. True if any rows changed.
   */
  applyLive(
    projection: ProjectionName,
    checkpoint: Position,
    entriesAfter: (done: Position | null) => PositionedOps[],
  ): boolean {
    if (!this.db.inTransaction) throw new Error('applyLive runs inside the append transaction');
    let changed = false;
    for (const row of this.q.ofProjection.all(projection)) {
      if (row.status === 'building') continue;
      const entries = entriesAfter(row.checkpoint === null ? null : parsePosition(row.checkpoint));
      changed ||= entries.length > 0;
      this.applyTo(row, entries, checkpoint);
    }
    return changed;
  }

  async commitTo(projection: ProjectionName, generation: number, entries: PositionedOps[], checkpoint: Position) {
    this.db
      .transaction(() => {
        const row = this.q.ofProjection.all(projection).find((r) => r.generation === generation);
        if (!row) throw new Error(`${projection} has no generation ${generation}`);
        this.applyTo(row, entries, checkpoint);
      })
      .immediate();
  }

  async createGeneration(projection: ProjectionName): Promise<number> {
    return this.db
      .transaction(() => {
        const rows = this.q.ofProjection.all(projection);
        for (const r of rows.filter((x) => x.status === 'building')) {
          dropTables(this.db, projection, r.generation);
          this.q.remove.run(projection, r.generation);
        }
        const next = Math.max(0, ...rows.map((r) => r.generation)) + 1;
        dropTables(this.db, projection, next);
        createTables(this.db, projection, next, { indexes: false });
        this.q.insert.run(projection, next, 'building');
        return next;
      })
      .immediate();
  }

  async activate(projection: ProjectionName, generation: number, finalCatchUp: (from: Position | null) => Promise<CatchUp>) {
    createIndexes(this.db, projection, generation);
    // Hold the file's write lock while the last events are applied and the pointer moves: no
    // append can commit in between, so the new generation is exactly at the head when it goes live.
    this.db.exec('BEGIN IMMEDIATE');
    try {
      const rows = this.q.ofProjection.all(projection);
      const target = rows.find((r) => r.generation === generation && r.status === 'building');
      if (!target) throw new Error(`${projection} generation ${generation} is not being built`);
      const last = await finalCatchUp(target.checkpoint === null ? null : parsePosition(target.checkpoint));
      if (last.checkpoint) this.applyTo(target, last.entries, last.checkpoint);
      for (const r of rows.filter((x) => x.status === 'active')) this.q.setStatus.run('retiring', projection, r.generation);
      this.q.setStatus.run('active', projection, generation);
      this.db.exec('COMMIT');
    } catch (error) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      throw error;
    }
    this.viewAt = 0;
  }

  async dropGeneration(projection: ProjectionName, generation: number): Promise<void> {
    this.db
      .transaction(() => {
        const row = this.q.ofProjection.all(projection).find((r) => r.generation === generation);
        if (row?.status === 'active') throw new Error(`${projection} generation ${generation} is active`);
        this.q.remove.run(projection, generation);
        dropTables(this.db, projection, generation);
      })
      .immediate();
    this.tables.delete(`${projection}:${generation}`);
    for (const [kind, q] of Object.entries(this.sql)) {
      if (q.projection === projection) this.queries.delete(`${kind}:${generation}`);
    }
  }

  async pruneExpired(now: number): Promise<number> {
    this.tokenCache.forget();
    return this.db
      .transaction(() => {
        let pruned = 0;
        for (const row of this.q.all.all()) pruned += this.table(row.projection, row.generation).prune(now);
        return pruned;
      })
      .immediate();
  }

  async dump(projection: ProjectionName, generation?: number): Promise<Record<string, unknown>[]> {
    return this.table(projection, generation ?? this.active(projection)).dump();
  }

  async close(): Promise<void> {
    this.tokenCache.close();
  }
}

interface ClientRow {
  client_id: string;
  name: string;
  secret_hash: string | null;
  redirect_uris: string;
  grant_types: string;
  allowed_scopes: string | null;
  resource_server: number;
}
interface UserRow {
  user_id: string;
  username: string;
  password_hash: string;
}
interface ScopeRow {
  name: string;
  description: string;
  is_default: number;
}
interface CodeRow {
  hash: string;
  grant_id: string;
  client_id: string;
  user_id: string;
  scope: string;
  expires_at: number;
  username: string | null;
  redirect_uri: string | null;
  redirect_uri_provided: number | null;
  code_challenge: string | null;
}
interface TokenRow {
  hash: string;
  kind: TokenView['kind'];
  status: TokenView['status'];
  grant_id: string;
  client_id: string;
  user_id: string | null;
  username: string | null;
  scope: string;
  issued_at: number;
  expires_at: number;
  grant_revision: number | null;
  granted_scope: string | null;
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

const codeFromRow = (r: CodeRow): CodeView => ({
  hash: r.hash,
  grantId: r.grant_id,
  clientId: r.client_id,
  userId: r.user_id,
  scope: r.scope,
  expiresAt: r.expires_at,
  issued:
    r.username === null || r.redirect_uri === null || r.redirect_uri_provided === null
      ? null
      : { username: r.username, redirectUri: r.redirect_uri, redirectUriProvided: r.redirect_uri_provided === 1, codeChallenge: r.code_challenge },
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
  grantRevision: r.grant_revision,
  grantedScope: r.granted_scope,
});
