import { describe, expect, it } from 'vitest';
// @ts-expect-error: the bench is plain JavaScript, without type declarations
import { compareTable } from '../../bench/compare.mjs';

/** A measure() result with what the table reads. */
const result = (rps: number, p99: number, non2xx = 0) => ({ rps, p99, non2xx, errors: 0, wrong: 0, stalled: false });

describe('bench --compare: the side-by-side table', () => {
  const table: string = compareTable(
    'HEAD~1',
    ['client_credentials', 'refresh'],
    [
      [
        [result(1000, 20), result(1200, 30), result(900, 25)],
        [result(500, 40), result(600, 50), result(550, 45)],
      ],
      [
        [result(1100, 18), result(1140, 19), result(990, 21)],
        [result(600, 35), result(540, 44, 3), result(440, 60)],
      ],
    ],
  );
  const rows = table.split('\n');

  it('names both sides in its head', () => {
    expect(rows[0]).toBe(
      '| scenario | HEAD~1 req/s | this tree req/s | ratio (median of rounds) | rounds faster | HEAD~1 p99 ms | this tree p99 ms | errors |',
    );
  });

  it('gives medians of each side, and the median of the per-round ratios (not the ratio of the medians)', () => {
    // Ratios by round: 1.1, 0.95, 1.1.
    expect(rows[2]).toBe('| client_credentials | 1000 | 1100 | 1.100 | 2 of 3 | 25.0 | 19.0 | 0 |');
    // Ratios by round: 1.2, 0.9, 0.8, where the medians' ratio would be 540 / 550 = 0.982.
    expect(rows[3]).toBe('| refresh | 550 | 540 | 0.900 | 1 of 3 | 45.0 | 44.0 | **3** |');
  });
});
