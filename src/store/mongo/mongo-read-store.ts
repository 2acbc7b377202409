import type { Db, MongoClient } from 'mongodb';
import { comparePositions, formatPosition, parsePosition, type Position } from '../event-store.js';
import {
  type CatchUp,
  type ClientView,
  type CodeView,
  type GenerationInfo,
  type PositionedOps,
  type ProjectionName,
  type ReadStore,
  type ScopeView,
  type TokenView,
  type UserView,
} from '../read-store.js';
import { applyOps, type KeyedOp } from './apply-ops.js';
import { checkpointsCollection, ensureGeneration, generationCollection, generationsCollection } from './collections.js';
import { clientFromDoc, codeFromDoc, type GenerationsDoc, scopeFromDoc, tokenFromDoc, userFromDoc } from './documents.js';
import type { GuardMode } from './guarded-write.js';
import { LiveGenerations } from './live-generations.js';
import { positionKey } from './position-key.js';
import { BatchedWrites, sharedInRun } from './shared-in-run.js';
import { TurnCheckedCache } from '../turn-checked-cache.js';

/** Token rows a process keeps, as on the embedded store: ~4 MB at most. */
const TOKEN_ROWS = 10_000;

const checkpointId = (projection: string, generation: number) => `${projection}:${generation}`;

function infos(doc: GenerationsDoc, checkpoints: Map<string, string>): GenerationInfo[] {
  const projection = doc._id as ProjectionName;
  const at = (g: number) => {
    const p = checkpoints.get(checkpointId(projection, g));
    return p ? parsePosition(p) : null;
  };
  return [
    ...doc.building.map((g) => ({ projection, generation: g, status: 'building' as const, checkpoint: at(g) })),
    { projection, generation: doc.active, status: 'active' as const, checkpoint: at(doc.active) },
    ...doc.retiring.map((g) => ({ projection, generation: g, status: 'retiring' as const, checkpoint: at(g) })),
  ].sort((a, b) => a.generation - b.generation);
}

/**
 * Read models in MongoDB (or a compatible server such as FerretDB: no multi-document
 * transactions, no TTL index, no renames). Each projection's documents live in numbered
 * generations (`<projection>_g<N>`); one `generations` document per projection says which is
 * active and holds each one's checkpoint, written after its rows: a crash in between replays the
 * batch, which the position guards make harmless.
 */
export class MongoReadStore implements ReadStore {
  private readonly live = new LiveGenerations(() => this.pointers);

  constructor(
    private readonly client: MongoClient,
    private readonly db: Db,
    /** Where the position guards are checked: see GuardMode. */
    private readonly guards: GuardMode = 'server',
  ) {}

  private get pointers() {
    return generationsCollection(this.db);
  }

  private get checkpoints() {
    return checkpointsCollection(this.db);
  }

  /**
   * Every projection's pointer and every checkpoint: two small reads, side by side, shared by the
   * calls of one synchronous run (the projector's read models, committed side by side).
   */
  private readonly pointersAndCheckpoints = sharedInRun(async () => {
    const [docs, positions] = await Promise.all([this.pointers.find({}).toArray(), this.checkpoints.find({}).toArray()]);
    return { docs: new Map(docs.map((d) => [d._id, d])), checkpoints: new Map(positions.map((d) => [d._id, d.position])) };
  });

  /**
   * Token rows read recently (introspection and the bearer guard ask for the same tokens over and
   * over), served again while a check of the pointers and checkpoints, one round trip for all the
   * lookups of a turn of the event loop, finds them unchanged (see readModelsVersion).
   */
  private readonly tokenRows = new TurnCheckedCache<TokenView>(() => this.readModelsVersion(), TOKEN_ROWS);

  /** Checkpoint writes of one round of the projector's read models, sent as one. */
  private readonly checkpointWrites = new BatchedWrites(() => this.checkpoints);

  /** The generations of one projection, with their checkpoints. */
  private async infosOf(projection: ProjectionName): Promise<GenerationInfo[]> {
    const { docs, checkpoints } = await this.pointersAndCheckpoints();
    const doc = docs.get(projection);
    if (!doc) throw new Error(`no generations for ${projection}`);
    return infos(doc, checkpoints);
  }

  private async active(projection: ProjectionName): Promise<number> {
    return (await this.live.of(projection)).active;
  }

