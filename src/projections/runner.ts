import type { Logger } from 'pino';
import {
  comparePositions,
  type EventStore,
  type Position,
  type Subscription,
} from '../store/event-store.js';
import type { GenerationInfo, ReadStore } from '../store/read-store.js';
import { opsOf, parseRecorded, projectEvents } from './project-events.js';
import type { Projector } from './projector.js';
import { startPruning } from './pruner.js';

interface Waiter {
  position: Position;
  resolve: () => void;
  reject: (error: Error) => void;
}

const PAGE = 1000;

/**
 * Runs the projectors over a catch-up subscription. Each generation of each read model keeps its
 * own checkpoint, committed with its rows, so a restart resumes where it stopped and an event is
 * never applied twice; every batch moves the checkpoints, even past events a projector ignores.
 */
export class ProjectionRunner {
  private position: Position | null = null;
  private waiters: Waiter[] = [];
  private subscription: Subscription | null = null;
  private loop: Promise<void> | null = null;
  private stopPruning: (() => void) | null = null;
  private failure: unknown = null;
  private failureListeners: Array<(error: unknown) => void> = [];

  constructor(
    private readonly events: EventStore,
    private readonly reads: ReadStore,
    private readonly projectors: readonly Projector[],
    private readonly log: Logger,
    private readonly now: () => number = () => Math.floor(Date.now() / 1000),
  ) {}

  /** Starts following the log; resolves once the read models have caught up with its head. */
  async start(): Promise<void> {
    const live = (await this.reads.generations()).filter(
      (g) => g.status !== 'building' && this.projectors.some((p) => p.name === g.projection),
    );
    const starts = live.map((g) => g.checkpoint);
    const from = starts.length === 0 || starts.includes(null)
      ? null
      : (starts as Position[]).reduce((a, b) => (comparePositions(a, b) <= 0 ? a : b));
    this.position = from;
    const head = await this.events.headPosition();
    this.subscription = this.events.subscribeAll(from);
    this.loop = this.follow(this.subscription).catch((error: unknown) => this.fail(error));
    this.stopPruning = startPruning(this.reads, this.log, this.now);
    if (head) await this.waitFor(head);
  }

  private fail(error: unknown): void {
    this.failure = error;
    this.log.error({ err: error }, 'projection stopped');
    for (const w of this.waiters.splice(0)) w.reject(new Error('projection stopped'));
    for (const listener of this.failureListeners) listener(error);
  }

  private async follow(sub: Subscription): Promise<void> {
    for await (const batch of sub) {
      const previous = this.position;
      const parsed = parseRecorded(batch.events);
      // The read models are independent of each other (own rows, own checkpoints): on a server
      // each write is a round trip, and a batch waits for the slowest of them, not their sum.
      await Promise.all(
        this.projectors.map(async (projector) => {
          const entries = opsOf(projector, parsed);
          const behind = await this.reads.commit(projector.name, entries, batch.checkpoint, previous);
          for (const generation of behind) await this.catchUp(projector, generation, batch.checkpoint);
        }),
      );
      this.advance(batch.checkpoint);
    }
  }

  /** Brings a generation that went live behind this runner (a rebuild's) up to `until`. */
  private async catchUp(projector: Projector, generation: GenerationInfo, until: Position): Promise<void> {
    this.log.info({ projection: projector.name, generation: generation.generation }, 'catching up a generation');
    let from = generation.checkpoint;
    for (;;) {
      const events = (await this.events.readAll(from, PAGE)).filter((e) => comparePositions(e.position, until) <= 0);
      const last = events.at(-1);
      if (!last) return;
      await this.reads.commitTo(projector.name, generation.generation, projectEvents(projector, events), last.position);
      from = last.position;
    }
  }

  private advance(position: Position): void {
    this.position = position;
    const still: Waiter[] = [];
    for (const w of this.waiters) {
      if (comparePositions(w.position, position) <= 0) w.resolve();
      else still.push(w);
    }
    this.waiters = still;
  }

  /** Resolves once every read model reflects the log up to `position`. */
  waitFor(position: Position): Promise<void> {
    if (this.failure) return Promise.reject(new Error('projection stopped'));
    if (this.position && comparePositions(position, this.position) <= 0) return Promise.resolve();
    return new Promise((resolve, reject) => this.waiters.push({ position, resolve, reject }));
  }

  /** Called if the projections stop on an error (a process should then exit and be restarted). */
  onFailure(listener: (error: unknown) => void): void {
    this.failureListeners.push(listener);
  }

  get checkpoint(): Position | null {
    return this.position;
  }

  get healthy(): boolean {
    return this.failure === null;
  }

  async stop(): Promise<void> {
    this.stopPruning?.();
    await this.subscription?.close();
    await this.loop;
  }
}
