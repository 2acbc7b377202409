import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { PROJECTORS } from '../../src/projections/all.js';
import { ProjectionRunner } from '../../src/projections/runner.js';
import type { ReadStore } from '../../src/store/read-store.js';
import { openDatabase } from '../../src/store/sqlite/database.js';
import { SqliteEventStore } from '../../src/store/sqlite/sqlite-event-store.js';
import { SqliteReadStore } from '../../src/store/sqlite/sqlite-read-store.js';

describe('ProjectionRunner', () => {
  it("commits a batch to every read model side by side, and counts it projected once all of them have it", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'oauth2-runner-'));
    const events = new SqliteEventStore(openDatabase(dir, 'events.db'));
    const inner = new SqliteReadStore(openDatabase(dir, 'reads.db'));
    // Each commit takes a while, as a round trip to a server does.
    let inFlight = 0;
    let mostAtOnce = 0;
    const committed: string[] = [];
    const reads: ReadStore = Object.assign(Object.create(inner) as SqliteReadStore, {
      commit: async (...args: Parameters<ReadStore['commit']>) => {
        inFlight += 1;
        mostAtOnce = Math.max(mostAtOnce, inFlight);
        await new Promise((resolve) => setTimeout(resolve, 20));
        try {
          return await inner.commit(...args);
        } finally {
          inFlight -= 1;
          committed.push(args[0]);
        }
      },
    });
    const runner = new ProjectionRunner(events, reads, PROJECTORS, pino({ level: 'silent' }));
    await runner.start();
    try {
      const { position } = await events.append(
        'scope-read',
        [{ type: 'ScopeDefined', data: { name: 'read', description: 'Read', isDefault: true }, metadata: { occurredAt: new Date().toISOString() } }],
        'no_stream',
      );
      await runner.waitFor(position);
      // Every read model had the batch by then, and they had it at once, not one after another.
      expect([...committed].sort()).toEqual(PROJECTORS.map((p) => p.name).sort());
      expect(mostAtOnce).toBe(PROJECTORS.length);
      expect((await inner.listScopes()).map((s) => s.name)).toEqual(['read']);
      for (const p of PROJECTORS) expect(await inner.getCheckpoint(p.name)).toEqual(position);
    } finally {
      await runner.stop();
      await events.close();
    }
  });
});
