import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { PROJECTORS } from '../projections/all.js';
import { dropRetired, type RebuildProgress, rebuildProjection } from '../projections/rebuild.js';
import { comparePositions, formatPosition, type EventStore, type Position } from '../store/event-store.js';
import { withRuntime } from './runtime-command.js';

const LAG_COUNT_LIMIT = 100_000;

/** A progress bar with events/s and ETA on a terminal; a plain line every 2 s otherwise. */
function progressReporter(name: string): { update(p: RebuildProgress): void; done(): void } {
  const started = Date.now();
  const rate = (events: number) => Math.round(events / Math.max(0.001, (Date.now() - started) / 1000));
  if (process.stderr.isTTY) {
    const bar = new SingleBar({
      stream: process.stderr,
      format: `${name.padEnd(8)} [{bar}] {percentage}% | {events} events | {rate} events/s | ETA {eta_formatted}`,
      hideCursor: true,
    });
    bar.start(1000, 0, { events: 0, rate: 0 });
    return {
      update: (p) => bar.update(Math.round(p.fraction * 1000), { events: p.events, rate: rate(p.events) }),
      done: () => bar.stop(),
    };
  }
  let lastLine = 0;
  return {
    update(p) {
      if (Date.now() - lastLine < 2000) return;
      lastLine = Date.now();
      process.stderr.write(`${name}: ${p.events} events, ${Math.round(p.fraction * 100)}%, ${rate(p.events)} events/s\n`);
    },
    done: () => undefined,
  };
}

async function lag(events: EventStore, checkpoint: Position | null): Promise<{ events: string; seconds: number }> {
  const behind = await events.readAll(checkpoint, LAG_COUNT_LIMIT);
  const first = behind[0];
  return {
    events: behind.length >= LAG_COUNT_LIMIT ? `>${LAG_COUNT_LIMIT}` : String(behind.length),
    seconds: first ? Math.max(0, Math.round((Date.now() - Date.parse(first.metadata.occurredAt)) / 1000)) : 0,
  };
}

export function projectionCommands(program: Command): void {
  const projections = program.command('projections').description('inspect and rebuild the read models');

  projections
    .command('rebuild')
    .description('replay the log into fresh read models, then switch readers over; the server keeps serving')
    .option('--projection <name>', `one of ${PROJECTORS.map((p) => p.name).join(', ')} (default: all)`)
    .action(async (o: { projection?: string }) => {
      const chosen = o.projection ? PROJECTORS.filter((p) => p.name === o.projection) : PROJECTORS;
      if (chosen.length === 0) program.error(`unknown projection: ${o.projection}`);
      await withRuntime(async ({ events, reads }) => {
        for (const projector of chosen) {
          const started = Date.now();
          const progress = progressReporter(projector.name);
          const result = await rebuildProjection(events, reads, projector, {
            onProgress: (p) => progress.update(p),
            retireAfterMs: null,
          });
          progress.done();
          const seconds = (Date.now() - started) / 1000;
          console.log(
            `${projector.name}: rebuilt generation ${result.generation} from ${result.events} events in ${seconds.toFixed(1)} s`,
          );
        }
        // Readers look for the active generation every 0.5 s: give them time before the old ones go.
        await dropRetired(reads, chosen.map((p) => p.name), 2000);
        console.log('old generations dropped');
      });
    });

  projections
    .command('status')
    .description("each projection's generation, checkpoint and lag")
    .option('--json', 'machine-readable output')
    .action(async (o: { json?: boolean }) => {
      await withRuntime(async ({ events, reads }) => {
        const head = await events.headPosition();
        const rows = [];
        for (const g of await reads.generations()) {
          const l = await lag(events, g.checkpoint);
          const current = !!head && !!g.checkpoint && comparePositions(g.checkpoint, head) >= 0;
          rows.push({
            projection: g.projection,
            generation: g.generation,
            status: g.status,
            checkpoint: g.checkpoint ? formatPosition(g.checkpoint) : null,
            lagEvents: head && !current ? l.events : '0',
            lagSeconds: l.seconds,
          });
        }
        if (o.json) {
          console.log(JSON.stringify({ head: head ? formatPosition(head) : null, projections: rows }, null, 2));
          return;
        }
        console.log(`log head: ${head ? formatPosition(head) : '(empty)'}`);
        console.table(rows);
      });
    });
}
