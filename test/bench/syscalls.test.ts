import { describe, expect, it } from 'vitest';
// @ts-expect-error: the bench is plain JavaScript, without type declarations
import { cpuByProcess, formatRun, parsePerfStat, threadTicks } from '../../bench/syscalls.mjs';

// What `perf stat -x, -e task-clock,syscalls:sys_enter_fcntl,...` writes to stderr.
const PERF = [
  '',
  '2012.48,msec,task-clock,2012480000,100.00,0.402,CPUs utilized',
  '2700,,syscalls:sys_enter_fcntl,2012480000,100.00,,',
  '<not counted>,,syscalls:sys_enter_pread64,0,100.00,,',
  '22060,,raw_syscalls:sys_enter,2012480000,100.00,,',
].join('\n');

describe('bench --syscalls: reading perf stat and /proc', () => {
  it('reads each counted event, and leaves out one perf could not count', () => {
    const counts = parsePerfStat(PERF);
    expect(counts.get('task-clock')).toBe(2012.48);
    expect(counts.get('fcntl')).toBe(2700);
    expect(counts.get('raw_syscalls:sys_enter')).toBe(22060);
    expect(counts.has('pread64')).toBe(false);
  });

  it('splits CPU per request into each process main thread and its other threads', () => {
    const roles = new Map([
      ['10', 'supervisor'],
      ['20', 'worker 1'],
    ]);
    const before = new Map([
      ['10/10', 5],
      ['10/11', 100],
      ['20/20', 1000],
    ]);
    // 20/21 began during the run; 30/30 belongs to no process of the server.
    const after = new Map([
      ['10/10', 5],
      ['10/11', 110],
      ['20/20', 1200],
      ['20/21', 30],
      ['30/30', 999],
    ]);
    // 1,000 requests: a tick is 10 ms, so 10 µs a request.
    const byProcess = cpuByProcess(before, after, roles, 1000);
    expect(byProcess.get('supervisor')).toEqual({ main: 0, threads: 100 });
    expect(byProcess.get('worker 1')).toEqual({ main: 2000, threads: 300 });
  });

  it('prints the rate, the CPU and the calls per request', () => {
    const text = formatRun({
      key: 'refresh',
      rps: 4155.4,
      requests: 1000,
      counts: parsePerfStat(PERF),
      byProcess: new Map([['worker 1', { main: 190.4, threads: 12.2 }]]),
    });
    expect(text).toBe(
      [
        'refresh: 4155 req/s; server CPU per request 2012 µs (main thread + other threads, µs: worker 1 190 + 12)',
        '  system calls per request: 22.06 (fcntl 2.70)',
      ].join('\n'),
    );
  });

  it("reads this process's own threads from /proc", () => {
    const ticks = threadTicks([String(process.pid)]);
    expect(ticks.has(`${process.pid}/${process.pid}`)).toBe(true);
    for (const value of ticks.values()) expect(Number.isInteger(value) && value >= 0).toBe(true);
  });
});
