import type { ClientView, ProjectionName, ReadStore, ScopeView } from './read-store.js';

const MAX_CLIENTS = 10_000;

/**
 * Keeps clients and scopes, read on every token request and changed rarely, for a short time.
 * A commit through this store (the projector of this process) forgets them at once; changes
 * projected by another process are seen within `ttlMs`, as are the active generations.
 */
export function cachedReadStore(
  inner: ReadStore,
  ttlMs = 500,
  now: () => number = Date.now,
): ReadStore & { forget(projection: ProjectionName): void } {
  let clients = new Map<string, { value: ClientView | null; at: number }>();
  let scopes: { value: ScopeView[]; at: number } | null = null;
  // Reads in flight, shared by the lookups that miss meanwhile: when an entry grows old, every
  // request in flight misses it at once (dozens of reads of one row, under load).
  let loadingClients = new Map<string, Promise<ClientView | null>>();
  let loadingScopes: Promise<ScopeView[]> | null = null;
  const forget = (projection: ProjectionName) => {
    if (projection === 'clients') [clients, loadingClients] = [new Map(), new Map()];
    if (projection === 'scopes') [scopes, loadingScopes] = [null, null];
  };
  return {
    ...bindAll(inner),
    /** For writes that bypass commit (the inline projection). */
    forget,
    async getClient(clientId) {
      const hit = clients.get(clientId);
      if (hit && now() - hit.at < ttlMs) return hit.value;
      const shared = loadingClients.get(clientId);
      if (shared) return shared;
      const loads = loadingClients;
      const load = inner
        .getClient(clientId)
        .then((value) => {
          // Not if forget() ran meanwhile: what was read may be older than what it forgot.
          if (loads === loadingClients) {
            if (clients.size >= MAX_CLIENTS) clients = new Map();
            clients.set(clientId, { value, at: now() });
          }
          return value;
        })
        .finally(() => loads.delete(clientId));
      loads.set(clientId, load);
      return load;
    },
    async listScopes() {
      if (scopes && now() - scopes.at < ttlMs) return scopes.value;
      if (loadingScopes) return loadingScopes;
      const load: Promise<ScopeView[]> = inner.listScopes().then(
        (value) => {
          if (loadingScopes === load) [scopes, loadingScopes] = [{ value, at: now() }, null];
          return value;
        },
        (error: unknown) => {
          if (loadingScopes === load) loadingScopes = null;
          throw error;
        },
      );
      return (loadingScopes = load);
    },
    async commit(projection, entries, checkpoint, previous) {
      const behind = await inner.commit(projection, entries, checkpoint, previous);
      if (entries.length > 0) forget(projection);
      return behind;
    },
    async commitTo(projection, generation, entries, checkpoint) {
      await inner.commitTo(projection, generation, entries, checkpoint);
      forget(projection);
    },
    async activate(projection, generation, finalCatchUp) {
      await inner.activate(projection, generation, finalCatchUp);
      forget(projection);
    },
  };
}

/** Every method of the store, bound to it, so the decorator can pass the rest through. */
function bindAll(store: ReadStore): ReadStore {
  return {
    getClient: (id) => store.getClient(id),
    getUserByUsername: (u) => store.getUserByUsername(u),
    listScopes: () => store.listScopes(),
    getToken: (h) => store.getToken(h),
    getCode: (h) => store.getCode(h),
    generations: () => store.generations(),
    getCheckpoint: (p) => store.getCheckpoint(p),
    commit: (p, e, c, prev) => store.commit(p, e, c, prev),
    commitTo: (p, g, e, c) => store.commitTo(p, g, e, c),
    createGeneration: (p) => store.createGeneration(p),
    activate: (p, g, f) => store.activate(p, g, f),
    dropGeneration: (p, g) => store.dropGeneration(p, g),
    pruneExpired: (n) => store.pruneExpired(n),
    dump: (p, g) => store.dump(p, g),
    close: () => store.close(),
  };
}
