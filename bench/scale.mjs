// `--scale`: flat cost. Two servers, one with 1,000 and one with --tokens live tokens, measured
// interleaved (client_credentials and introspection); start time with that many events in the
// log; projection rebuild rate; RSS; the tokens read model's size against the live tokens.
import { execFile } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { NOT_REVOKED } from '../dist/store/sqlite/read-tables.js';
import { familyRefreshTimes } from './family.mjs';
import { errorCount, loadClientLabel, measure } from './measure.mjs';
import { freshStore } from './ours.mjs';
import { childEnv, oauth2, startOurs } from './processes.mjs';
import { header, markdownTable, median } from './report.mjs';
import { prime } from './pools.mjs';
import { OURS } from './scenarios.mjs';

const log = (line) => process.stderr.write(`${line}\n`);
const LOADER = fileURLToPath(new URL('./load-tokens.mjs', import.meta.url));
const SMALL = 1000;
/** Rotations of the long-lived family: about three months of hourly refreshes. */
const ROTATIONS = 2000;
const num = (n) => Math.round(n).toLocaleString('en-US');
const status = (ok) => (ok ? 'met' : '**not met**');

/** A fresh store with `n` live tokens appended through the store API; the server not yet started. */
async function storeWithTokens(n) {
  const store = await freshStore();
  const sampleFile = join(store.dataDir, 'sample.json');
  log(`loading ${num(n)} TokenIssued events into ${store.dataDir} …`);
  // The loader's progress lines go to our stderr; its one result line comes back on stdout.
  const child = execFile(process.execPath, [LOADER, String(n), sampleFile], {
    env: childEnv({ ...store.env, LOG_LEVEL: 'warn' }),
    maxBuffer: 16 * 1024 * 1024,
  });
  child.stderr.pipe(process.stderr);
  let stdout = '';
  child.stdout.on('data', (d) => (stdout += d));
  const code = await new Promise((resolve) => child.on('close', resolve));
  if (code !== 0) throw new Error(`bench/load-tokens.mjs exited with ${code}`);
  const loaded = JSON.parse(stdout.trim().split('\n').at(-1));
  return { ...store, n, loaded, sample: JSON.parse(readFileSync(sampleFile, 'utf8')) };
}

/** VmRSS and VmHWM (peak) of a process, in MB. */
function memory(pid) {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(text)?.[1] ?? NaN);
  return { rss: Math.round(kb('VmRSS') / 1024), peak: Math.round(kb('VmHWM') / 1024) };
}

/** Rows of the active tokens read model: all of them, and the live ones (active, not expired, not revoked). */
function tokenRows(dataDir) {
  const db = new Database(join(dataDir, 'oauth2.db'), { readonly: true, fileMustExist: true });
  try {
    const g = db.prepare("SELECT generation FROM rm_generations WHERE projection = 'tokens' AND status = 'active'").get();
    const t = `rm_tokens_g${g.generation}`;
    const now = Math.floor(Date.now() / 1000);
    const rows = db.prepare(`SELECT count(*) AS n FROM ${t}`).get().n;
    // Not those of a revoked grant (decision 0017).
    const live = db.prepare(`SELECT count(*) AS n FROM ${t} t WHERE status = 'active' AND expires_at > ? AND ${NOT_REVOKED(t)}`).get(now).n;
    const events = db.prepare('SELECT count(*) AS n FROM events').get().n;
    return { rows, live, events };
  } finally {
    db.close();
  }
}

function fileMB(dataDir) {
  const size = (f) => {
    try {
      return statSync(join(dataDir, f)).size;
    } catch {
      return 0;
    }
  };
  return Math.round((size('oauth2.db') + size('oauth2.db-wal')) / 2 ** 20);
}

