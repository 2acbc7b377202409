import type { Logger } from 'pino';
import { AggregateCache } from './commands/aggregate-cache.js';
import type { CommandContext } from './commands/context.js';
import type { Config } from './config.js';
import { OAuthError } from './domain/errors.js';
import { Metrics } from './metrics.js';
import { PROJECTORS } from './projections/all.js';
import { projectionLagSeconds } from './projections/lag.js';
import { CheckpointWaiter } from './projections/checkpoint-waiter.js';
import { projectInline } from './projections/inline.js';
import { startPruning } from './projections/pruner.js';
import { ProjectionRunner } from './projections/runner.js';
import type { EventStore, Position } from './store/event-store.js';
import { instrumentAppends } from './store/instrumented-event-store.js';
import { openStores, type Stores } from './store/open-stores.js';
import type { ReadStore } from './store/read-store.js';

/** How long a command waits for its events to reach the read models before answering 503. */
const PROJECTION_WAIT_MS = 10_000;

export interface Runtime {
  config: Config;
  events: EventStore;
  reads: ReadStore;
  kinds: Stores['kinds'];
  metrics: Metrics;
  /** The projections, when this process runs them on a subscription. */
  runner: ProjectionRunner | null;
  /** True on the embedded store: every append projects itself, in its own transaction. */
  inline: boolean;
  /** The position every read model has reached. */
  projectedPosition(): Promise<Position | null>;
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

/**
 * The composition root: opens the stores the configuration names, starts the projections unless
 * another process runs them, and builds the command context.
 */
export async function openRuntime(
  config: Config,
  log: Logger,
  {
    projections = true,
    awaitProjection = true,
    checkpointWal = true,
  }: {
    projections?: boolean;
    /** false for CLI commands: they append and leave the projecting to whichever projector runs. */
    awaitProjection?: boolean;
    /** false for HTTP workers: their supervisor checkpoints the embedded file's WAL for all. */
    checkpointWal?: boolean;
  } = {},
): Promise<Runtime> {
  const stores = await openStores(config, log, { checkpointWal });
  const { reads } = stores;
  let projected: () => Promise<Position | null> = async () => null;
  const metrics = new Metrics(async () => projectionLagSeconds(stores.events, await projected()));
  const events = instrumentAppends(stores.events, (s) => metrics.appendSeconds.observe(s));
  if (stores.groupCommit) metrics.countGroupCommits(stores.groupCommit);
  const checkpoints = new CheckpointWaiter(reads, PROJECTORS.map((p) => p.name));
  const now = () => Math.floor(Date.now() / 1000);
  const projectorLog = log.child({ component: 'projector' });
  const { embedded } = stores;
  let runner: ProjectionRunner | null = null;
  let stopPruning = () => {};
  try {
    if (embedded) {
      // Every append projects itself (projections/inline.ts); a runner only brings read models
      // that are behind the log (events appended by an older version) up to its head, once.
      projectInline(embedded.events, embedded.reads, PROJECTORS, embedded.forget);
      const catchUp = new ProjectionRunner(stores.events, reads, PROJECTORS, projectorLog, now);
      await catchUp.start();
      await catchUp.stop();
      if (projections) stopPruning = startPruning(reads, projectorLog, now);
    } else if (projections) {
      runner = new ProjectionRunner(events, reads, PROJECTORS, projectorLog, now);
      await runner.start();
    }
  } catch (error) {
    await stores.close();
    throw error;
  }
  // Stored checkpoints where no runner holds one: with inline projection they are at the head
  // unless another writer left events unprojected, which the lag then shows.
  projected = async () => runner?.checkpoint ?? checkpoints.reached();
  const wait = runner ? (p: Position) => runner.waitFor(p) : (p: Position) => checkpoints.waitFor(p);
  const ctx: CommandContext = {
    events,
    reads,
    config,
    now,
    aggregates: new AggregateCache(),
    inlineProjection: embedded !== null,
    // Inline projection: an append has resolved only once its rows are committed with it.
    waitForProjection:
      awaitProjection && !embedded ? (position) => withTimeout(wait(position), PROJECTION_WAIT_MS) : async () => {},
  };
  return {
    config,
    events,
    reads,
    kinds: stores.kinds,
    metrics,
    runner,
    inline: embedded !== null,
    projectedPosition: projected,
    ctx,
    async close() {
      stopPruning();
      await runner?.stop();
      await stores.close();
    },
  };
}
