import { Readable } from 'node:stream';
import {
  StreamNotFoundError,
  WrongExpectedVersionError,
  type AllStreamResolvedEvent,
  type AllStreamSubscription,
  type EventStoreDBClient,
  type SubscribeToAllOptions,
} from '@eventstore/db-client';
import { describe, expect, it } from 'vitest';
import {
  WrongExpectedRevisionError,
  type NewEvent,
  type Position,
  type SubscriptionBatch,
} from '../../src/store/event-store.js';
import { canonicalJson, eventIdFor, isUuid, uuidV5 } from '../../src/store/esdb/event-id.js';
import {
  checkAppendResult,
  fromEsdbPosition,
  isStreamNotFound,
  isSystemEvent,
  MalformedEventError,
  toEsdbExpectedRevision,
  toEventData,
  toReadPosition,
  toRecordedEvent,
  toStoreError,
  UNKNOWN_POSITION,
  type EsdbRecord,
} from '../../src/store/esdb/mapping.js';
import { esdbSubscription } from '../../src/store/esdb/subscription.js';

const meta = { occurredAt: '2024-01-01T00:00:00.000Z', requestId: 'req-1' };
const ev = (over: Partial<NewEvent> = {}): NewEvent => ({ type: 'A', data: { n: 1 }, metadata: meta, ...over });
const pos = (commit: bigint, prepare: bigint = commit): Position => ({ commit, prepare });

describe('esdb mapping: expected revisions', () => {
  it('maps each kind of expected revision to the client constant', () => {
    expect(toEsdbExpectedRevision('any')).toBe('any');
    expect(toEsdbExpectedRevision('no_stream')).toBe('no_stream');
    expect(toEsdbExpectedRevision('stream_exists')).toBe('stream_exists');
    expect(toEsdbExpectedRevision(0n)).toBe(0n);
    expect(toEsdbExpectedRevision(41n)).toBe(41n);
  });

  it('refuses a negative revision', () => {
    expect(() => toEsdbExpectedRevision(-1n)).toThrow(RangeError);
  });
});

describe('esdb mapping: positions', () => {
  it('keeps commit and prepare apart', () => {
    expect(fromEsdbPosition({ commit: 1200n, prepare: 1150n })).toEqual({ commit: 1200n, prepare: 1150n });
    expect(toReadPosition({ commit: 7n, prepare: 5n })).toEqual({ commit: 7n, prepare: 5n });
  });

  it('reads from the start when there is no position', () => {
    expect(toReadPosition(null)).toBe('start');
  });
});

describe('esdb mapping: system events', () => {
  it('skips $-types and $-streams, keeps ours', () => {
    expect(isSystemEvent({ type: '$statsCollected', streamId: '$stats-0.0.0.0:2113' })).toBe(true);
    expect(isSystemEvent({ type: '$>', streamId: '$ce-client' })).toBe(true);
    expect(isSystemEvent({ type: '$metadata', streamId: '$$client-1' })).toBe(true);
    expect(isSystemEvent({ type: 'Anything', streamId: '$settings' })).toBe(true);
    expect(isSystemEvent({ type: 'ClientRegistered', streamId: 'client-1' })).toBe(false);
    expect(isSystemEvent({ type: 'Token$Issued', streamId: 'grant-$1' })).toBe(false);
  });
});

