import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { GroupCommitCounts } from './store/open-stores.js';

/** The operator's metrics (Prometheus text at /metrics); one registry per runtime. */
export class Metrics {
  readonly registry = new Registry();

  readonly tokensIssued = new Counter({
    name: 'oauth2_tokens_issued_total',
    help: 'Access tokens issued, by grant type',
    labelNames: ['grant_type'] as const,
    registers: [this.registry],
  });

  readonly errors = new Counter({
    name: 'oauth2_errors_total',
    help: 'OAuth error responses, by error code',
    labelNames: ['error'] as const,
    registers: [this.registry],
  });

  readonly appendSeconds = new Histogram({
    name: 'oauth2_event_append_seconds',
    help: 'Time to append events durably to the event store',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [this.registry],
  });

  readonly projectionLag: Gauge;

  constructor(lagSeconds: () => Promise<number>) {
    this.projectionLag = new Gauge({
      name: 'oauth2_projection_lag_seconds',
      help: 'Age of the oldest event not yet in the read models (0 when caught up)',
      registers: [this.registry],
      // Every worker measures the same stores: across workers, the largest, not the sum.
      aggregator: 'max',
      async collect() {
        this.set(await lagSeconds());
      },
    });
  }

  /**
   * The embedded log's transactions and WAL syncs, beside the appends (the append histogram's
   * count): appends per commit is what group commit achieves, and a sync is most of a commit's
   * cost (decision 0016).
   */
  countGroupCommits(counts: GroupCommitCounts): void {
    const counter = (name: string, help: string, read: () => number) =>
      new Counter({
        name,
        help,
        registers: [this.registry],
        collect() {
          this.reset();
          this.inc(read());
        },
      });
    counter('oauth2_event_log_commits_total', 'Transactions committed to the embedded event log', () => counts.commits);
    counter('oauth2_event_log_syncs_total', 'Syncs (fdatasync) of the embedded event log\'s WAL', () => counts.syncs);
  }
}
