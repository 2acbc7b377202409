// Tables and the issue's targets, as markdown (printed, and written to bench/results*.md).
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, release, totalmem, type } from 'node:os';
import { loadClientLabel } from './measure.mjs';

/** The middle of `xs` (the mean of the two middle ones for an even count): what the tables report. */
export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** The label of the rows of our server with one worker, when the others run several. */
export const SINGLE = 'ours, 1 worker';
/**
 * The key of the client_credentials run between the code exchange and refresh in each round: the
 * base of their targets, side by side (table.mjs).
 */
export const CC_BESIDE_WRITES = 'cc_between_writes';
/** The hello-world run without its logger: a reference row, not the issue's baseline (decision 0013). */
export const HELLO_SILENT = 'hello-world, logger off';

export function machine() {
  let model = cpus()[0]?.model ?? 'unknown CPU';
  try {
    model = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? model;
  } catch {
    // Not Linux.
  }
  return `nproc ${availableParallelism()}, ${model.trim()}, ${Math.round(totalmem() / 2 ** 30)} GiB RAM, Node ${process.version}, ${type()} ${release()}`;
}

const load = () => loadavg().map((l) => l.toFixed(1)).join(' / ');
/** Taken when this module loads, i.e. when the harness starts. */
const loadAtStart = load();

export function header(title, command, settings) {
  return [
    `# ${title}`,
    '',
    `- date: ${new Date().toISOString()}`,
    `- machine: ${machine()}`,
    `- load average (1/5/15 min) at start: ${loadAtStart}; at the end: ${load()} (anything else running skews the figures)`,
    `- command: \`${command}\``,
    `- ${settings}`,
    '',
  ].join('\n');
}

const fmt = (n, digits = 0) => (n === null || n === undefined || Number.isNaN(n) ? '–' : n.toFixed(digits));
const ms = (n) => (n >= 100 ? fmt(n) : fmt(n, n >= 10 ? 1 : 2));

export function markdownTable(head, body) {
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...body.map(line)].join('\n');
}