describe('esdb mapping: deterministic event ids', () => {
  it('implements name-based UUID v5 (RFC 4122 vector)', () => {
    expect(uuidV5('www.example.com', '6ba7b810-9dad-11d1-80b4-00c04fd430c8')).toBe(
      '2ed6657d-e927-568b-95e1-2665a8aea6a2',
    );
  });

  it('derives the same UUID for a retried identical append, whatever the key order', () => {
    const a = eventIdFor('grant-1', 3n, 0, ev({ data: { a: 1, b: { c: 2, d: 3 } } }));
    const b = eventIdFor('grant-1', 3n, 0, ev({ data: { b: { d: 3, c: 2 }, a: 1 } }));
    expect(a).toBe(b);
    expect(isUuid(a)).toBe(true);
    expect(a[14]).toBe('5');
    expect(['8', '9', 'a', 'b']).toContain(a[19]);
  });

  it('derives distinct UUIDs when anything that makes the append differs', () => {
    const base = eventIdFor('grant-1', 3n, 0, ev());
    const variants = [
      eventIdFor('grant-2', 3n, 0, ev()),
      eventIdFor('grant-1', 4n, 0, ev()),
      eventIdFor('grant-1', 'any', 0, ev()),
      eventIdFor('grant-1', 'no_stream', 0, ev()),
      eventIdFor('grant-1', 3n, 1, ev()),
      eventIdFor('grant-1', 3n, 0, ev({ type: 'B' })),
      eventIdFor('grant-1', 3n, 0, ev({ data: { n: 2 } })),
      eventIdFor('grant-1', 3n, 0, ev({ metadata: { ...meta, requestId: 'req-2' } })),
    ];
    expect(new Set([base, ...variants]).size).toBe(variants.length + 1);
  });

  it('uses a given UUID as is, and maps another given id to a stable UUID', () => {
    const given = '3F2504E0-4F89-41D3-9A0C-0305E82C3301';
    expect(eventIdFor('s', 'any', 0, ev({ id: given }))).toBe(given.toLowerCase());
    const derived = eventIdFor('s', 'any', 0, ev({ id: 'not-a-uuid' }));
    expect(isUuid(derived)).toBe(true);
    expect(eventIdFor('t', 5n, 3, ev({ id: 'not-a-uuid' }))).toBe(derived);
    expect(eventIdFor('s', 'any', 0, ev({ id: 'another' }))).not.toBe(derived);
  });

  it('serialises JSON canonically', () => {
    expect(canonicalJson({ b: 1, a: [{ d: 1, c: 2 }] })).toBe('{"a":[{"c":2,"d":1}],"b":1}');
  });
});

describe('esdb mapping: events', () => {
  it('writes a JSON event with our metadata as the event metadata', () => {
    const data = toEventData('client-1', 'no_stream', 0, ev({ type: 'ClientRegistered', data: { x: [1] } }));
    expect(data).toMatchObject({
      contentType: 'application/json',
      type: 'ClientRegistered',
      data: { x: [1] },
      metadata: meta,
    });
    expect(data.id).toBe(eventIdFor('client-1', 'no_stream', 0, ev({ type: 'ClientRegistered', data: { x: [1] } })));
  });

  it('refuses data that is not a JSON object, array or string', () => {
    expect(() => toEventData('s', 'any', 0, ev({ data: 42 }))).toThrow(TypeError);
    expect(() => toEventData('s', 'any', 0, ev({ data: null }))).toThrow(TypeError);
  });

  const record = (over: Partial<EsdbRecord> = {}): EsdbRecord => ({
    id: 'e1',
    streamId: 'grant-1',
    revision: 2n,
    type: 'TokenIssued',
    data: { a: 1 },
    metadata: { occurredAt: 't', actor: { clientId: 'c' }, ip: '::1', userAgent: 'ua' },
    position: { commit: 300n, prepare: 290n },
    ...over,
  });

  it('reads a recorded event: parsed data and metadata, both position parts', () => {
    expect(toRecordedEvent(record())).toEqual({
      id: 'e1',
      streamId: 'grant-1',
      revision: 2n,
      position: { commit: 300n, prepare: 290n },
      type: 'TokenIssued',
      data: { a: 1 },
      metadata: { occurredAt: 't', actor: { clientId: 'c' }, ip: '::1', userAgent: 'ua' },
    });
  });

  it('marks a missing position (server before 22.6) as unknown', () => {
    expect(toRecordedEvent(record({ position: undefined })).position).toEqual(UNKNOWN_POSITION);
  });

  it('fails loudly on metadata that is not ours', () => {
    expect(() => toRecordedEvent(record({ metadata: undefined }))).toThrow(MalformedEventError);
    expect(() => toRecordedEvent(record({ metadata: new Uint8Array([1, 2]) }))).toThrow(MalformedEventError);
    expect(() => toRecordedEvent(record({ metadata: { occurredAt: 5 } }))).toThrow(/e1 in grant-1/);
  });
});

