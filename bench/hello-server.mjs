// The baseline: a fastify hello-world form POST, with a form parser, answering {ok:true}.
import Fastify from 'fastify';
import { parse } from 'node:querystring';

const app = Fastify({ logger: false });
app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
  done(null, parse(body));
});
app.get('/', async () => ({ ok: true }));
app.post('/', async () => ({ ok: true }));
await app.listen({ port: Number(process.env.PORT), host: process.env.HOST ?? '127.0.0.1' });
process.on('SIGTERM', () => app.close().then(() => process.exit(0)));
