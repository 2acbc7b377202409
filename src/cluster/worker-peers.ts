import { AggregatorRegistry, type Registry } from 'prom-client';
import type { CountersSnapshot, FailureChange } from '../security/throttle.js';
import { type ClusterMessage, isClusterMessage } from './messages.js';

/** How a worker learns what the other workers saw. */
export interface Peers {
  /** Tells the other workers of a change to a brute-force counter. */
  tellThrottle(change: FailureChange): void;
  /** Hears theirs. */
  onThrottle(listener: (change: FailureChange) => void): void;
  /** Every worker's metrics, summed by the supervisor, as Prometheus text. */
  metrics(): Promise<string>;
  /** The supervisor's copy of the brute-force counters; null if it does not answer in time. */
  throttleSnapshot(): Promise<CountersSnapshot | null>;
}

const METRICS_TIMEOUT_MS = 5000;
/** A worker waits this long for the counters before it listens without them. */
const SNAPSHOT_TIMEOUT_MS = 2000;

/**
 * The peers of this process when it is an HTTP worker of `oauth2 serve` with WORKERS > 1
 * (cluster/supervisor.ts relays between them); `registry` is what this worker contributes to
 * /metrics.
 */
export function workerPeers(registry: Registry): Peers {
  // prom-client answers the supervisor's collection requests from these registries, once an
  // AggregatorRegistry exists in this worker (its constructor adds that listener).
  AggregatorRegistry.setRegistries([registry]);
  new AggregatorRegistry();
  const send = (message: ClusterMessage) => process.send?.(message);
  const listeners: Array<(change: FailureChange) => void> = [];
  const waiting = new Map<number, (answer: { text?: string; error?: string }) => void>();
  const snapshotWaiters: Array<(snapshot: CountersSnapshot) => void> = [];
  let nextId = 0;
  process.on('message', (message) => {
    if (!isClusterMessage(message)) return;
    if (message.oauth2 === 'throttle') for (const listener of listeners) listener(message.change);
    if (message.oauth2 === 'metrics') waiting.get(message.id)?.(message);
    if (message.oauth2 === 'throttle-snapshot') for (const resolve of snapshotWaiters.splice(0)) resolve(message.snapshot);
  });
  return {
    tellThrottle: (change) => send({ oauth2: 'throttle', change }),
    throttleSnapshot() {
      return new Promise((resolve) => {
        const timer = setTimeout(() => resolve(null), SNAPSHOT_TIMEOUT_MS);
        snapshotWaiters.push((snapshot) => {
          clearTimeout(timer);
          resolve(snapshot);
        });
        send({ oauth2: 'throttle-snapshot-request' });
      });
    },
    onThrottle: (listener) => void listeners.push(listener),
    metrics() {
      const id = nextId++;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => settle({ error: 'the supervisor did not answer' }), METRICS_TIMEOUT_MS);
        const settle = (answer: { text?: string; error?: string }) => {
          clearTimeout(timer);
          waiting.delete(id);
          if (answer.text !== undefined) resolve(answer.text);
          else reject(new Error(`metrics of the workers: ${answer.error ?? 'no answer'}`));
        };
        waiting.set(id, settle);
        send({ oauth2: 'metrics-request', id });
      });
    },
  };
}