  /**
   * A token or code by hash: in the active generation, or, if it is not there while a rebuild's
   * old generation is retiring, in that one. Without transactions, rows the live projector wrote
   * just before a switch reach the new generation only with its next batch (it catches up a
   * generation that went live behind it), and a client that was just given a token must find it.
   * Nothing revoked comes back from the old generation: the live projector writes it first.
   */
  private async findLive<D>(projection: 'tokens' | 'codes', find: (generation: number) => Promise<D | null>): Promise<D | null> {
    const { active, retiring } = await this.live.of(projection);
    for (const generation of [active, ...retiring]) {
      const found = await find(generation);
      if (found !== null) return found;
    }
    return null;
  }

  private async coll<P extends ProjectionName>(projection: P) {
    return generationCollection(this.db, projection, await this.active(projection));
  }

  async getClient(clientId: string): Promise<ClientView | null> {
    const doc = await (await this.coll('clients')).findOne({ _id: clientId });
    return doc ? clientFromDoc(doc) : null;
  }

  async getUserByUsername(username: string): Promise<UserView | null> {
    const doc = await (await this.coll('users')).findOne({ usernameKey: username.toLowerCase() });
    return doc ? userFromDoc(doc) : null;
  }

  async listScopes(): Promise<ScopeView[]> {
    return (await (await this.coll('scopes')).find({}).sort({ _id: 1 }).toArray()).map(scopeFromDoc);
  }

  async getToken(hash: string): Promise<TokenView | null> {
    return this.tokenRows.get(hash, async () => {
      const doc = await this.findLive('tokens', (g) => generationCollection(this.db, 'tokens', g).findOne({ _id: hash }));
      return doc ? tokenFromDoc(doc) : null;
    });
  }

  /**
   * What changes whenever a read model may have: the pointers and every checkpoint. A projector
   * writes a batch's rows before its checkpoint, and answers for the batch only after, so a check
   * made after a request arrived sees every change answered for before it was sent.
   */
  private async readModelsVersion(): Promise<string> {
    const { docs, checkpoints } = await this.pointersAndCheckpoints();
    const pointers = [...docs.values()].map((d) => [d._id, d.active, d.building, d.retiring]);
    return JSON.stringify([pointers.sort(), [...checkpoints].sort()]);
  }

  async getCode(hash: string): Promise<CodeView | null> {
    const doc = await this.findLive('codes', (g) => generationCollection(this.db, 'codes', g).findOne({ _id: hash }));
    return doc ? codeFromDoc(doc) : null;
  }

  // ---- projection side ----

  private async pointer(projection: ProjectionName): Promise<GenerationsDoc> {
    const doc = await this.pointers.findOne({ _id: projection });
    if (!doc) throw new Error(`no generations for ${projection}`);
    return doc;
  }

  async generations(): Promise<GenerationInfo[]> {
    const { docs, checkpoints } = await this.pointersAndCheckpoints();
    return [...docs.values()].sort((a, b) => (a._id < b._id ? -1 : 1)).flatMap((d) => infos(d, checkpoints));
  }

  async getCheckpoint(projection: ProjectionName): Promise<Position | null> {
    return (await this.infosOf(projection)).find((g) => g.status === 'active')!.checkpoint;
  }

  private async applyTo(info: GenerationInfo, entries: PositionedOps[], checkpoint: Position): Promise<void> {
    const ops: KeyedOp[] = [];
    for (const entry of entries) {
      if (info.checkpoint && comparePositions(entry.position, info.checkpoint) <= 0) continue;
      const key = positionKey(entry.position);
      for (const op of entry.ops) ops.push({ op, key });
    }
    await applyOps(this.db, info.projection, info.generation, ops, this.guards);
    // Its checkpoint moves next, which the next check sees; this process need not wait for that.
    if (info.projection === 'tokens' && ops.length > 0) this.tokenRows.drop();
    if (!info.checkpoint || comparePositions(checkpoint, info.checkpoint) > 0) {
      await this.checkpointWrites.write({
        updateOne: {
          filter: { _id: checkpointId(info.projection, info.generation) },
          update: { $set: { position: formatPosition(checkpoint) } },
          upsert: true,
        },
      });
    }
  }

  async commit(
    projection: ProjectionName,
    entries: PositionedOps[],
    checkpoint: Position,
    previous: Position | null,
  ): Promise<GenerationInfo[]> {
    const behind: GenerationInfo[] = [];
    for (const info of await this.infosOf(projection)) {
      if (info.status === 'building') continue;
      if (previous && (!info.checkpoint || comparePositions(info.checkpoint, previous) < 0)) {
        behind.push(info);
        continue;
      }
      await this.applyUnlessDropped(info, entries, checkpoint);
    }
    return behind;
  }