describe('esdb mapping: errors', () => {
  it('turns the client WrongExpectedVersionError into ours, with the actual revision', () => {
    const err = new WrongExpectedVersionError(undefined, { streamName: 'code-1', expected: 0n, current: 3n });
    const mapped = toStoreError(err, 'code-1', 0n);
    expect(mapped).toBeInstanceOf(WrongExpectedRevisionError);
    expect(mapped).toMatchObject({ streamId: 'code-1', expected: 0n, actual: 3n });
  });

  it("reports 'no_stream' when the stream does not exist", () => {
    const err = new WrongExpectedVersionError(undefined, {
      streamName: 'code-2',
      expected: 'stream_exists',
      current: 'no_stream',
    });
    expect(toStoreError(err, 'code-2', 'stream_exists')).toMatchObject({
      expected: 'stream_exists',
      actual: 'no_stream',
    });
  });

  it('recognises an error of the same shape from another copy of the client', () => {
    const shaped = Object.assign(new Error('wev'), { type: 'wrong-expected-version', actualVersion: 7n });
    expect(toStoreError(shaped, 's', 6n)).toMatchObject({ actual: 7n, expected: 6n });
    const old = Object.assign(new Error('wev'), { type: 'wrong-expected-version', actualVersion: -1n });
    expect(toStoreError(old, 's', 0n)).toMatchObject({ actual: 'no_stream' });
  });

  it('passes other errors through untouched', () => {
    const other = new Error('unavailable');
    expect(toStoreError(other, 's', 'any')).toBe(other);
    expect(toStoreError('weird', 's', 'any')).toBe('weird');
  });

  it('recognises a missing stream', () => {
    expect(isStreamNotFound(new StreamNotFoundError(undefined, 'user-9'))).toBe(true);
    expect(isStreamNotFound({ type: 'stream-not-found' })).toBe(true);
    expect(isStreamNotFound(new Error('stream-not-found'))).toBe(false);
    expect(isStreamNotFound(null)).toBe(false);
  });

  it('checks an append result (and a client that does not throw on conflicts)', () => {
    const position = { commit: 10n, prepare: 9n };
    expect(checkAppendResult({ success: true, nextExpectedRevision: 0n, position }, 's', 'any')).toEqual(position);
    expect(checkAppendResult({ success: true, nextExpectedRevision: 0n }, 's', 'any')).toBeNull();
    expect(() => checkAppendResult({ success: false, nextExpectedRevision: -1n }, 's', 0n)).toThrow(
      expect.objectContaining({ name: 'WrongExpectedRevisionError', actual: 'no_stream' }),
    );
    expect(() => checkAppendResult({ success: false, nextExpectedRevision: 4n }, 's', 2n)).toThrow(
      expect.objectContaining({ actual: 4n }),
    );
  });
});

/** The client's subscription as the adapter sees it: a readable of resolved events. */
class FakeSubscription extends Readable {
  unsubscribed = false;
  constructor() {
    super({ objectMode: true, read() {} });
  }
  async unsubscribe(): Promise<void> {
    this.unsubscribed = true;
    this.push(null);
  }
}

function fakeClient() {
  const sub = new FakeSubscription();
  let options: SubscribeToAllOptions | undefined;
  const client = {
    subscribeToAll(o: SubscribeToAllOptions) {
      options = o;
      return sub;
    },
  } as unknown as EventStoreDBClient;
  const checkpoint = (p: Position) =>
    options!.filter!.checkpointReached!(sub as unknown as AllStreamSubscription, p);
  return { client, sub, checkpoint, options: () => options! };
}

const resolved = (streamId: string, type: string, p: Position): AllStreamResolvedEvent =>
  ({
    event: {
      streamId,
      id: `${streamId}-${p.commit}`,
      isJson: true,
      revision: 0n,
      type,
      created: new Date(0),
      data: { at: Number(p.commit) },
      metadata: meta,
      position: p,
    },
  }) as unknown as AllStreamResolvedEvent;

