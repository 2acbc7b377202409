import type { Logger } from 'pino';
import { parseEvent } from '../domain/events.js';
import { comparePositions, type EventStore, type Position, type Subscription } from '../store/event-store.js';
import type { ReadOp, ReadStore } from '../store/read-store.js';
import type { Projector } from './projector.js';

interface Waiter {
  position: Position;
  resolve: () => void;
  reject: (error: Error) => void;
}

/**
 * Runs the projectors over a catch-up subscription. Each projector keeps its own checkpoint,
 * committed with its operations, so a restart resumes where it stopped and an event is never
 * applied twice; a batch moves every checkpoint, even past events a projector ignores.
 */
export class ProjectionRunner {
  private position: Position | null = null;
  private waiters: Waiter[] = [];
  private subscription: Subscription | null = null;
  private loop: Promise<void> | null = null;
  private failure: unknown = null;
  private failureListeners: Array<(error: unknown) => void> = [];

  constructor(
    private readonly events: EventStore,
    private readonly reads: ReadStore,
    private readonly projectors: readonly Projector[],
    private readonly log: Logger,
  ) {}

  /** Starts following the log; resolves once the read models have caught up with its head. */
  async start(): Promise<void> {
    const checkpoints = new Map<string, Position | null>();
    for (const p of this.projectors) checkpoints.set(p.name, await this.reads.getCheckpoint(p.name));
    const starts = [...checkpoints.values()];
    const from = starts.includes(null)
      ? null
      : (starts as Position[]).reduce((a, b) => (comparePositions(a, b) <= 0 ? a : b));
    this.position = from;
    const head = await this.events.headPosition();
    this.subscription = this.events.subscribeAll(from);
    this.loop = this.follow(this.subscription, checkpoints).catch((error: unknown) => {
      this.failure = error;
      this.log.error({ err: error }, 'projection stopped');
      for (const w of this.waiters.splice(0)) w.reject(new Error('projection stopped'));
      for (const listener of this.failureListeners) listener(error);
    });
    if (head) await this.waitFor(head);
  }

  private async follow(sub: Subscription, checkpoints: Map<string, Position | null>): Promise<void> {
    for await (const batch of sub) {
      for (const projector of this.projectors) {
        const done = checkpoints.get(projector.name) ?? null;
        const ops: ReadOp[] = [];
        for (const recorded of batch.events) {
          if (done && comparePositions(recorded.position, done) <= 0) continue;
          const event = parseEvent(recorded.type, recorded.data);
          if (event) ops.push(...projector.project(event, recorded));
        }
        await this.reads.commit(projector.name, ops, batch.checkpoint);
        checkpoints.set(projector.name, batch.checkpoint);
      }
      this.advance(batch.checkpoint);
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

  get checkpoint(): Position | null {
    return this.position;
  }

  /** Called if the projections stop on an error (a process should then exit and be restarted). */
  onFailure(listener: (error: unknown) => void): void {
    this.failureListeners.push(listener);
  }

  get healthy(): boolean {
    return this.failure === null;
  }

  async stop(): Promise<void> {
    await this.subscription?.close();
    await this.loop;
  }
}
