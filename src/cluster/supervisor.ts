import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';
import { AggregatorRegistry } from 'prom-client';
import { FailureCounters, type ThrottleConfig } from '../security/throttle.js';
import { isClusterMessage } from './messages.js';

/** A worker that exits after it has served is replaced after this long (not in a tight loop). */
const RESTART_DELAY_MS = 1000;
/** Workers still running this long after SIGTERM are killed. */
const STOP_TIMEOUT_MS = 15_000;

export interface SupervisorOptions {
  workers: number;
  log: Logger;
  /** The brute-force limits: the supervisor keeps a copy of every worker's counters. */
  throttle: ThrottleConfig;
  /** Runs once every worker has exited, before the supervisor does. */
  close(): Promise<void>;
}

/**
 * `oauth2 serve` with WORKERS > 1: forks that many HTTP workers (this same command, as cluster
 * workers), which share the listening port, and keeps them running: one that exits after it
 * listened is replaced, one that fails before it ever listened (a taken port, a bad store) stops
 * the server with exit code 1. It relays the brute-force counters between workers, keeping a copy
 * that each new worker starts from, sums their metrics (cluster/messages.ts), and stops them all
 * on SIGINT or SIGTERM.
 */
export function superviseWorkers({ workers, log, throttle, close }: SupervisorOptions): void {
  const metrics = new AggregatorRegistry();
  // Every change a worker tells passes through here: kept, it is what a new worker starts from.
  const counters = new FailureCounters(throttle);
  const listened = new Set<number>();
  let stopping = false;
  let announced = false;

  const fork = () => cluster.fork();

  cluster.on('listening', (worker, address) => {
    listened.add(worker.id);
    if (!announced && listened.size === workers) {
      announced = true;
      log.info({ address: `http://${address.address}:${address.port}`, workers }, 'oauth2 server listening');
    }
  });

  cluster.on('message', (from: Worker, message: unknown) => {
    if (!isClusterMessage(message)) return;
    if (message.oauth2 === 'throttle') {
      counters.apply(message.change);
      for (const worker of Object.values(cluster.workers ?? {})) if (worker && worker !== from) worker.send(message);
    } else if (message.oauth2 === 'throttle-snapshot-request') {
      from.send({ oauth2: 'throttle-snapshot', snapshot: counters.snapshot() });
    } else if (message.oauth2 === 'metrics-request') {
      metrics.clusterMetrics().then(
        (text) => from.send({ oauth2: 'metrics', id: message.id, text }),
        (error: Error) => from.send({ oauth2: 'metrics', id: message.id, error: error.message }),
      );
    }
  });

  const stop = async (code: number) => {
    stopping = true;
    const running = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
    const exited = running.map((w) => new Promise<void>((resolve) => (w.isDead() ? resolve() : w.once('exit', () => resolve()))));
    for (const worker of running) worker.process.kill('SIGTERM');
    const timer = setTimeout(() => running.forEach((w) => w.process.kill('SIGKILL')), STOP_TIMEOUT_MS);
    await Promise.all(exited);
    clearTimeout(timer);
    await close();
    process.exit(code);
  };

  cluster.on('exit', (worker, code, signal) => {
    if (stopping) return;
    if (code === 0 && signal === null) {
      // It stopped cleanly, on a signal of its own: Ctrl-C reaches the whole process group, and
      // a worker stopped on purpose stays stopped.
      listened.delete(worker.id);
      if (Object.values(cluster.workers ?? {}).every((w) => w === undefined || w.isDead())) void stop(0);
      else log.warn({ worker: worker.id }, 'a worker stopped on a signal of its own; not replacing it');
      return;
    }
    if (!listened.has(worker.id)) {
      log.fatal({ worker: worker.id, code, signal }, 'a worker exited before it listened; stopping');
      void stop(1);
      return;
    }
    listened.delete(worker.id);
    log.error({ worker: worker.id, code, signal }, 'a worker exited; starting another');
    setTimeout(() => stopping || fork(), RESTART_DELAY_MS);
  });

  const onSignal = (signal: string) => {
    if (stopping) return;
    log.info({ signal }, 'shutting down');
    void stop(0);
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));

  for (let i = 0; i < workers; i += 1) fork();
}
