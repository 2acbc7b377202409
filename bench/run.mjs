// `npm run bench [-- options]`: the measuring harness of issue 7. See --help.
import { mainReport } from './report.mjs'; // first: the report notes the load average at start
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { useLoadClient } from './measure.mjs';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const HELP = `npm run bench [-- options]

  (default)          every scenario against our server (embedded SQLite, fsync on), oidc-provider
                     and a fastify hello-world, interleaved; writes bench/results.md
  --mongo            also against MongoDB read models (needs MONGODB_URL), as a second table;
                     with --profile or --syscalls: measure the server on MongoDB read models
  --scale            1,000 vs --tokens live tokens, start time, rebuild rate, RSS, read-model size;
                     writes bench/results-scale.md
  --profile          CPU-profile our server under one scenario (--scenario KEY, default
                     client_credentials) and print where its time goes; keeps the .cpuprofile
                     in a temp directory (path printed)
  --syscalls         our server's system calls and CPU per request (perf stat on every thread,
                     /proc), scenario by scenario (--scenario KEY,KEY,... default
                     client_credentials,code,client_credentials,refresh); needs perf
  --compare REV      this tree's server against REV's (a commit, branch or tag, checked out and
                     built in a temporary git worktree), side by side: the scenarios (--scenario
                     KEY,KEY,... default client_credentials,code,refresh) on both in each round,
                     in alternating order; prints medians and the median of per-round ratios
  --duration N       seconds per measured run (default 10)
  --rounds N         interleaved rounds; the table shows medians (default 2)
  --warmup N         seconds of warm-up per scenario (default 2; 0 to skip)
  --tokens N         live tokens for --scale (default 1000000; try 100000 first)
  --workers N        our server's WORKERS for the table (default: one per CPU); with more than
                     one, client_credentials and introspection also run on one worker
  --client NAME      wrk or autocannon (default: wrk where installed, apt-get install wrk)
`;

/** Bad arguments get a line saying what is wrong, not a stack trace. */
function parseOptions() {
  try {
    return parseArgs({
      options: {
        duration: { type: 'string', default: '10' },
        rounds: { type: 'string', default: '2' },
        warmup: { type: 'string', default: '2' },
        tokens: { type: 'string', default: '1000000' },
        mongo: { type: 'boolean', default: false },
        scale: { type: 'boolean', default: false },
        profile: { type: 'boolean', default: false },
        syscalls: { type: 'boolean', default: false },
        compare: { type: 'string' },
        scenario: { type: 'string' },
        workers: { type: 'string', default: String(availableParallelism()) },
        client: { type: 'string' },
        help: { type: 'boolean', default: false },
      },
    }).values;
  } catch (error) {
    process.stderr.write(`bench: ${error.message}; see --help\n`);
    process.exit(2);
  }
}
const values = parseOptions();
if (values.help) {
  process.stdout.write(HELP);
  process.exit(0);
}
const number = (name) => {
  const n = Number(values[name]);
  if (!Number.isFinite(n) || n < 0) {
    process.stderr.write(`bench: --${name} must be a number\n`);
    process.exit(2);
  }
  return n;
};
const opts = {
  duration: number('duration'),
  rounds: Math.max(1, Math.round(number('rounds'))),
  warmup: number('warmup'),
  tokens: Math.round(number('tokens')),
  workers: Math.max(1, Math.round(number('workers'))),
  command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
};
const out = (file) => fileURLToPath(new URL(file, import.meta.url));
if (values.client) {
  try {
    useLoadClient(values.client);
  } catch (error) {
    process.stderr.write(`bench: ${error.message}\n`);
    process.exit(2);
  }
}

const mongoUrl = process.env.MONGODB_URL?.trim();
if (values.mongo && !mongoUrl) {
  process.stderr.write('bench: --mongo needs MONGODB_URL (e.g. `export "$(test/support/ferretdb/start.sh)"`)\n');
  process.exit(2);
}

/** The scenarios --scenario names (or `fallback`), each one of ours; exits on an unknown one. */
async function scenarioKeys(fallback) {
  const { OURS } = await import('./scenarios.mjs');
  const keys = values.scenario === undefined ? fallback : values.scenario.split(',').map((k) => k.trim());
  const unknown = keys.find((key) => !OURS.some((s) => s.key === key));
  if (unknown !== undefined) {
    process.stderr.write(`bench: unknown scenario ${unknown}; one of ${OURS.map((s) => s.key).join(', ')}\n`);
    process.exit(2);
  }
  return keys;
}

if (values.profile) {
  const keys = await scenarioKeys(['client_credentials']);
  if (keys.length > 1) {
    process.stderr.write('bench: --profile takes one scenario\n');
    process.exit(2);
  }
  const [scenario] = keys;
  const { runProfile } = await import('./profile.mjs');
  await runProfile({ ...opts, scenario, mongoUrl: values.mongo ? mongoUrl : undefined });
} else if (values.syscalls) {
  const { DEFAULT_SCENARIOS, runSyscalls } = await import('./syscalls.mjs');
  await runSyscalls({ ...opts, scenarios: await scenarioKeys(DEFAULT_SCENARIOS), mongoUrl: values.mongo ? mongoUrl : undefined });
} else if (values.compare !== undefined) {
  const { DEFAULT_SCENARIOS, resolveRevision, runCompare } = await import('./compare.mjs');
  if (values.mongo) {
    process.stderr.write('bench: --compare runs on the embedded store only, not with --mongo\n');
    process.exit(2);
  }
  try {
    await resolveRevision(values.compare);
  } catch (error) {
    process.stderr.write(`bench: ${error.message}\n`);
    process.exit(2);
  }
  const table = await runCompare({ ...opts, rev: values.compare, scenarios: await scenarioKeys(DEFAULT_SCENARIOS) });
  process.stdout.write(`\n${table}\n`);
} else if (values.scale) {
  const { runScale } = await import('./scale.mjs');
  const report = await runScale(opts);
  process.stdout.write(`\n${report}\n`);
  writeFileSync(out('./results-scale.md'), report);
  process.stderr.write('written to bench/results-scale.md\n');
} else {
  const { runTable } = await import('./table.mjs');
  const result = await runTable({ ...opts, mongoUrl: values.mongo ? mongoUrl : undefined });
  const report = mainReport(result, opts);
  process.stdout.write(`\n${report}\n`);
  writeFileSync(out('./results.md'), report);
  process.stderr.write('written to bench/results.md\n');
}