/** The next `n` batches; fails (rather than hangs) when fewer than `n` come within a second. */
async function nextBatches(it: AsyncIterator<SubscriptionBatch>, n: number): Promise<SubscriptionBatch[]> {
  const out: SubscriptionBatch[] = [];
  for (let i = 0; i < n; i++) {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`only ${out.length} of ${n} batches came`)), 1000);
    });
    const r = await Promise.race([it.next(), timeout]).finally(() => clearTimeout(timer));
    if (r.done) break;
    out.push(r.value);
  }
  return out;
}

describe('esdb subscription (fake client, no server)', () => {
  it('subscribes after `from` with the server-side system-event filter', () => {
    const f = fakeClient();
    esdbSubscription(f.client, pos(50n, 40n));
    expect(f.options().fromPosition).toEqual(pos(50n, 40n));
    expect(f.options().filter).toMatchObject({ filterOn: 'eventType', regex: '^[^$].*' });
    expect(typeof f.options().filter?.checkpointReached).toBe('function');
  });

  it('yields events, and checkpoint-only batches for filtered stretches', async () => {
    const f = fakeClient();
    const sub = esdbSubscription(f.client, null);
    const it = sub[Symbol.asyncIterator]();
    f.sub.push(resolved('client-1', 'ClientRegistered', pos(10n)));
    await f.checkpoint(pos(500n));
    f.sub.push(resolved('client-2', 'ClientRegistered', pos(600n)));
    const batches = await nextBatches(it, 3);
    expect(batches.map((b) => [b.events.map((e) => e.streamId), b.checkpoint.commit])).toEqual([
      [['client-1'], 10n],
      [[], 500n],
      [['client-2'], 600n],
    ]);
    expect(batches[0]!.events[0]!.data).toEqual({ at: 10 });
    await sub.close();
    expect(f.sub.unsubscribed).toBe(true);
  });

  it('never hands out a checkpoint ahead of an event the client still buffers', async () => {
    const f = fakeClient();
    const sub = esdbSubscription(f.client, null);
    f.sub.pause();
    f.sub.push(resolved('grant-1', 'TokenIssued', pos(10n)));
    expect(f.sub.readableLength).toBe(1);
    const checkpointed = f.checkpoint(pos(90n));
    setTimeout(() => f.sub.resume(), 20);
    await checkpointed;
    const batches = await nextBatches(sub[Symbol.asyncIterator](), 2);
    expect(batches.map((b) => [b.events.length, b.checkpoint.commit])).toEqual([
      [1, 10n],
      [0, 90n],
    ]);
    await sub.close();
  });

  it('skips $-stream events and events at or before the resume point; checkpoints only move forwards', async () => {
    const f = fakeClient();
    const sub = esdbSubscription(f.client, pos(100n));
    f.sub.push(resolved('grant-1', 'TokenIssued', pos(100n)));
    f.sub.push(resolved('$settings', 'Settings', pos(120n)));
    await f.checkpoint(pos(110n));
    f.sub.push(resolved('grant-1', 'TokenRevoked', pos(130n)));
    const batches = await nextBatches(sub[Symbol.asyncIterator](), 2);
    expect(batches).toEqual([
      { events: [], checkpoint: pos(120n) },
      { events: [expect.objectContaining({ type: 'TokenRevoked' })], checkpoint: pos(130n) },
    ]);
    await sub.close();
  });

  it('batches consecutive events, ends on close, and rethrows a stream error after queued events', async () => {
    const f = fakeClient();
    const sub = esdbSubscription(f.client, null);
    for (let i = 1n; i <= 3n; i++) f.sub.push(resolved('code-1', 'CodeIssued', pos(i)));
    f.sub.destroy(new Error('connection lost'));
    const it = sub[Symbol.asyncIterator]();
    const first = await it.next();
    expect(first.value?.events).toHaveLength(3);
    expect(first.value?.checkpoint).toEqual(pos(3n));
    await expect(it.next()).rejects.toThrow('connection lost');

    const g = fakeClient();
    const live = esdbSubscription(g.client, null);
    const pending = live[Symbol.asyncIterator]().next();
    await live.close();
    expect((await pending).done).toBe(true);
  });
});
