import { describe, expect, it } from 'vitest';
// @ts-expect-error: the bench is plain JavaScript, without type declarations
import { CC_BESIDE_WRITES, mainReport } from '../../bench/report.mjs';

const row = (target: string, key: string, perRound: number[]) => ({
  target,
  key,
  label: key,
  rps: perRound[0],
  p50: 5,
  p99: 15,
  serverP99: 10,
  errors: 0,
  failures: [],
  poolSpent: false,
  perRound,
});

const settings = { command: 'npm run bench', duration: 5, rounds: 2, warmup: 2, workers: 2 };
const report = (rows: ReturnType<typeof row>[]): string => mainReport({ rows, targets: ['ours'], rss: {} }, settings);
const targetLine = (text: string, name: string) => text.split('\n').find((line) => line.startsWith(`| ${name} |`));

describe('the benchmark report: the targets of refresh and code exchange', () => {
  // The machine ran faster by the time of the writes: the first client_credentials run is slower
  // than the one between them.
  const rows = [
    row('ours', 'client_credentials', [1000, 900]),
    row('ours', 'code', [700, 700]),
    row('ours', 'refresh', [980, 1050]),
    row('oidc-provider', 'oidc_client_credentials', [500, 450]),
  ];

  it('compares them with the client_credentials run between them, round by round', () => {
    const text = report([...rows, row('ours', CC_BESIDE_WRITES, [1400, 1400])]);
    expect(targetLine(text, 'code exchange ≥ 70% of client_credentials')).toBe(
      '| code exchange ≥ 70% of client_credentials | 50% | **not met** |',
    );
    expect(targetLine(text, 'refresh ≥ 70% of client_credentials')).toBe('| refresh ≥ 70% of client_credentials | 73% | met |');
    // The peers' targets still use the round's first client_credentials run, beside theirs.
    expect(targetLine(text, 'client_credentials ≥ 2× oidc-provider')).toBe('| client_credentials ≥ 2× oidc-provider | 2.00× | met |');
  });

  it('falls back to the round’s first client_credentials run when the run had none between them', () => {
    const text = report(rows);
    expect(targetLine(text, 'code exchange ≥ 70% of client_credentials')).toBe(
      '| code exchange ≥ 70% of client_credentials | 74% | met |',
    );
    expect(targetLine(text, 'refresh ≥ 70% of client_credentials')).toBe('| refresh ≥ 70% of client_credentials | 107% | met |');
  });
});
