// `--syscalls`: what a request makes the machine do. Our server runs on a fresh store; each
// scenario runs under `perf stat` (system-call tracepoints on every thread of the server's
// processes), and each thread's CPU is read from /proc before and after. Prints per request: the
// server's CPU, by process and thread, and its system calls by kind.
import { execFile, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { errorCount, measure } from './measure.mjs';
import { freshStore } from './ours.mjs';
import { benchTarget, poolFor } from './pools.mjs';
import { childPids, startOurs } from './processes.mjs';
import { OURS } from './scenarios.mjs';

const run = promisify(execFile);
const log = (line) => process.stderr.write(`${line}\n`);

/** The calls counted one by one; the total counts every call. */
export const SYSCALLS = ['fcntl', 'pread64', 'pwrite64', 'fdatasync', 'writev', 'read', 'write', 'futex', 'epoll_pwait'];
export const DEFAULT_SCENARIOS = ['client_credentials', 'code', 'client_credentials', 'refresh'];
const TOTAL = 'raw_syscalls:sys_enter';
const EVENTS = ['task-clock', ...SYSCALLS.map((s) => `syscalls:sys_enter_${s}`), TOTAL];
/** Clock ticks per second of /proc's utime and stime (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

/**
 * `perf stat -x,` output: one `value,unit,event,...` line per event. Returns event → count (task-clock
 * in ms); an event perf could not count is left out.
 */
export function parsePerfStat(text) {
  const counts = new Map();
  for (const line of text.split('\n')) {
    const [value, , event] = line.split(',');
    if (!event || !/^[0-9.]+$/.test(value ?? '')) continue;
    counts.set(event.replace('syscalls:sys_enter_', ''), Number(value));
  }
  return counts;
}

/** Each thread's CPU so far, in clock ticks: `pid/tid` → utime + stime. */
export function threadTicks(pids) {
  const ticks = new Map();
  for (const pid of pids) {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
        // Fields after the command's closing parenthesis: utime and stime are the 12th and 13th.
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        ticks.set(`${pid}/${tid}`, Number(fields[11]) + Number(fields[12]));
      } catch {
        // The thread ended meanwhile.
      }
    }
  }
  return ticks;
}

/**
 * µs of CPU per request by process, its main thread apart from its other threads (V8's helpers,
 * libuv's pool: the WAL syncs; in the supervisor, the WAL checkpointer), from two threadTicks.
 */
export function cpuByProcess(before, after, roles, requests) {
  const perRequest = (ticks) => (ticks * 1e6) / TICKS_PER_SECOND / requests;
  const byProcess = new Map([...roles.values()].map((role) => [role, { main: 0, threads: 0 }]));
  for (const [key, ticks] of after) {
    const [pid, tid] = key.split('/');
    const role = roles.get(pid);
    if (!role) continue;
    const used = perRequest(ticks - (before.get(key) ?? 0));
    byProcess.get(role)[pid === tid ? 'main' : 'threads'] += used;
  }
  return byProcess;
}

/** One scenario's lines of the report. */
export function formatRun({ key, rps, requests, counts, byProcess }) {
  const per = (n) => (n / requests).toFixed(2);
  const total = counts.has(TOTAL) ? per(counts.get(TOTAL)) : '?';
  const cpu = counts.has('task-clock') ? `${((counts.get('task-clock') * 1000) / requests).toFixed(0)} µs` : '?';
  const processes = [...byProcess]
    .map(([role, { main, threads }]) => `${role} ${main.toFixed(0)} + ${threads.toFixed(0)}`)
    .join(', ');
  const calls = SYSCALLS.filter((s) => counts.has(s)).map((s) => `${s} ${per(counts.get(s))}`).join(', ');
  return [
    `${key}: ${rps.toFixed(0)} req/s; server CPU per request ${cpu} (main thread + other threads, µs: ${processes})`,
    `  system calls per request: ${total} (${calls})`,
  ].join('\n');
}

/** Whether perf can count system-call tracepoints here; the reason when it cannot. */
async function perfProblem() {
  try {
    await run('perf', ['stat', '-x,', '-e', TOTAL, 'true']);
    return null;
  } catch (error) {
    return error.code === 'ENOENT'
      ? 'perf is not installed (apt-get install linux-perf)'
      : `perf cannot count system calls here (run as root, or lower kernel.perf_event_paranoid): ${String(error.stderr ?? error.message).trim().split('\n')[0]}`;
  }
}

/** Counts while `during` runs: perf stat attached to `pids`, stopped once it resolves. */
async function countDuring(pids, during) {
  const perf = spawn('perf', ['stat', '-x,', '-e', EVENTS.join(','), '-p', pids.join(',')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let text = '';
  perf.stderr.on('data', (chunk) => (text += chunk));
  const closed = new Promise((resolve) => perf.once('close', resolve));
  // perf attaches to each thread before it counts: give it a moment.
  await new Promise((resolve) => setTimeout(resolve, 200));
  try {
    return { result: await during(), counts: () => closed.then(() => parsePerfStat(text)) };
  } finally {
    perf.kill('SIGINT');
  }
}

export async function runSyscalls({ duration, rounds, warmup, workers, scenarios, mongoUrl }) {
  const problem = await perfProblem();
  if (problem) {
    log(`bench --syscalls: ${problem}`);
    process.exitCode = 1;
    return;
  }
  // On MongoDB read models only our server's processes are counted, not the database's.
  const store = await freshStore({ mongoUrl });
  const proc = await startOurs({ ...store.env, WORKERS: String(workers) }, { logLevel: null });
  try {
    const target = await benchTarget('ours', proc.url);
    const workerPids = childPids(proc.pid);
    const roles = new Map([[String(proc.pid), 'supervisor'], ...workerPids.map((pid, i) => [pid, `worker ${i + 1}`])]);
    const pids = [...roles.keys()];
    log(`our server: supervisor ${proc.pid}, ${workerPids.length} worker(s); ${rounds} round(s) of ${scenarios.join(', ')}, ${duration} s each`);
    const rates = new Map();
    for (let round = 1; round <= rounds; round++) {
      for (const key of scenarios) {
        const scenario = OURS.find((s) => s.key === key);
        // A scenario's first run is warmed up, as the table's are: the JIT's compiling is not
        // counted, and a pooled scenario's pool is then sized from the rate seen.
        if (!rates.has(key) && warmup > 0) {
          const w = await measure(proc.url, await scenario.prepare(target, scenario.pooled ? poolFor(warmup, 2000) : 0), warmup);
          rates.set(key, w.rps);
        }
        // Enough for the run at half again the last rate seen, as --profile sizes its pool.
        const pool = scenario.pooled ? poolFor(duration, (rates.get(key) ?? 2000) * 1.5) : 0;
        const load = await scenario.prepare(target, pool);
        const before = threadTicks(pids);
        const { result: r, counts } = await countDuring(pids, () => measure(proc.url, load, duration));
        const after = threadTicks(pids);
        rates.set(key, r.rps);
        const errors = errorCount(r);
        if (errors > 0) log(`  ${key}: ${errors} errors (${r.failures.join('; ')})`);
        const byProcess = cpuByProcess(before, after, roles, r.total);
        process.stdout.write(`${formatRun({ key: `round ${round} ${key}`, rps: r.rps, requests: r.total, counts: await counts(), byProcess })}\n`);
      }
    }
  } finally {
    await proc.stop();
    await store.remove();
  }
}
