import { comparePositions, type EventStore, type Position } from '../store/event-store.js';

/** Seconds since the oldest event the read models do not reflect yet was recorded; 0 when caught up. */
export async function projectionLagSeconds(events: EventStore, projected: Position | null): Promise<number> {
  const head = await events.headPosition();
  if (!head || (projected && comparePositions(projected, head) >= 0)) return 0;
  const [next] = await events.readAll(projected, 1);
  return next ? Math.max(0, (Date.now() - Date.parse(next.metadata.occurredAt)) / 1000) : 0;
}
