// The main comparison: every scenario against our server and the peers, interleaved in rounds
// (each round runs every scenario once, client_credentials twice, so all see the same machine
// state; the second client_credentials run sits between the code exchange and refresh, as the
// base of their targets), then the rounds on MongoDB read models; medians of rounds. Each run
// starts on a quiet machine (quiet.mjs).
import { errorCount, measure } from './measure.mjs';
import { CC_BESIDE_WRITES, HELLO_SILENT, median, SINGLE } from './report.mjs';
import { freshStore } from './ours.mjs';
import { benchTarget } from './pools.mjs';
import { waitForQuiet } from './quiet.mjs';
import { LINE_DELAY_MS, logOffset, medianServerP99, serverLatency } from './server-latency.mjs';
import { startHello, startOidc, startOurs } from './processes.mjs';
import { OURS, PEERS } from './scenarios.mjs';

const log = (line) => process.stderr.write(`${line}\n`);

/** Pool size for a run of `seconds` at about `rate` req/s, with headroom `margin`. */
const poolSize = (rate, seconds, margin) => Math.ceil(rate * seconds * margin) + 64;

const byKey = (list, key) => list.find((s) => s.key === key);
/** Our scenarios `keys`, in order, each run against `target`. */
const ourRuns = (target, ...keys) => keys.map((key) => ({ scenario: byKey(OURS, key), target }));

/** client_credentials again, between the code exchange and refresh: their targets' base (report.mjs). */
const CC_BESIDE = {
  ...byKey(OURS, 'client_credentials'),
  key: CC_BESIDE_WRITES,
  label: 'client_credentials (Basic), between code exchange and refresh',
};
/** Our writes in a round's order: the code exchange, client_credentials again, refresh. */
const writes = (target) => [...ourRuns(target, 'code'), { scenario: CC_BESIDE, target }, ...ourRuns(target, 'refresh')];

/** The run order of one round on the embedded store, with the peers: related scenarios together. */
function roundOrder(ours, single, peers) {
  const alone = (key) => (single ? ourRuns(single, key) : []);
  const peer = (key, target) => ({ scenario: byKey(PEERS, key), target });
  return [
    ...ourRuns(ours, 'client_credentials'),
    ...alone('client_credentials'),
    peer('oidc_client_credentials', peers.oidc),
    peer('hello', peers.hello),
    peer('hello', peers.helloSilent),
    ...ourRuns(ours, 'introspection'),
    ...alone('introspection'),
    peer('oidc_introspection', peers.oidc),
    ...writes(ours),
    ...ourRuns(ours, 'password', 'revocation', 'me'),
  ];
}

/**
 * The rounds on MongoDB read models come after all the others, not among them: a scenario that
 * outruns the projector (FerretDB scans for the guarded updates) leaves it minutes of work, which
 * would be measured as part of whatever ran next.
 */
const mongoOrder = (target) => [
  ...ourRuns(target, 'client_credentials', 'introspection'),
  ...writes(target),
  ...ourRuns(target, 'password', 'revocation', 'me'),
];

