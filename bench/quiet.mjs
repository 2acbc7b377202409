// Waits, before each measured run, for the machine to be quiet: work left over from the run before
// (a projector catching up after a stalled scenario, a WAL checkpoint, FerretDB scanning) would
// otherwise be measured as part of the next one.
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** Idle and total CPU time of the whole machine (all CPUs), from /proc/stat; null elsewhere. */
function cpuTimes() {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0].trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal: idle and iowait are idle.
    const total = fields.slice(0, 8).reduce((a, b) => a + b, 0);
    return { idle: fields[3] + fields[4], total };
  } catch {
    return null;
  }
}

/**
 * Resolves once a window of `windowMs` had at least `idleShare` of the machine's CPU time idle, or
 * after `timeoutMs`; says how long it waited, and whether the machine ever got quiet.
 */
export async function waitForQuiet({ idleShare = 0.85, windowMs = 300, timeoutMs = 20_000 } = {}) {
  const started = performance.now();
  let before = cpuTimes();
  if (!before) return { waited: 0, quiet: true, idle: NaN };
  let idle = 0;
  while (performance.now() - started < timeoutMs) {
    await sleep(windowMs);
    const after = cpuTimes();
    const total = after.total - before.total;
    idle = total > 0 ? (after.idle - before.idle) / total : 1;
    before = after;
    if (idle >= idleShare) return { waited: (performance.now() - started) / 1000, quiet: true, idle };
  }
  return { waited: (performance.now() - started) / 1000, quiet: false, idle };
}
