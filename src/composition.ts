import type { Logger } from 'pino';
import type { CommandContext } from './commands/context.js';
import type { Config } from './config.js';
import { OAuthError } from './domain/errors.js';
import { PROJECTORS } from './projections/all.js';
import { ProjectionRunner } from './projections/runner.js';
import type { EventStore, Position } from './store/event-store.js';
import type { ReadStore } from './store/read-store.js';
import { openDatabase } from './store/sqlite/database.js';
import { SqliteEventStore } from './store/sqlite/sqlite-event-store.js';
import { SqliteReadStore } from './store/sqlite/sqlite-read-store.js';

/** How long a command waits for its events to reach the read models before answering 503. */
const PROJECTION_WAIT_MS = 10_000;

export interface Runtime {
  config: Config;
  events: EventStore;
  reads: ReadStore;
  runner: ProjectionRunner;
  ctx: CommandContext;
  close(): Promise<void>;
}

function withTimeout(wait: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new OAuthError('temporarily_unavailable', 'the read models are lagging; try again')),
      ms,
    );
  });
  return Promise.race([wait, timeout]).finally(() => clearTimeout(timer));
}

/** The composition root: opens the stores, starts the projections, and builds the command context. */
export async function openRuntime(config: Config, log: Logger): Promise<Runtime> {
  const eventsDb = openDatabase(config.DATA_DIR);
  // The read models have their own connection: they can be rebuilt from the log, so their
  // commits skip the fsync the events need (a crash only rolls them back to a checkpoint).
  const readsDb = openDatabase(config.DATA_DIR);
  readsDb.pragma('synchronous = NORMAL');
  const events = new SqliteEventStore(eventsDb);
  const reads = new SqliteReadStore(readsDb);
  const runner = new ProjectionRunner(events, reads, PROJECTORS, log.child({ component: 'projector' }));
  await runner.start();
  const ctx: CommandContext = {
    events,
    reads,
    config,
    now: () => Math.floor(Date.now() / 1000),
    waitForProjection: (position: Position) => withTimeout(runner.waitFor(position), PROJECTION_WAIT_MS),
  };
  return {
    config,
    events,
    reads,
    runner,
    ctx,
    async close() {
      await runner.stop();
      await events.close();
      await reads.close();
      eventsDb.close();
      readsDb.close();
    },
  };
}
