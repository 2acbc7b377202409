import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
// @ts-expect-error: the bench is plain JavaScript, without type declarations
import { logOffset, quantile, serverLatency } from '../../bench/server-latency.mjs';

const completed = (time: number, responseTime: number) =>
  `${JSON.stringify({ level: 30, time, pid: 1, reqId: 'r', res: { statusCode: 200 }, responseTime, msg: 'request completed' })}\n`;

describe('the server-side latency the benchmark reads from a server output', () => {
  const dirs: string[] = [];
  const logFile = () => {
    const dir = mkdtempSync(join(tmpdir(), 'server-latency-'));
    dirs.push(dir);
    return join(dir, 'output.log');
  };
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it("takes the times of the run's requests only: after the offset, inside the window, complete lines", () => {
    const file = logFile();
    writeFileSync(file, completed(1_000, 500)); // an earlier run's line, before the offset
    const offset = logOffset(file);
    appendFileSync(file, completed(1_999, 400)); // before the window
    for (let i = 1; i <= 100; i++) appendFileSync(file, completed(2_000 + i, i / 10));
    appendFileSync(file, '{"level":30,"time":2050,"msg":"incoming request"}\n'); // no responseTime
    appendFileSync(file, 'a line that is not JSON\n');
    appendFileSync(file, completed(3_001, 300)); // after the window
    appendFileSync(file, completed(2_500, 200).slice(0, 40)); // still being written

    const r = serverLatency(file, offset, 2_000, 3_000);

    expect(r).toEqual({ p50: 5, p99: 9.9, count: 100 });
  });

  it('gives nothing for a server that logged no request (a silent one, or oidc-provider)', () => {
    const file = logFile();
    writeFileSync(file, '{"level":30,"time":2050,"msg":"Server listening"}\n');
    expect(serverLatency(file, 0, 0, 10_000)).toBeNull();
  });

  it('ranks quantiles to the nearest rank', () => {
    const xs = Array.from({ length: 200 }, (_, i) => 200 - i);
    expect(quantile(xs, 0.5)).toBe(100);
    expect(quantile(xs, 0.99)).toBe(198);
    expect(quantile([7], 0.99)).toBe(7);
    expect(quantile([], 0.5)).toBeNaN();
  });
});
