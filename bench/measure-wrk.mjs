// One wrk run (32 connections, one thread), with the same `load` and result as measure.mjs. wrk
// is C and takes a fraction of the CPU autocannon needs for the same rate: on a 2-core machine
// that leaves the servers more of the second core. Its Lua script is written per run: it sends
// the load's requests (one per pool item, or cycled), keeps every response's status (and body,
// when the load verifies or captures them) in a file, and its timing in another.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const lua = (s) => JSON.stringify(String(s)); // a JSON string is a valid Lua string literal here (no control characters)
const luaTable = (o) => `{ ${Object.entries(o).map(([k, v]) => `[${lua(k)}] = ${lua(v)}`).join(', ')} }`;

/** One line per request: its body, then header name and value pairs, tab-separated. */
function itemLine({ body = '', headers = {} }) {
  const fields = [body, ...Object.entries(headers).flat()].map(String);
  if (fields.some((f) => /[\t\r\n]/.test(f))) throw new Error('a request field holds a tab or a line break');
  return fields.join('\t');
}

function script({ method, path, headers, body, items, pooled, keepBodies, responses, summary }) {
  return `
local ffi = require("ffi")
ffi.cdef[[ typedef struct { long tv_sec; long tv_nsec; } bench_ts; int clock_gettime(int, bench_ts *); ]]
local ts = ffi.new("bench_ts")
local function now() ffi.C.clock_gettime(1, ts); return tonumber(ts.tv_sec) + tonumber(ts.tv_nsec) * 1e-9 end
local base = ${luaTable(headers)}
local requests = {}
local function add(b, extra)
  local h = {}
  for k, v in pairs(base) do h[k] = v end
  for k, v in pairs(extra) do h[k] = v end
  requests[#requests + 1] = wrk.format(${lua(method)}, ${lua(path)}, h, b)
end
-- Built in init, once wrk has set the Host header that every request needs.
function init(args)
${
  items
    ? `  for line in io.lines(${lua(items)}) do
    local fields = {}
    for f in (line .. "\\t"):gmatch("([^\\t]*)\\t") do fields[#fields + 1] = f end
    local extra = {}
    for i = 2, #fields - 1, 2 do extra[fields[i]] = fields[i + 1] end
    add(fields[1] ~= "" and fields[1] or nil, extra)
  end`
    : `  add(${body === undefined ? 'nil' : lua(body)}, {})`
}
end
local out = io.open(${lua(responses)}, "w")
n, first, last, spent = 0, nil, nil, false
local threads = {}
function setup(thread) threads[#threads + 1] = thread end
function request()
  n = n + 1
  if n > #requests then
    ${pooled ? 'spent = true; wrk.thread:stop(); n = #requests' : 'n = 1'}
  end
  first = first or now()
  return requests[n]
end
function response(status, headers, body)
  if spent then return end
  last = now()
  ${keepBodies ? 'out:write(status, "\\t", (body:gsub("[\\r\\n\\t]", " ")), "\\n")' : 'out:write(status, "\\n")'}
end
function done(s, latency, r)
  local t = threads[1]
  local f = io.open(${lua(summary)}, "w")
  f:write(string.format('{"requests":%d,"duration_us":%d,"connect":%d,"read":%d,"write":%d,"timeout":%d,"p50_us":%d,"p99_us":%d,"first":%.6f,"last":%.6f,"spent":%s}',
    s.requests, s.duration, s.errors.connect, s.errors.read, s.errors.write, s.errors.timeout,
    latency:percentile(50), latency:percentile(99), t:get("first") or 0, t:get("last") or 0, tostring(t:get("spent"))))
  f:close()
end
`;
}

export async function measureWrk(url, load, seconds, { connections }) {
  const { method = 'POST', path, headers = {}, body, pool, cycle, fill, verify, capture } = load;
  if (pool && pool.length < connections) throw new Error(`a pool of ${pool.length} is smaller than ${connections} connections`);
  const dir = await mkdtemp(join(tmpdir(), 'bench-wrk-'));
  try {
    const files = { items: join(dir, 'items'), responses: join(dir, 'responses'), summary: join(dir, 'summary.json'), script: join(dir, 'run.lua') };
    const list = pool ?? cycle;
    if (list) await writeFile(files.items, `${list.map((item) => itemLine(fill(item))).join('\n')}\n`);
    const keepBodies = Boolean(verify || capture);
    await writeFile(
      files.script,
      script({ ...files, method, path, headers, body, items: list ? files.items : null, pooled: Boolean(pool), keepBodies }),
    );
    const args = ['-t1', `-c${connections}`, `-d${Math.max(1, Math.round(seconds))}s`, '--timeout', '30s', '-s', files.script, url];
    const { stderr } = await run('wrk', args, { maxBuffer: 16 * 1024 * 1024 });
    // wrk reports a script error on stderr and goes on sending whatever it has.
    if (stderr.trim()) throw new Error(`wrk: ${stderr.trim().split('\n')[0]}`);
    const s = JSON.parse(await readFile(files.summary, 'utf8'));
    const failures = new Map();
    const statuses = {};
    let non2xx = 0;
    let wrong = 0;
    let total = 0;
    for (const line of (await readFile(files.responses, 'utf8')).split('\n')) {
      if (line === '') continue;
      total += 1;
      const tab = line.indexOf('\t');
      const status = Number(tab === -1 ? line : line.slice(0, tab));
      const text = tab === -1 ? '' : line.slice(tab + 1);
      statuses[status] = (statuses[status] ?? 0) + 1;
      const bad = status < 200 || status >= 300;
      const mismatch = !bad && verify && !verify(text);
      if (bad) non2xx += 1;
      if (mismatch) wrong += 1;
      else if (!bad && capture) capture(text);
      if ((bad || mismatch) && failures.size < 3) failures.set(`${status} ${text.slice(0, 160)}`, true);
    }
    const socketErrors = s.connect + s.read + s.write;
    if (socketErrors > 0) failures.set(`connection: ${s.connect} connect, ${s.read} read, ${s.write} write errors`, true);
    if (s.timeout > 0) failures.set(`timeouts: ${s.timeout}`, true);
    // The summary is JSON: `spent` is a boolean there.
    const spent = s.spent === true;
    // A spent pool stops the thread early, but wrk still reports the whole -d: time the answers.
    const duration = spent && s.last > s.first ? s.last - s.first : s.duration_us / 1e6;
    const stalled = duration >= 5 && total < connections && !spent;
    if (stalled) failures.set(`stalled: ${total} answers in ${duration.toFixed(2)} s`, true);
    return {
      rps: total / duration,
      p50: s.p50_us / 1000,
      p99: s.p99_us / 1000,
      total,
      duration,
      non2xx,
      errors: socketErrors + s.timeout,
      timeouts: s.timeout,
      wrong,
      stalled,
      failures: [...failures.keys()],
      statuses,
      poolSpent: spent && duration < seconds - 0.05,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
