import { createHash } from 'node:crypto';
import type { ExpectedRevision, NewEvent } from '../event-store.js';

/**
 * Deterministic event ids. EventStoreDB drops a retried append whose event ids it has already
 * written at the same expected revision. So an append sent twice (a timeout, then a retry) must
 * carry the same ids: ids are derived from the append itself rather than drawn at random.
 */

/** Namespace of our name-based (v5-style) UUIDs; any fixed UUID would do, it must never change. */
export const EVENT_ID_NAMESPACE = '0d6b9f4e-6a53-4c2b-9a8e-5f3c1e7d2b90';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID.test(value);
}

/** RFC 4122 name-based UUID, version 5 (SHA-1 of namespace bytes and name). */
export function uuidV5(name: string, namespace: string = EVENT_ID_NAMESPACE): string {
  if (!isUuid(namespace)) throw new TypeError(`namespace is not a UUID: ${namespace}`);
  const bytes = createHash('sha1')
    .update(Buffer.from(namespace.replace(/-/g, ''), 'hex'))
    .update(name, 'utf8')
    .digest()
    .subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x50;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** JSON with object keys sorted, so that equal values give equal text whatever the key order. */
export function canonicalJson(value: unknown): string {
  const text = JSON.stringify(value, (_key, v: unknown) =>
    isPlainObject(v) ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, v[k]])) : v,
  );
  return text ?? 'undefined';
}

const expectedKey = (expected: ExpectedRevision): string =>
  typeof expected === 'bigint' ? `r${expected}` : expected;

/**
 * The id an event is stored under: its own id when it is a UUID; a UUID derived from it when it
 * is some other string (EventStoreDB accepts only UUIDs); otherwise a UUID derived from the
 * stream, the expected revision, the event's index in the append and its type, data and
 * metadata. The metadata (request id, time) is part of it so that two distinct requests that
 * happen to append equal data under `any` are not mistaken for one retried append.
 */
export function eventIdFor(
  streamId: string,
  expected: ExpectedRevision,
  index: number,
  event: NewEvent,
): string {
  if (event.id !== undefined) {
    return isUuid(event.id) ? event.id.toLowerCase() : uuidV5(`id:${event.id}`);
  }
  return uuidV5(
    canonicalJson([streamId, expectedKey(expected), index, event.type, event.data, event.metadata]),
  );
}
