// `--profile`: our server under --cpu-prof for one scenario; prints where its main thread spends
// the measured window (self time by function and by area, inclusive time of our own functions).
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { errorCount, measure } from './measure.mjs';
import { freshStore } from './ours.mjs';
import { benchTarget, poolFor } from './pools.mjs';
import { startOurs } from './processes.mjs';
import { OURS } from './scenarios.mjs';

const log = (line) => process.stderr.write(`${line}\n`);

/** The area a frame belongs to, by its script URL. */
function area(url) {
  if (!url) return null;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1];
  if (url.startsWith('node:')) return 'node core';
  const dist = /\/dist\/([^/]+)\//.exec(url);
  if (dist) return `ours: ${dist[1]}`;
  return url;
}

/** Summarizes the samples of `profile` taken in the last `fromEnd` .. `toEnd` µs before its end. */
export function summarize(profile, { fromEnd, toEnd }) {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const frameKey = (n) => {
    const { functionName, url, lineNumber } = n.callFrame;
    const file = url ? url.replace(/^.*\/(node_modules|dist)\//, '$1/').replace(/^file:\/\//, '') : '';
    return `${functionName || '(anonymous)'}${file ? ` ${file}:${lineNumber + 1}` : ''}`;
  };
  // A native frame (no URL) belongs to the area of the script that called it.
  const areaOf = (id) => {
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
      const n = nodes.get(cur);
      const name = n.callFrame.functionName;
      if (name === '(garbage collector)' || name === '(idle)' || name === '(program)') return name;
      const a = area(n.callFrame.url);
      if (a) return a;
    }
    return '(root)';
  };
  // Sample times: startTime plus the running sum of timeDeltas.
  let t = profile.startTime;
  const windowStart = profile.endTime - fromEnd;
  const windowEnd = profile.endTime - toEnd;
  const self = new Map();
  const areas = new Map();
  const inclusive = new Map();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    t += dt;
    if (t < windowStart || t > windowEnd) return;
    total += dt;
    const n = nodes.get(id);
    const key = frameKey(n);
    self.set(key, (self.get(key) ?? 0) + dt);
    const a = areaOf(id);
    areas.set(a, (areas.get(a) ?? 0) + dt);
    const seen = new Set();
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
      const frame = nodes.get(cur);
      if (!frame.callFrame.url.includes('/dist/')) continue;
      const k = frameKey(frame);
      if (seen.has(k)) continue;
      seen.add(k);
      inclusive.set(k, (inclusive.get(k) ?? 0) + dt);
    }
  });
  const top = (map, n) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, v]) => `${((100 * v) / total).toFixed(1).padStart(5)}%  ${k}`);
  return [
    `main-thread samples in the measured window: ${(total / 1e6).toFixed(1)} s`,
    '',
    'self time by area:',
    ...top(areas, 15),
    '',
    'self time by function (top 25):',
    ...top(self, 25),
    '',
    'inclusive time of our functions (dist/, top 25):',
    ...top(inclusive, 25),
  ].join('\n');
}

/** The event-append histogram's sum and count, from /metrics. */
async function appendStats(url) {
  const text = await (await fetch(`${url}/metrics`)).text();
  const total = (name) =>
    [...text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)$`, 'gm'))].reduce((a, m) => a + Number(m[1]), 0);
  return {
    sum: total('oauth2_event_append_seconds_sum'),
    count: total('oauth2_event_append_seconds_count'),
    commits: total('oauth2_event_log_commits_total'),
    syncs: total('oauth2_event_log_syncs_total'),
  };
}

export async function runProfile({ duration, warmup, scenario: key, mongoUrl }) {
  const scenario = OURS.find((s) => s.key === key);
  if (!scenario) throw new Error(`unknown scenario ${key}; one of ${OURS.map((s) => s.key).join(', ')}`);
  const dir = mkdtempSync(join(tmpdir(), 'oauth2-bench-profile-'));
  const store = await freshStore({ mongoUrl });
  const proc = await startOurs(store.env, { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`], logLevel: null });
  try {
    const target = await benchTarget('ours', proc.url);
    let rate = 500;
    if (warmup > 0) {
      const w = await measure(proc.url, await scenario.prepare(target, scenario.pooled ? poolFor(warmup, rate) : 0), warmup);
      rate = Math.max(rate, w.rps);
    }
    const load = await scenario.prepare(target, scenario.pooled ? poolFor(duration, rate * 1.5) : 0);
    const before = await appendStats(proc.url);
    const started = performance.now();
    const r = await measure(proc.url, load, duration);
    const ended = performance.now();
    const after = await appendStats(proc.url);
    log(`${key}: ${r.rps.toFixed(0)} req/s, p50 ${r.p50} ms, p99 ${r.p99} ms, ${errorCount(r)} errors (profiled)`);
    const appends = after.count - before.count;
    if (appends > 0) {
      log(`appends during the run: ${appends}, mean append time (queue + group commit) ${((1000 * (after.sum - before.sum)) / appends).toFixed(2)} ms`);
      const commits = after.commits - before.commits;
      if (commits > 0) {
        log(`commits: ${commits} (${(appends / commits).toFixed(1)} appends each), WAL syncs: ${after.syncs - before.syncs}`);
      }
    }
    await proc.stop();
    const stopped = performance.now();
    const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
    if (!file) throw new Error(`no .cpuprofile written in ${dir}`);
    const profile = JSON.parse(readFileSync(join(dir, file), 'utf8'));
    // Window: the run, measured back from the profile's end (the exit), less 0.25 s at each end
    // for the time the shutdown and the profile's writing take.
    const us = (ms) => Math.round(ms * 1000);
    const window = { fromEnd: us(stopped - started - 250), toEnd: us(stopped - ended + 250) };
    process.stdout.write(`${summarize(profile, window)}\n`);
    log(`profile: ${join(dir, file)} (open it in Chrome DevTools, Performance)`);
  } finally {
    await proc.stop();
    await store.remove();
  }
}
