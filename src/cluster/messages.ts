/** What the supervisor and its HTTP workers tell each other over the cluster's IPC channel. */
import type { CountersSnapshot, FailureChange } from '../security/throttle.js';

export type ClusterMessage =
  /** Worker → supervisor → every other worker. */
  | { oauth2: 'throttle'; change: FailureChange }
  /** Worker → supervisor, before it listens: the counters so far, please. */
  | { oauth2: 'throttle-snapshot-request' }
  /** Supervisor → worker: the answer. */
  | { oauth2: 'throttle-snapshot'; snapshot: CountersSnapshot }
  /** Worker → supervisor: the metrics of every worker, please. */
  | { oauth2: 'metrics-request'; id: number }
  /** Supervisor → worker: the answer, as Prometheus text, or why there is none. */
  | { oauth2: 'metrics'; id: number; text?: string; error?: string };

/** Ours, not prom-client's (which shares the channel) or anything else's. */
export function isClusterMessage(message: unknown): message is ClusterMessage {
  return typeof message === 'object' && message !== null && typeof (message as { oauth2?: unknown }).oauth2 === 'string';
}