/** One table: our scenarios on one target, then the peers; a row with errors is flagged. */
function scenarioTable(rows, target) {
  const mine = rows.filter((r) => r.target === target);
  const peers = rows.filter((r) => ['oidc-provider', 'hello-world', HELLO_SILENT, SINGLE].includes(r.target));
  const suffix = { [SINGLE]: ', 1 worker', [HELLO_SILENT]: ', logger off' };
  const body = [...mine, ...peers].map((r) => [
    r.label + (suffix[r.target] ?? ''),
    fmt(r.rps),
    ms(r.p50),
    ms(r.p99),
    ms(r.serverP99),
    r.errors ? `**${r.errors}** ⚠` : '0',
    r.perRound.map((x) => fmt(x)).join(', ') + (r.poolSpent ? ' (a pool ran out before the end)' : ''),
  ]);
  const table = markdownTable(['scenario', 'req/s (median)', 'p50 ms', 'p99 ms', 'p99 in the server ms', 'errors', 'req/s per round'], body);
  const failures = [...mine, ...peers]
    .filter((r) => r.errors)
    .map((r) => `- ⚠ ${r.label}: ${r.errors} errors, e.g. ${r.failures.map((f) => `\`${f}\``).join('; ')}`);
  return [table, ...(failures.length ? ['', ...failures] : [])].join('\n');
}

/** The issue's targets, as ratios measured side by side in this run. */
function targetTable(rows, target) {
  const get = (t, key) => rows.find((r) => r.target === t && r.key === key);
  const ours = (key) => get(target, key);
  // Side by side: the ratio within each round (same machine state), then the median of those.
  const ratio = (a, b) => {
    if (!a || !b) return NaN;
    const perRound = a.perRound.map((x, i) => x / b.perRound[i]).filter((x) => Number.isFinite(x));
    return perRound.length === 0 ? NaN : median(perRound);
  };
  // Refresh and code exchange against the client_credentials run between them, when the run had
  // one: the round's first client_credentials run is a minute earlier, and this machine's speed
  // moves within a minute (docs/performance.md, "Noise").
  const writesBase = ours(CC_BESIDE_WRITES) ?? ours('client_credentials');
  const checks = [
    ['client_credentials ≥ 2× oidc-provider', ratio(ours('client_credentials'), get('oidc-provider', 'oidc_client_credentials')), 2, '×'],
    ['client_credentials ≥ 50% of hello-world', ratio(ours('client_credentials'), get('hello-world', 'hello')), 0.5, '%'],
    ['introspection ≥ 3× oidc-provider', ratio(ours('introspection'), get('oidc-provider', 'oidc_introspection')), 3, '×'],
    ['introspection ≥ 70% of hello-world', ratio(ours('introspection'), get('hello-world', 'hello')), 0.7, '%'],
    ['refresh ≥ 70% of client_credentials', ratio(ours('refresh'), writesBase), 0.7, '%'],
    ['code exchange ≥ 70% of client_credentials', ratio(ours('code'), writesBase), 0.7, '%'],
  ].map(([name, value, need, unit]) => [
    name,
    unit === '×' ? `${fmt(value, 2)}×` : `${fmt(value * 100)}%`,
    Number.isNaN(value) ? 'not measured' : value >= need ? 'met' : '**not met**',
  ]);
  // Not a target: the hello-world without its logger, while ours still logs each request.
  const silent = ratio(ours('client_credentials'), get(HELLO_SILENT, 'hello'));
  if (!Number.isNaN(silent)) checks.splice(2, 0, ['(reference) client_credentials / hello-world with its logger off', `${fmt(silent * 100)}%`, '–']);
  for (const key of ['client_credentials', 'refresh', 'code', 'introspection']) {
    const r = ours(key);
    const inServer = r && Number.isFinite(r.serverP99) ? ` (in the server ${ms(r.serverP99)} ms)` : '';
    checks.push([`p99 ${key} ≤ 20 ms`, r ? `${ms(r.p99)} ms${inServer}` : '–', !r ? 'not measured' : r.p99 <= 20 ? 'met' : '**not met**']);
  }
  const dirty = rows.filter((r) => r.errors && (r.target === target || !r.target.startsWith('ours')));
  const note = dirty.length ? `\n\n⚠ rows with errors: ${dirty.map((r) => r.label).join(', ')}: their ratios are not to be trusted.` : '';
  return markdownTable(['target (issue 7)', 'measured (median of per-round ratios)', 'status'], checks) + note;
}

export function mainReport({ rows, targets, rss, unquiet = [] }, { command, duration, rounds, warmup, workers }) {
  const titles = { ours: 'Embedded store (SQLite, fsync on)', 'ours (MongoDB read models)': 'MongoDB read models (events in SQLite)' };
  const parts = [
    header(
      'Benchmark: throughput and latency',
      command,
      `${loadClientLabel()}; ${duration} s per run after a ${warmup} s warm-up; ` +
        `${rounds} interleaved round(s), medians of rounds` +
        `${targets.length > 1 ? ' (the MongoDB rounds after the others, compared with the same peer rounds)' : ''}; ` +
        `each run started once the machine was at least 85% idle over 0.3 s (waiting up to 20 s)` +
        `${unquiet.length ? `, except ${unquiet.length}: ${unquiet.slice(0, 5).join(', ')}${unquiet.length > 5 ? ', …' : ''}` : ''}; ` +
        `every server on 127.0.0.1 on the same machine; ` +
        `our server with WORKERS=${workers}${workers > 1 ? ` (rows marked "1 worker": WORKERS=1, on a store of its own; on MongoDB read models: WORKERS=1)` : ''}, the peers in one process each; ` +
        `our server and the hello-world log each request (our default level, fastify's \`logger: true\`), and the hello-world runs once more with its logger off, for reference (decision 0013); output to files`,
    ),
  ];
  for (const target of targets) {
    parts.push(`## ${titles[target] ?? target}`, '', scenarioTable(rows, target), '', targetTable(rows, target), '');
  }
  parts.push(`RSS after the run (MB): ${Object.entries(rss).map(([k, v]) => `${k} ${v}`).join(', ')}`, '');
  return parts.join('\n');
}