  async commitTo(projection: ProjectionName, generation: number, entries: PositionedOps[], checkpoint: Position) {
    const info = (await this.infosOf(projection)).find((g) => g.generation === generation);
    if (!info) throw new Error(`${projection} has no generation ${generation}`);
    await this.applyUnlessDropped(info, entries, checkpoint);
  }

  /**
   * applyTo, for a generation a rebuild (in this process or another) may drop meanwhile: nothing
   * holds it between reading the generations and the last write. A write after the drop makes
   * the collection and the checkpoint again, and FerretDB fails some writes that race a drop
   * (a duplicate key for a key that is not there). So, when the generation was not the active
   * one or a write failed, ask again once the writes are done: if it is gone, remove what they
   * left and forget the failure. A drop pulls the pointer first, so either that look sees it gone,
   * or the drop comes after every write and removes them itself. Not for a generation being
   * built: its number may be given again once it is dropped, and its rebuild should fail.
   */
  private async applyUnlessDropped(info: GenerationInfo, entries: PositionedOps[], checkpoint: Position): Promise<void> {
    if (info.status === 'building') return this.applyTo(info, entries, checkpoint);
    let failed = false;
    let failure: unknown;
    try {
      await this.applyTo(info, entries, checkpoint);
    } catch (error) {
      [failed, failure] = [true, error];
    }
    if (info.status === 'active' && !failed) return;
    const doc = await this.pointer(info.projection);
    const listed = doc.active === info.generation || doc.building.includes(info.generation) || doc.retiring.includes(info.generation);
    if (!listed) return this.removeGeneration(info.projection, info.generation);
    if (failed) throw failure;
  }

  async createGeneration(projection: ProjectionName): Promise<number> {
    const doc = await this.pointer(projection);
    for (const g of doc.building) await this.dropGeneration(projection, g);
    const next = Math.max(doc.active, ...doc.retiring, ...doc.building) + 1;
    await generationCollection(this.db, projection, next).drop().catch(() => undefined);
    await ensureGeneration(this.db, projection, next);
    await this.checkpoints.deleteOne({ _id: checkpointId(projection, next) });
    await this.pointers.updateOne({ _id: projection }, { $push: { building: next } });
    return next;
  }

  async activate(projection: ProjectionName, generation: number, finalCatchUp: (from: Position | null) => Promise<CatchUp>) {
    const info = (await this.infosOf(projection)).find((g) => g.generation === generation && g.status === 'building');
    if (!info) throw new Error(`${projection} generation ${generation} is not being built`);
    // Without transactions, appends may land between this catch-up and the switch; the live
    // projector sees the new generation behind it and catches it up (ProjectionRunner.catchUp).
    const last = await finalCatchUp(info.checkpoint);
    if (last.checkpoint) await this.applyTo(info, last.entries, last.checkpoint);
    const doc = await this.pointer(projection);
    await this.pointers.updateOne(
      { _id: projection, active: doc.active },
      { $set: { active: generation }, $pull: { building: generation }, $push: { retiring: doc.active } },
    );
    this.live.invalidate();
  }

  async dropGeneration(projection: ProjectionName, generation: number): Promise<void> {
    const doc = await this.pointer(projection);
    if (doc.active === generation) throw new Error(`${projection} generation ${generation} is active`);
    await this.pointers.updateOne({ _id: projection }, { $pull: { building: generation, retiring: generation } });
    await this.removeGeneration(projection, generation);
  }

  /** A generation's checkpoint and collection, once no pointer lists it (a missing one is fine). */
  private async removeGeneration(projection: ProjectionName, generation: number): Promise<void> {
    await this.checkpoints.deleteOne({ _id: checkpointId(projection, generation) });
    await generationCollection(this.db, projection, generation).drop().catch(() => undefined);
  }

  async pruneExpired(now: number): Promise<number> {
    let pruned = 0;
    for (const info of await this.generations()) {
      if (info.projection !== 'tokens' && info.projection !== 'codes') continue;
      const coll = generationCollection(this.db, info.projection, info.generation);
      pruned += (await coll.deleteMany({ expiresAt: { $lte: now } })).deletedCount;
    }
    return pruned;
  }

  async dump(projection: ProjectionName, generation?: number): Promise<Record<string, unknown>[]> {
    const g = generation ?? (await this.active(projection));
    const docs = await generationCollection(this.db, projection, g).find({}).sort({ _id: 1 }).toArray();
    // `pos` is bookkeeping of when a document was written, not part of the read model.
    return docs.map(({ pos: _pos, ...rest }) => rest as Record<string, unknown>);
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}
