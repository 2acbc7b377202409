// The baseline: fastify's hello-world as its getting-started guide writes it (`logger: true`, so
// each request is logged, as our server does at its default level), with a form parser, answering
// a form POST with {ok:true}. It runs here at issue 7's figure for its baseline, about 14,000
// req/s. HELLO_LOGGER=off runs it silent, for reference: about twice as fast (decision 0013).
import Fastify from 'fastify';
import { parse } from 'node:querystring';

const app = Fastify({ logger: process.env.HELLO_LOGGER !== 'off' });
app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
  done(null, parse(body));
});
app.get('/', async () => ({ ok: true }));
app.post('/', async () => ({ ok: true }));
await app.listen({ port: Number(process.env.PORT), host: process.env.HOST ?? '127.0.0.1' });
process.on('SIGTERM', () => app.close().then(() => process.exit(0)));
