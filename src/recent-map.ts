/**
 * A Map of at most `maxEntries`: setting a key makes it the newest, and a full map forgets its
 * oldest entry first. For the process's small caches, bounded whatever comes in.
 */
export class RecentMap<K, V> extends Map<K, V> {
  constructor(private readonly maxEntries: number) {
    super();
  }

  override set(key: K, value: V): this {
    this.delete(key);
    if (this.size >= this.maxEntries) {
      const oldest = this.keys().next();
      if (!oldest.done) this.delete(oldest.value);
    }
    return super.set(key, value);
  }
}
