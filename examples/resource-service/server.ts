/**
 * A resource service that accepts the authorization server's access tokens, validating them
 * remotely through its introspection endpoint. See README.md next to this file.
 */
import Fastify from 'fastify';
// In a service of your own: import { bearerAuth, introspectionValidator } from 'es-oauth2-server/resource';
import { bearerAuth, introspectionValidator } from '../../src/resource/index.js';

function required(name: string): string {
  const value = process.env[name]?.trim();
  if (!value) {
    console.error(`${name} is required`);
    process.exit(1);
  }
  return value;
}

const issuer = required('ISSUER');
const clientId = required('RESOURCE_CLIENT_ID');
const clientSecret = required('RESOURCE_CLIENT_SECRET');
const port = Number(process.env.PORT ?? '3000');
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`PORT must be a port number, not ${process.env.PORT}`);
  process.exit(1);
}

// The default logger does not log request headers, so bearer tokens stay out of the log.
const app = Fastify({ logger: true });
await app.register(bearerAuth, { validate: introspectionValidator({ issuer, clientId, clientSecret }) });

app.get('/reports', { preHandler: app.requireScope('foo') }, async (req) => {
  const bearer = req.bearer!;
  return {
    reports: [{ id: 1, title: 'Quarterly foo' }],
    for: { sub: bearer.sub, client_id: bearer.clientId, username: bearer.username ?? null, scope: bearer.scope },
  };
});

await app.listen({ port, host: process.env.HOST ?? '127.0.0.1' });