export async function runTable({ duration, rounds, warmup, mongoUrl, workers }) {
  const stores = [await freshStore()];
  if (mongoUrl) stores.push(await freshStore({ mongoUrl }));
  // With several workers, client_credentials and introspection also on one worker, on a store of
  // its own: what a worker adds, side by side.
  const singleStore = workers > 1 ? await freshStore() : null;
  if (singleStore) stores.push(singleStore);
  const started = [];
  const target = async (name, store, WORKERS) => {
    // At the server's default log level, as the hello-world logs each request too (decision 0013).
    const proc = await startOurs({ ...store.env, WORKERS: String(WORKERS) }, { logLevel: null });
    started.push(proc);
    return { ...(await benchTarget(name, proc.url)), proc };
  };
  try {
    const ours = [await target('ours', stores[0], workers)];
    // One worker on MongoDB read models: it runs the projector in process, so the table shows the
    // network hop; workers would each wait for the supervisor's projector through the database.
    if (mongoUrl) ours.push(await target('ours (MongoDB read models)', stores[1], 1));
    const single = singleStore ? await target(SINGLE, singleStore, 1) : null;
    const hello = await startHello();
    started.push(hello);
    const helloSilent = await startHello({ logger: false });
    started.push(helloSilent);
    const oidc = await startOidc();
    started.push(oidc);
    const peers = {
      hello: { name: 'hello-world', url: hello.url, proc: hello },
      helloSilent: { name: HELLO_SILENT, url: helloSilent.url, proc: helloSilent },
      oidc: { name: 'oidc-provider', url: oidc.url },
    };
    const phases = [roundOrder(ours[0], single, peers), ...(ours[1] ? [mongoOrder(ours[1])] : [])];

    // A pooled scenario's pool is sized from its rate in an earlier round, else from its warm-up
    // (with more headroom: a 2 s warm-up runs colder, its first round ran up to 1.65× faster),
    // else from client_credentials' on the same server. The headroom covers the machine's swings
    // from one round to the next (a third or more). A pool spent early still gives a rate, over a
    // shorter run (and the table says so).
    const seen = { warmup: new Map(), round: new Map() };
    const expected = ({ scenario, target }) => {
      const own = `${target.name}/${scenario.key}`;
      const cc = `${target.name}/client_credentials`;
      if (seen.round.has(own)) return { rate: seen.round.get(own), margin: 1.5 };
      if (seen.warmup.get(own) > 0) return { rate: seen.warmup.get(own), margin: 2 };
      return { rate: seen.round.get(cc) ?? seen.warmup.get(cc) ?? 500, margin: 1.3 };
    };
    const results = new Map();
    /** Runs that started while the machine was still busy after waitForQuiet's time-out. */
    const unquiet = [];

    const runOne = async (item, seconds, label) => {
      const gone = started.find((p) => !p.alive());
      if (gone) throw new Error(`${gone.name} is no longer running (its output is above); no figures from here on`);
      const { scenario, target } = item;
      const key = `${target.name}/${scenario.key}`;
      const { rate, margin } = expected(item);
      const n = scenario.pooled ? poolSize(rate, seconds, margin) : 0;
      const quiet = await waitForQuiet();
      if (!quiet.quiet) unquiet.push(`${label} ${key}`);
      if (quiet.waited >= 1) {
        log(`${label.padEnd(9)} (waited ${quiet.waited.toFixed(1)} s for a quiet machine${quiet.quiet ? '' : `; still ${(100 * (1 - quiet.idle)).toFixed(0)}% busy`})`);
      }
      const setupStarted = performance.now();
      let r;
      let setup = 0;
      try {
        const load = await scenario.prepare(target, n);
        setup = (performance.now() - setupStarted) / 1000;
        // The server's own times for this run's requests, from its output file (server-latency.mjs).
        const logFile = label === 'warm-up' ? undefined : target.proc?.logFile;
        const offset = logFile ? logOffset(logFile) : 0;
        const from = Date.now();
        r = await measure(target.url, load, seconds);
        if (logFile) {
          const to = Date.now();
          await new Promise((resolve) => setTimeout(resolve, LINE_DELAY_MS));
          r.server = serverLatency(logFile, offset, from, to);
        }
      } catch (error) {
        // A setup that fails (the server refusing to issue the pool) is this scenario's error.
        const message = error instanceof Error ? error.message : String(error);
        log(`${label.padEnd(9)} ${target.name.padEnd(26)} ${scenario.key.padEnd(24)} FAILED: ${message.slice(0, 300)}`);
        return { rps: 0, p50: NaN, p99: NaN, non2xx: 0, errors: 1, wrong: 0, failures: [`setup: ${message.slice(0, 160)}`], statuses: {}, poolSpent: false, duration: 0 };
      }
      const kind = label === 'warm-up' ? seen.warmup : seen.round;
      kind.set(key, Math.max(r.rps, kind.get(key) ?? 0));
      const errs = errorCount(r);
      log(
        `${label.padEnd(9)} ${target.name.padEnd(26)} ${scenario.key.padEnd(24)} ${r.rps.toFixed(0).padStart(6)} req/s` +
          `  p50 ${r.p50} ms  p99 ${r.p99} ms${r.server ? ` (in the server ${r.server.p99.toFixed(1)})` : ''}${setup >= 0.5 ? `  (setup ${setup.toFixed(1)} s)` : ''}` +
          `${errs ? `  ERRORS ${errs} ${JSON.stringify(r.statuses)} ${r.failures.join(' | ')}` : ''}` +
          `${r.poolSpent ? `  (pool of ${n} spent after ${r.duration} s)` : ''}`,
      );
      return r;
    };

    for (const order of phases) {
      if (warmup > 0) for (const item of order) await runOne(item, warmup, 'warm-up');
      for (let round = 1; round <= rounds; round++) {
        for (const item of order) {
          const r = await runOne(item, duration, `round ${round}`);
          const key = `${item.target.name}/${item.scenario.key}`;
          if (!results.has(key)) results.set(key, { target: item.target.name, scenario: item.scenario, runs: [] });
          results.get(key).runs.push(r);
        }
      }
    }
    const rows = [...results.values()].map(({ target, scenario, runs }) => ({
      target,
      key: scenario.key,
      label: scenario.label,
      rps: median(runs.map((r) => r.rps)),
      p50: median(runs.map((r) => r.p50)),
      p99: median(runs.map((r) => r.p99)),
      serverP99: medianServerP99(runs),
      errors: runs.reduce((sum, r) => sum + errorCount(r), 0),
      failures: [...new Set(runs.flatMap((r) => r.failures))].slice(0, 3),
      poolSpent: runs.some((r) => r.poolSpent),
      perRound: runs.map((r) => r.rps),
    }));
    const rss = {
      ...Object.fromEntries([...ours, ...(single ? [single] : [])].map((t) => [t.name, t.proc.rssMB()])),
      'oidc-provider': oidc.rssMB(),
      'hello-world': hello.rssMB(),
      [HELLO_SILENT]: helloSilent.rssMB(),
    };
    return { rows, targets: ours.map((t) => t.name), rss, unquiet };
  } finally {
    for (const p of started) await p.stop();
    for (const s of stores) await s.remove();
  }
}
