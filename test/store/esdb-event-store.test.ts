import { randomUUID } from 'node:crypto';
import { EventStoreDBClient, jsonEvent } from '@eventstore/db-client';
import { GenericContainer, Wait, type StartedTestContainer } from 'testcontainers';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  comparePositions,
  type EventStore,
  type NewEvent,
  type Position,
  type SubscriptionBatch,
  WrongExpectedRevisionError,
} from '../../src/store/event-store.js';
import { openEsdbEventStore } from '../../src/store/esdb/esdb-event-store.js';
import { eventStoreContract } from '../contract/event-store.contract.js';
import { dockerSkipReason } from '../support/docker.js';

/**
 * 24.10 LTS, a patch with the fix for filtered-$all checkpoints that could point past an
 * unprocessed event (KurrentDB #4970 / #4990). ESDB_IMAGE overrides it (e.g. a KurrentDB image).
 */
const IMAGE = process.env.ESDB_IMAGE ?? 'eventstore/eventstore:24.10.5';

const skipReason = await dockerSkipReason('EventStoreDB adapter (test/store/esdb-event-store.test.ts)');

const ev = (type: string, n = 0): NewEvent => ({
  type,
  data: { n },
  metadata: { occurredAt: new Date().toISOString(), requestId: `req-${n}` },
});

/** The node answers HTTP before it has elected itself leader: wait until a write succeeds. */
async function untilWritable(connection: string): Promise<void> {
  const client = EventStoreDBClient.connectionString(connection);
  const deadline = Date.now() + 60_000;
  try {
    for (;;) {
      try {
        await client.appendToStream(`probe-${randomUUID()}`, jsonEvent({ type: 'Probe', data: {} }));
        return;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  } finally {
    await client.dispose();
  }
}

/** Pulls batches until `done` says so, failing after `ms` instead of hanging. */
async function pullUntil(
  it: AsyncIterator<SubscriptionBatch>,
  done: (seen: SubscriptionBatch[]) => boolean,
  ms = 20_000,
): Promise<SubscriptionBatch[]> {
  const seen: SubscriptionBatch[] = [];
  const deadline = Date.now() + ms;
  while (!done(seen)) {
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`subscription: condition not met after ${seen.length} batches`);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), left);
    });
    const r = await Promise.race([it.next(), timeout]).finally(() => clearTimeout(timer));
    if (r === 'timeout') continue;
    if (r.done) throw new Error('subscription ended');
    seen.push(r.value);
  }
  return seen;
}

