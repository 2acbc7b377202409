import type { AnyBulkWriteOperation, Collection } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { BatchedWrites, sharedInRun } from '../../src/store/mongo/shared-in-run.js';

describe('sharedInRun', () => {
  it('gives the calls of one synchronous run one read, and a call after it a read of its own', async () => {
    let reads = 0;
    const read = sharedInRun(async () => ++reads);
    const together = [read(), read(), read()];
    expect(await Promise.all(together)).toEqual([1, 1, 1]);
    // Even before the first read has answered, a call in a later continuation starts its own.
    const first = read();
    await Promise.resolve();
    const later = read();
    expect([await first, await later]).toEqual([2, 3]);
  });

  it('gives every sharer the failure, and reads again afterwards', async () => {
    let reads = 0;
    const read = sharedInRun(async () => {
      reads += 1;
      if (reads === 1) throw new Error('down');
      return reads;
    });
    const results = await Promise.allSettled([read(), read()]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(await read()).toBe(2);
  });
});

describe('BatchedWrites', () => {
  type Doc = { _id: string; position: string };
  const op = (id: string): AnyBulkWriteOperation<Doc> => ({
    updateOne: { filter: { _id: id }, update: { $set: { position: id } }, upsert: true },
  });
  /** A collection that records each bulkWrite, and fails the ones `fail` picks. */
  const recording = (fail: (ops: AnyBulkWriteOperation<Doc>[]) => boolean = () => false) => {
    const bulks: string[][] = [];
    const collection = {
      bulkWrite: async (ops: AnyBulkWriteOperation<Doc>[], options: { ordered: boolean }) => {
        expect(options.ordered).toBe(true);
        bulks.push(ops.map((o) => ('updateOne' in o ? String((o.updateOne.filter as { _id: string })._id) : '?')));
        if (fail(ops)) throw new Error('write failed');
        return {};
      },
    } as unknown as Collection<Doc>;
    return { bulks, writes: new BatchedWrites<Doc>(() => collection) };
  };

  it('sends the writes of one round of continuations as one bulkWrite, and later ones in another', async () => {
    const { bulks, writes } = recording();
    // As the projector's read models do: each resumes from one shared read, then writes.
    const shared = Promise.resolve();
    const round = ['clients', 'users', 'scopes', 'codes'].map(async (id) => {
      await shared;
      await writes.write(op(id));
      return id;
    });
    await Promise.all(round);
    await writes.write(op('tokens'));
    expect(bulks).toEqual([['clients', 'users', 'scopes', 'codes'], ['tokens']]);
  });

  it('fails every write of a bulkWrite that failed, and not the next one', async () => {
    const { bulks, writes } = recording((ops) => ops.length === 2);
    const results = await Promise.allSettled([writes.write(op('a')), writes.write(op('b'))]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    await expect(writes.write(op('c'))).resolves.toBeUndefined();
    expect(bulks).toEqual([['a', 'b'], ['c']]);
  });
});
