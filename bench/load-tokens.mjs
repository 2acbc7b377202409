// `node bench/load-tokens.mjs COUNT SAMPLE_FILE [SAMPLE_SIZE]` with DATA_DIR set: appends COUNT
// TokenIssued events (client_credentials tokens of testclient, live for a day) through the event
// store API of dist, the way the token endpoint does, batched into large group commits (each
// projected as it commits, as the server does). Writes SAMPLE_SIZE of the tokens, spread over the whole
// range, to SAMPLE_FILE (JSON) for introspection. Prints {"events":N,"seconds":S}.
import { writeFileSync } from 'node:fs';
import { createLogger } from '../dist/cli/logger.js';
import { toNewEvents } from '../dist/commands/context.js';
import { openRuntime } from '../dist/composition.js';
import { loadConfig } from '../dist/config.js';
import { event } from '../dist/domain/events.js';
import { grantStream } from '../dist/domain/grant.js';
import { timeOrderedId } from '../dist/security/ids.js';
import { randomToken, tokenDigest } from '../dist/security/tokens.js';

const BATCH = 20_000;
const count = Number(process.argv[2]);
const sampleFile = process.argv[3];
const sampleSize = Math.min(count, Number(process.argv[4] ?? 10_000));
if (!Number.isInteger(count) || count < 1 || !sampleFile) {
  process.stderr.write('usage: node bench/load-tokens.mjs COUNT SAMPLE_FILE [SAMPLE_SIZE]\n');
  process.exit(2);
}

const config = loadConfig();
const runtime = await openRuntime(config, createLogger('warn'), { projections: false, awaitProjection: false });
const meta = { requestId: 'bench-load', userAgent: 'bench/load-tokens', actor: { clientId: 'testclient' } };
const every = Math.max(1, Math.floor(count / sampleSize));
const sample = [];
const started = performance.now();
const expires = Math.floor(Date.now() / 1000) + 86_400;
for (let done = 0; done < count; ) {
  const n = Math.min(BATCH, count - done);
  const appends = [];
  for (let i = 0; i < n; i++) {
    const token = randomToken();
    if ((done + i) % every === 0 && sample.length < sampleSize) sample.push(token);
    const grantId = timeOrderedId();
    const issued = event('TokenIssued', {
      grantId,
      grantType: 'client_credentials',
      clientId: 'testclient',
      userId: null,
      username: null,
      scope: 'bar foo qux',
      accessTokenHash: tokenDigest(token),
      accessExpiresAt: expires,
      refreshTokenHash: null,
      refreshExpiresAt: null,
    });
    // Appends queued in one turn of the event loop are one transaction (the store's group commit).
    appends.push(runtime.events.append(grantStream(grantId), toNewEvents([issued], meta), 'no_stream'));
  }
  await Promise.all(appends);
  done += n;
  if (done % 200_000 === 0 || done === count) {
    process.stderr.write(`loaded ${done} events (${Math.round(done / ((performance.now() - started) / 1000))} events/s)\n`);
  }
}
const seconds = (performance.now() - started) / 1000;
await runtime.close();
writeFileSync(sampleFile, JSON.stringify(sample));
process.stdout.write(`${JSON.stringify({ events: count, seconds })}\n`);