describe.skipIf(skipReason !== null)(`EventStoreDB adapter on ${IMAGE}`, () => {
  let container: StartedTestContainer | undefined;
  let connection = '';

  beforeAll(async () => {
    container = await new GenericContainer(IMAGE)
      .withEnvironment({
        EVENTSTORE_INSECURE: 'true',
        EVENTSTORE_MEM_DB: 'true',
        EVENTSTORE_CLUSTER_SIZE: '1',
        EVENTSTORE_RUN_PROJECTIONS: 'None',
      })
      .withExposedPorts(2113)
      .withWaitStrategy(Wait.forHttp('/health/live', 2113).forStatusCodeMatching((s) => s >= 200 && s < 300))
      .withStartupTimeout(120_000)
      .start();
    connection = `esdb://${container.getHost()}:${container.getMappedPort(2113)}?tls=false`;
    await untilWritable(connection);
  });

  afterAll(async () => {
    await container?.stop();
  });

  eventStoreContract('EventStoreDB', async () => openEsdbEventStore(connection));

  describe('EventStoreDB specifics', () => {
    let store: EventStore;
    let raw: EventStoreDBClient;
    let prefix: string;
    const s = (id: string) => `${prefix}-${id}`;
    const mine = <T extends { streamId: string }>(events: T[]) => events.filter((e) => e.streamId.startsWith(prefix));

    beforeEach(() => {
      store = openEsdbEventStore(connection);
      raw = EventStoreDBClient.connectionString(connection);
      prefix = `e${randomUUID().slice(0, 8)}`;
    });
    afterEach(async () => {
      await store.close();
      await raw.dispose();
    });

    it('stores a retried identical append once, and answers the retry with the same result', async () => {
      const events = [ev('A', 1), ev('B', 2)];
      const first = await store.append(s('idem'), events, 'no_stream');
      const retry = await store.append(s('idem'), events, 'no_stream');
      expect(retry).toEqual(first);
      const next = [ev('C', 3)];
      const third = await store.append(s('idem'), next, 1n);
      expect(await store.append(s('idem'), next, 1n)).toEqual(third);
      expect((await store.readStream(s('idem'))).map((e) => e.type)).toEqual(['A', 'B', 'C']);
    });

    it('keeps a given event id', async () => {
      const id = randomUUID();
      await store.append(s('ids'), [{ ...ev('A'), id }], 'any');
      expect((await store.readStream(s('ids')))[0]!.id).toBe(id);
    });

    it('round-trips all metadata fields', async () => {
      const metadata = {
        occurredAt: '2024-05-01T10:00:00.000Z',
        actor: { clientId: 'c-1', userId: 'u-1' },
        requestId: 'r-1',
        ip: '203.0.113.9',
        userAgent: 'curl/8',
      };
      await store.append(s('meta'), [{ type: 'A', data: { x: [1, 'two'] }, metadata }], 'no_stream');
      const [e] = await store.readStream(s('meta'));
      expect(e).toMatchObject({ type: 'A', revision: 0n, data: { x: [1, 'two'] }, metadata });
    });

    it('reports the position of the last event of a multi-event append', async () => {
      const before = await store.headPosition();
      const r = await store.append(s('multi'), [ev('A'), ev('B'), ev('C')], 'no_stream');
      expect(r.nextRevision).toBe(2n);
      const read = mine(await store.readAll(before, 1000));
      expect(read.map((e) => e.type)).toEqual(['A', 'B', 'C']);
      expect(read[2]!.position).toEqual(r.position);
      expect(comparePositions(read[0]!.position, read[1]!.position)).toBeLessThan(0);
      expect((await store.readStream(s('multi')))[2]!.position).toEqual(r.position);
    });

    it("reports 'no_stream' as the actual revision of a missing stream", async () => {
      const err = await store.append(s('missing'), [ev('A')], 'stream_exists').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WrongExpectedRevisionError);
      expect((err as WrongExpectedRevisionError).actual).toBe('no_stream');
    });

    it('readAll and headPosition skip system events; readAll honours its limit', async () => {
      const before = await store.headPosition();
      const last = await store.append(s('sys'), [ev('A', 1), ev('B', 2), ev('C', 3)], 'any');
      await raw.appendToStream(s('noise'), jsonEvent({ type: '$Noise', data: {} }));
      await raw.appendToStream(`$${s('noise')}`, jsonEvent({ type: 'Noise', data: {} }));
      const all = await store.readAll(before, 1000);
      expect(all.filter((e) => e.type.startsWith('$') || e.streamId.startsWith('$'))).toEqual([]);
      expect(mine(all).map((e) => e.type)).toEqual(['A', 'B', 'C']);
      expect(await store.readAll(before, 2)).toHaveLength(2);
      expect(await store.headPosition()).toEqual(last.position);
    });

    it('subscription: checkpoints move through a stretch of filtered events, then live events follow', async () => {
      const mark = await store.append(s('mark'), [ev('Mark')], 'any');
      const noise = Array.from({ length: 200 }, (_, i) => jsonEvent({ type: '$Noise', data: { i } }));
      await raw.appendToStream(s('noise'), noise);
      const sub = store.subscribeAll(mark.position);
      const it = sub[Symbol.asyncIterator]();
      const quiet = await pullUntil(it, (seen) => seen.some((b) => b.events.length === 0));
      const progress = quiet.find((b) => b.events.length === 0)!;
      expect(comparePositions(progress.checkpoint, mark.position)).toBeGreaterThan(0);
      expect(quiet.flatMap((b) => b.events).filter((e) => e.type.startsWith('$'))).toEqual([]);

      const after = await store.append(s('mark'), [ev('After')], 'any');
      const live = await pullUntil(it, (seen) => seen.some((b) => mine(b.events).length > 0));
      const batches = [...quiet, ...live];
      for (let i = 1; i < batches.length; i++) {
        expect(comparePositions(batches[i - 1]!.checkpoint, batches[i]!.checkpoint)).toBeLessThan(0);
      }
      const got = live.flatMap((b) => mine(b.events));
      expect(got.map((e) => e.type)).toEqual(['After']);
      expect(got[0]!.position).toEqual(after.position);
      await sub.close();
    });

    it('subscription from the start sees our events and no system events', async () => {
      await store.append(s('start'), [ev('First')], 'any');
      const sub = store.subscribeAll(null);
      const seen = await pullUntil(sub[Symbol.asyncIterator](), (b) => b.some((x) => mine(x.events).length > 0));
      const events = seen.flatMap((b) => b.events);
      expect(events.filter((e) => e.type.startsWith('$') || e.streamId.startsWith('$'))).toEqual([]);
      expect(mine(events).map((e) => e.type)).toEqual(['First']);
      await sub.close();
    });

    it('closing the store ends its open subscriptions', async () => {
      const other = openEsdbEventStore(connection);
      const head: Position | null = await other.headPosition();
      const sub = other.subscribeAll(head);
      const next = sub[Symbol.asyncIterator]().next();
      await other.close();
      expect((await next).done).toBe(true);
    });
  });
});