export async function runScale({ tokens, duration, rounds, warmup, command }) {
  const big = Math.max(tokens, SMALL);
  const stores = [];
  const procs = [];
  try {
    for (const n of [SMALL, big]) stores.push(await storeWithTokens(n));
    const servers = [];
    for (const store of stores) {
      // First start after the load (which projected each batch as it committed: nothing to catch up).
      const first = await startOurs(store.env, { timeoutMs: 4 * 3600_000 });
      log(`${num(store.n)} tokens: first start after loading ${num(store.n)} events: ${first.startSeconds.toFixed(1)} s`);
      await first.stop();
      // The start that counts: the read models are current, nothing to replay.
      const proc = await startOurs(store.env);
      procs.push(proc);
      await prime(proc.url);
      log(`${num(store.n)} tokens: start ${proc.startSeconds.toFixed(2)} s, RSS ${memory(proc.pid).rss} MB`);
      servers.push({ store, proc, first, idle: memory(proc.pid), name: `${num(store.n)} tokens`, url: proc.url, stock: { access: [], refresh: [] } });
    }

    // Interleaved: client_credentials on each, then introspection on each, every round.
    const cc = OURS.find((s) => s.key === 'client_credentials');
    const introspect = OURS.find((s) => s.key === 'introspection');
    const order = [
      ...servers.map((s) => ({ server: s, scenario: cc })),
      ...servers.map((s) => ({ server: s, scenario: introspect })),
    ];
    for (const s of servers) s.introspectable = s.store.sample; // tokens spread over the whole model
    const results = new Map();
    const once = async ({ server, scenario }, seconds, label) => {
      const r = await measure(server.url, await scenario.prepare(server, 0), seconds);
      const errs = errorCount(r);
      log(
        `${label.padEnd(9)} ${server.name.padEnd(18)} ${scenario.key.padEnd(20)} ${r.rps.toFixed(0).padStart(6)} req/s  p50 ${r.p50} ms  p99 ${r.p99} ms` +
          (errs ? `  ERRORS ${errs} ${JSON.stringify(r.statuses)} ${r.failures.join(' | ')}` : ''),
      );
      return r;
    };
    if (warmup > 0) for (const item of order) await once(item, warmup, 'warm-up');
    for (let round = 1; round <= rounds; round++) {
      for (const item of order) {
        const key = `${item.server.name}/${item.scenario.key}`;
        if (!results.has(key)) results.set(key, []);
        results.get(key).push(await once(item, duration, `round ${round}`));
      }
    }
    const after = servers.map((s) => memory(s.proc.pid));
    const rowsAfter = servers.map((s) => tokenRows(s.store.dataDir));
    const lag = JSON.parse((await oauth2(['projections', 'status', '--json'], stores[1].env)).stdout);
    for (const p of procs) await p.stop();

    // Rebuild every projection of the big store from its log, the server stopped.
    log(`rebuilding the projections of ${num(big)} tokens …`);
    const rebuildStarted = performance.now();
    const { stdout } = await oauth2(['projections', 'rebuild'], stores[1].env);
    const rebuildSeconds = (performance.now() - rebuildStarted) / 1000;
    const rebuilt = [...stdout.matchAll(/^(\w+): rebuilt generation \d+ from (\d+) events in ([\d.]+) s/gm)].map((m) => ({
      projection: m[1],
      events: Number(m[2]),
      seconds: Number(m[3]),
    }));
    log(stdout.trim());

    // On the small store: its own server, restarted in between (see family.mjs).
    const family = await familyRefreshTimes(stores[0].env, { rotations: ROTATIONS, log });
    log(`refresh, family of ${num(ROTATIONS)} rotations: ${family.long.cold.toFixed(1)} ms cold, ${family.long.warm.toFixed(1)} ms warm; of 1: ${family.short.cold.toFixed(1)} ms, ${family.short.warm.toFixed(1)} ms`);

    // ---- the report ----
    const agg = (server, key) => {
      const runs = results.get(`${server.name}/${key}`) ?? [];
      return {
        perRound: runs.map((r) => r.rps),
        rps: median(runs.map((r) => r.rps)),
        p99: median(runs.map((r) => r.p99)),
        errors: runs.reduce((a, r) => a + errorCount(r), 0),
      };
    };
    const [s, b] = servers;
    const flat = ['client_credentials', 'introspection'].map((key) => {
      const x = agg(s, key);
      const y = agg(b, key);
      // Side by side: the change within each round, then the median of those.
      const change = median(y.perRound.map((v, i) => v / x.perRound[i] - 1));
      return [
        key,
        `${num(x.rps)} (p99 ${x.p99.toFixed(1)} ms)`,
        `${num(y.rps)} (p99 ${y.p99.toFixed(1)} ms)`,
        `${(change * 100).toFixed(1)}%`,
        x.errors || y.errors ? `**${x.errors + y.errors} errors** ⚠` : status(change >= -0.15),
      ];
    });
    const tokensRebuild = rebuilt.find((r) => r.projection === 'tokens');
    const rate = (r) => r.events / r.seconds;
    const logEvents = rowsAfter[1].events;
    const facts = [
      [`server start with ${num(logEvents)} events in the log (spawn → /healthz 200)`, `${b.proc.startSeconds.toFixed(2)} s (with ${num(SMALL)}: ${s.proc.startSeconds.toFixed(2)} s)`, '< 2 s', status(b.proc.startSeconds < 2)],
      [
        `first start after the load (its events were projected as they committed)`,
        `${b.first.startSeconds.toFixed(2)} s`,
        '–',
        '–',
      ],
      ...(tokensRebuild
        ? [[
            '`oauth2 projections rebuild`, tokens projection',
            `${num(rate(tokensRebuild))} events/s (${tokensRebuild.seconds} s)`,
            '≥ 50,000 events/s',
            status(rate(tokensRebuild) >= 50_000),
          ]]
        : [['`oauth2 projections rebuild`', 'no output parsed', '≥ 50,000 events/s', '**not measured**']]),
      ...rebuilt
        .filter((r) => r.projection !== 'tokens')
        .map((r) => [`rebuild, ${r.projection} projection`, `${num(rate(r))} events/s (${r.seconds} s)`, '–', '–']),
      [`rebuild of all projections, wall time`, `${rebuildSeconds.toFixed(1)} s for ${num(logEvents)} events`, '–', '–'],
      [
        `RSS at ${num(rowsAfter[1].live)} live tokens`,
        `${b.idle.rss} MB after start; ${after[1].rss} MB after the runs (peak ${after[1].peak} MB); with ${num(SMALL)}: ${after[0].rss} MB`,
        '< 250 MB',
        status(Math.max(b.idle.rss, after[1].rss, after[1].peak) < 250),
      ],
      [
        'tokens read model: rows / live tokens',
        `${num(rowsAfter[1].rows)} / ${num(rowsAfter[1].live)} (database file ${fileMB(b.store.dataDir)} MB)`,
        '–',
        '–',
      ],
      ['projection lag after the runs', lag.projections.map((p) => `${p.projection} ${p.lagEvents}`).join(', '), '0', status(lag.projections.every((p) => p.lagEvents === '0'))],
      [
        `a refresh whose family is not cached (first after a start), family of ${num(family.rotations)} rotations`,
        `${family.long.cold.toFixed(1)} ms (family of 1 rotation: ${family.short.cold.toFixed(1)} ms; once cached: ${family.long.warm.toFixed(1)} and ${family.short.warm.toFixed(1)} ms)`,
        '–',
        '–',
      ],
      [`load of ${num(b.store.n)} TokenIssued events through the store API, projected inline`, `${b.store.loaded.seconds.toFixed(1)} s (${num(b.store.n / b.store.loaded.seconds)} events/s)`, '–', '–'],
    ];
    return [
      header(
        `Benchmark: flat cost, ${num(SMALL)} vs ${num(big)} live tokens`,
        command,
        `embedded SQLite, fsync on, one worker; ${loadClientLabel()}; ${duration} s per run after a ${warmup} s warm-up; ${rounds} interleaved round(s), medians; introspection cycles ${num(b.store.sample.length)} tokens spread over the whole model`,
      ),
      '## Throughput',
      '',
      markdownTable(['scenario', `${num(SMALL)} tokens, req/s (median)`, `${num(big)} tokens, req/s (median)`, 'change (median of per-round changes)', 'within 15%'], flat),
      '',
      '## Start, rebuild, memory, read model',
      '',
      markdownTable(['measure', 'value', 'target', 'status'], facts),
      '',
    ].join('\n');
  } finally {
    for (const p of procs) await p.stop();
    for (const st of stores) await st.remove();
  }
}
