import { type DomainEvent, parseEvent } from '../domain/events.js';
import type { RecordedEvent } from '../store/event-store.js';
import type { PositionedOps } from '../store/read-store.js';
import type { Projector } from './projector.js';

/** A recorded event with its domain event (null for a type this version does not know). */
export interface ParsedEvent {
  recorded: RecordedEvent;
  event: DomainEvent | null;
}

/** Validates each event once, however many projectors then read it. */
export const parseRecorded = (events: readonly RecordedEvent[]): ParsedEvent[] =>
  events.map((recorded) => ({ recorded, event: parseEvent(recorded.type, recorded.data) }));

/** The operations a projector makes of parsed events, each with its position. */
export function opsOf(projector: Projector, events: readonly ParsedEvent[]): PositionedOps[] {
  const entries: PositionedOps[] = [];
  for (const { recorded, event } of events) {
    const ops = event ? projector.project(event, recorded) : [];
    if (ops.length > 0) entries.push({ position: recorded.position, ops });
  }
  return entries;
}

/** The operations a projector makes of recorded events, each with its position. */
export const projectEvents = (projector: Projector, events: readonly RecordedEvent[]): PositionedOps[] =>
  opsOf(projector, parseRecorded(events));
