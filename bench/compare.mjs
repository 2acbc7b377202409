// `--compare REV`: this tree's server against another revision's, side by side. REV is checked out
// in a temporary git worktree and built there (with this tree's node_modules); each server gets a
// fresh store of its own, and every round runs the scenarios on both, in an order that alternates
// from round to round, so that the machine's swings fall on both alike. Ratios are per round.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { errorCount, measure } from './measure.mjs';
import { freshStore } from './ours.mjs';
import { benchTarget, poolFor } from './pools.mjs';
import { startOurs } from './processes.mjs';
import { waitForQuiet } from './quiet.mjs';
import { markdownTable, median } from './report.mjs';
import { OURS } from './scenarios.mjs';

export const DEFAULT_SCENARIOS = ['client_credentials', 'code', 'refresh'];
const THIS_TREE = 'this tree';
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const run = promisify(execFile);
const log = (line) => process.stderr.write(`${line}\n`);

/** The commit `rev` names; throws a one-line error when it names none. */
export async function resolveRevision(rev) {
  try {
    return (await run('git', ['rev-parse', '--verify', '--quiet', `${rev}^{commit}`], { cwd: ROOT })).stdout.trim();
  } catch {
    throw new Error(`--compare: ${rev} names no commit here`);
  }
}

/** `rev` checked out and built in a temporary worktree: its CLI, and how to remove it. */
async function buildRevision(rev) {
  const parent = mkdtempSync(join(tmpdir(), 'oauth2-bench-compare-'));
  const dir = join(parent, 'tree');
  const remove = async () => {
    await run('git', ['worktree', 'remove', '--force', dir], { cwd: ROOT }).catch(() => {});
    rmSync(parent, { recursive: true, force: true });
  };
  try {
    await run('git', ['worktree', 'add', '--detach', dir, rev], { cwd: ROOT });
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
    await run('npm', ['run', 'build', '--silent'], { cwd: dir });
  } catch (error) {
    await remove();
    throw new Error(`cannot build ${rev}: ${(error.stderr || error.message).trim()}`);
  }
  return { cli: join(dir, 'dist', 'cli', 'main.js'), remove };
}

const rate = (n) => n.toFixed(0);

/**
 * The comparison as markdown: for each scenario (in the order run), each side's median req/s and
 * p99, the median of the per-round ratios (this tree / `rev`), and how many rounds this tree won.
 * `runs[side][scenario]` holds one measure() result per round, `rev`'s side first.
 */
export function compareTable(rev, scenarios, [base, current]) {
  const head = ['scenario', `${rev} req/s`, `${THIS_TREE} req/s`, `ratio (median of rounds)`, 'rounds faster', `${rev} p99 ms`, `${THIS_TREE} p99 ms`, 'errors'];
  const body = scenarios.map((key, j) => {
    const ratios = current[j].map((r, round) => r.rps / base[j][round].rps);
    const errors = [...base[j], ...current[j]].reduce((sum, r) => sum + errorCount(r), 0);
    return [
      key,
      rate(median(base[j].map((r) => r.rps))),
      rate(median(current[j].map((r) => r.rps))),
      median(ratios).toFixed(3),
      `${ratios.filter((x) => x > 1).length} of ${ratios.length}`,
      median(base[j].map((r) => r.p99)).toFixed(1),
      median(current[j].map((r) => r.p99)).toFixed(1),
      errors === 0 ? '0' : `**${errors}**`,
    ];
  });
  return markdownTable(head, body);
}

export async function runCompare({ rev, scenarios, rounds, duration, warmup, workers }) {
  const base = await buildRevision(rev);
  const sides = [{ name: rev, cli: base.cli }, { name: THIS_TREE }];
  const cleanups = [base.remove];
  try {
    for (const side of sides) {
      const store = await freshStore({ cli: side.cli });
      cleanups.unshift(() => store.remove());
      const proc = await startOurs({ ...store.env, WORKERS: String(workers) }, { logLevel: null, cli: side.cli });
      cleanups.unshift(() => proc.stop());
      side.target = await benchTarget(side.name, proc.url);
    }
    // A pooled scenario's pool is sized from that side's last rate for it (else for
    // client_credentials), with room for the machine's swings.
    const rates = new Map();
    const once = async (side, key, seconds) => {
      const scenario = OURS.find((s) => s.key === key);
      const expected = rates.get(`${side.name}/${key}`) ?? rates.get(`${side.name}/client_credentials`) ?? 500;
      const load = await scenario.prepare(side.target, scenario.pooled ? poolFor(seconds, expected * 1.5) : 0);
      await waitForQuiet();
      const r = await measure(side.target.url, load, seconds);
      rates.set(`${side.name}/${key}`, r.rps);
      return r;
    };
    if (warmup > 0) {
      for (const side of sides) for (const key of new Set(['client_credentials', ...scenarios])) await once(side, key, warmup);
    }
    const runs = sides.map(() => scenarios.map(() => []));
    for (let round = 0; round < rounds; round++) {
      for (const i of round % 2 ? [1, 0] : [0, 1]) {
        for (const [j, key] of scenarios.entries()) {
          const r = await once(sides[i], key, duration);
          runs[i][j].push(r);
          const errors = errorCount(r);
          log(`round ${round + 1}  ${sides[i].name.padEnd(12)} ${key.padEnd(20)} ${rate(r.rps).padStart(6)} req/s  p99 ${r.p99} ms${errors ? `  ${errors} errors` : ''}`);
        }
      }
    }
    return compareTable(rev, scenarios, runs);
  } finally {
    for (const cleanup of cleanups) await cleanup();
  }
}
