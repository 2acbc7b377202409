// One load run, 32 connections, pipelining 1, one load-generating thread: wrk where it is installed
// (measure-wrk.mjs), else autocannon in this process.
import autocannon from 'autocannon';
import { spawnSync } from 'node:child_process';
import { measureWrk } from './measure-wrk.mjs';

export const CONNECTIONS = 32;

/** 'wrk' or 'autocannon': the --client option, else wrk when it runs here. */
export let loadClient = spawnSync('wrk', ['--version']).error ? 'autocannon' : 'wrk';
export function useLoadClient(name) {
  if (name !== 'wrk' && name !== 'autocannon') throw new Error(`unknown load client ${name}`);
  if (name === 'wrk' && spawnSync('wrk', ['--version']).error) throw new Error('wrk is not installed (apt-get install wrk)');
  loadClient = name;
}
export const loadClientLabel = () =>
  `${loadClient}, ${CONNECTIONS} connections, ${loadClient === 'wrk' ? 'one thread' : 'pipelining 1, one load thread'}`;

/**
 * Runs `load` against `url` for `seconds`. `load` is { method, path, headers, body, verify } and,
 * for scenarios that need a fresh value per request, `pool` (an array) and `fill(item)` returning
 * the request fields for one item: each request then takes the next item, and the run stops early
 * if the pool is spent (autocannon's `amount`). `cycle` (an array) instead is reused round-robin.
 * `verify(body)` marks a 2xx answer that is wrong; `capture(body)` sees every good answer (to keep
 * the tokens it hands out for later scenarios).
 * Resolves with req/s over the run's real duration, p50/p99 latency (ms) and every kind of error.
 */
export function measure(url, load, seconds, { connections = CONNECTIONS } = {}) {
  return loadClient === 'wrk' ? measureWrk(url, load, seconds, { connections }) : measureAutocannon(url, load, seconds, { connections });
}

function measureAutocannon(url, load, seconds, { connections }) {
  const { method = 'POST', path, headers = {}, body, pool, cycle, fill, verify, capture } = load;
  const request = { method, path, headers, body };
  const failures = new Map();
  let wrong = 0;
  request.onResponse = (status, text) => {
    const bad = status < 200 || status >= 300;
    const mismatch = !bad && verify && !verify(text);
    if (mismatch) wrong += 1;
    else if (!bad && capture) capture(text);
    if ((bad || mismatch) && failures.size < 3) failures.set(`${status} ${text.slice(0, 160)}`, true);
  };
  let used = 0;
  if (pool) {
    if (pool.length < connections) throw new Error(`a pool of ${pool.length} is smaller than ${connections} connections`);
    request.setupRequest = (req) => ({ ...req, ...fill(pool[used++]) });
  } else if (cycle) {
    request.setupRequest = (req) => ({ ...req, ...fill(cycle[used++ % cycle.length]) });
  }
  return new Promise((resolve, reject) => {
    let timer;
    const instance = autocannon(
      {
        url,
        connections,
        pipelining: 1,
        duration: seconds,
        ...(pool ? { amount: pool.length } : {}),
        timeout: 30,
        requests: [request],
      },
      (error, result) => {
        clearTimeout(timer);
        if (error) return reject(error);
        const total = result.requests.total;
        // Fewer answers than connections in a run of 5 s or more: the server stalled (requests
        // still pending when the run ends are no error to autocannon, so count it here).
        const stalled = result.duration >= 5 && total < connections && !(pool && used >= pool.length);
        if (stalled) failures.set(`stalled: ${total} answers in ${result.duration} s`, true);
        resolve({
          rps: total / result.duration,
          p50: result.latency.p50,
          p99: result.latency.p99,
          total,
          duration: result.duration,
          non2xx: result.non2xx,
          errors: result.errors,
          timeouts: result.timeouts,
          wrong,
          stalled,
          failures: [...failures.keys()],
          statuses: Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([k, v]) => [k, v.count])),
          // The pool ran out before `seconds`: the rate is still over the real duration.
          poolSpent: pool ? used >= pool.length && result.duration < seconds - 0.05 : false,
        });
      },
    );
    instance.on('reqError', (error) => {
      if (failures.size < 3) failures.set(`connection: ${error.message}`, true);
    });
    // With `amount`, autocannon ignores `duration`: stop at `seconds` ourselves.
    if (pool) timer = setTimeout(() => instance.stop(), seconds * 1000);
  });
}

/** A run's failures: non-2xx, connection errors, timeouts, wrong 2xx answers, a stall (as 1). */
export function errorCount(r) {
  return r.non2xx + r.errors + r.wrong + (r.stalled ? 1 : 0);
}
