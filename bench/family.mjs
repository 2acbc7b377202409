// `--scale`, the refresh of a long-lived token family: every rotation appends to the family's
// stream, and a refresh whose family is not in the server's aggregate cache (evicted, or a fresh
// start) folds the whole stream. Timed for a family of `rotations` against one of a single rotation.
import { postForm, prime, refreshTokens, signIn, TESTCLIENT } from './pools.mjs';
import { startOurs } from './processes.mjs';
import { median } from './report.mjs';

async function refresh(base, token) {
  const started = performance.now();
  const res = await postForm(`${base}/api/v1/tokens/`, { grant_type: 'refresh_token', refresh_token: token }, TESTCLIENT);
  const ms = performance.now() - started;
  const text = await res.text();
  if (!res.ok) throw new Error(`refresh: HTTP ${res.status} ${text.slice(0, 300)}`);
  return { ms, token: JSON.parse(text).refresh_token };
}

/**
 * On a server of `env`'s store: builds a family of `rotations` rotations and one of one, restarts
 * the server, then times each family's first refresh (cold) and `warmRepeats` more (warm), one
 * request at a time. Milliseconds, as a client sees them.
 */
export async function familyRefreshTimes(env, { rotations, warmRepeats = 5, log = () => {} }) {
  let server = await startOurs(env);
  let long;
  let short;
  try {
    const [a, b] = await refreshTokens(await signIn(server.url), 2);
    log(`rotating one token family ${rotations.toLocaleString('en-US')} times …`);
    long = a;
    for (let i = 0; i < rotations; i++) long = (await refresh(server.url, long)).token;
    short = (await refresh(server.url, b)).token;
  } finally {
    await server.stop();
  }
  // A fresh start: no family is in the aggregate cache.
  server = await startOurs(env);
  try {
    // The client's secret verified (scrypt, then cached) before anything is timed.
    await prime(server.url);
    const tokens = { long, short };
    const time = async (key) => {
      const r = await refresh(server.url, tokens[key]);
      tokens[key] = r.token;
      return r.ms;
    };
    // Each family's first refresh after the start folds its stream; the later ones find it cached.
    const cold = { short: await time('short'), long: await time('long') };
    const warm = { short: [], long: [] };
    for (let i = 0; i < warmRepeats; i++) for (const key of ['short', 'long']) warm[key].push(await time(key));
    return {
      rotations,
      long: { cold: cold.long, warm: median(warm.long) },
      short: { cold: cold.short, warm: median(warm.short) },
    };
  } finally {
    await server.stop();
  }
}
