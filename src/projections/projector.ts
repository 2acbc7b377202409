import type { DomainEvent } from '../domain/events.js';
import type { RecordedEvent } from '../store/event-store.js';
import type { ProjectionName, ReadOp } from '../store/read-store.js';

/** A projector maps one event to read-model operations; it reads nothing and writes nothing. */
export interface Projector {
  readonly name: ProjectionName;
  project(event: DomainEvent, recorded: RecordedEvent): ReadOp[];
}

/** Unix seconds of the moment an event was recorded. */
export const recordedAt = (recorded: RecordedEvent): number =>
  Math.floor(Date.parse(recorded.metadata.occurredAt) / 1000);
