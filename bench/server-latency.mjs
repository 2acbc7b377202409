// The latency a server reports itself: fastify's `responseTime` in each request's "request
// completed" line, from the request's headers parsed to its answer handed to the socket. Beside the
// load generator's p99 it tells what the server's own handling takes from what the requests spend
// waiting to be read, which on a machine that also runs the load generator is mostly waiting for
// a CPU. Read from the server's output file, for the requests answered during one measured run.
import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { median } from './report.mjs';

/** How long the servers may hold a line before writing it (the server's pino flushes every 100 ms). */
export const LINE_DELAY_MS = 250;

const TIME = /"time":(\d+)/;
const RESPONSE_TIME = /"responseTime":([0-9.]+)/;

/** The file's size now: where the next run's lines begin. */
export const logOffset = (file) => statSync(file).size;

/**
 * The responseTime (ms) of every request logged from `offset` on whose line was written between
 * `from` and `to` (epoch ms, the line's `time`). A line still being written at the end is left out.
 */
export function responseTimes(file, offset, from, to) {
  const fd = openSync(file, 'r');
  let text;
  try {
    const length = Math.max(0, fstatSync(fd).size - offset);
    const buffer = Buffer.alloc(length);
    readSync(fd, buffer, 0, length, offset);
    text = buffer.toString('utf8');
  } finally {
    closeSync(fd);
  }
  const times = [];
  for (const line of text.split('\n')) {
    if (!line.endsWith('}')) continue;
    const rt = RESPONSE_TIME.exec(line);
    const at = rt && TIME.exec(line);
    if (!at) continue;
    const t = Number(at[1]);
    if (t >= from && t <= to) times.push(Number(rt[1]));
  }
  return times;
}

/** The p-quantile of `xs` (nearest rank), NaN for none. */
export function quantile(xs, p) {
  if (xs.length === 0) return NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
}

/** p50 and p99 of the server's own times for one run, or null if it logged none. */
export function serverLatency(file, offset, from, to) {
  const times = responseTimes(file, offset, from, to);
  return times.length === 0 ? null : { p50: quantile(times, 0.5), p99: quantile(times, 0.99), count: times.length };
}

/** The median over rounds of the runs' in-server p99, NaN when the server logged none. */
export const medianServerP99 = (runs) => {
  const p99s = runs.map((r) => r.server?.p99).filter((x) => Number.isFinite(x));
  return p99s.length ? median(p99s) : NaN;
};
