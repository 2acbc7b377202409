// The peer: panva's oidc-provider with its default in-memory adapter, client_credentials and
// introspection enabled, opaque tokens, on loopback. Clients mirror ours: `testclient` gets
// tokens (client_secret_basic), `rs` introspects them.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import Provider from 'oidc-provider';

const port = Number(process.env.PORT);
const host = process.env.HOST ?? '127.0.0.1';
const signing = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });

const client = (client_id, client_secret) => ({
  client_id,
  client_secret,
  grant_types: ['client_credentials'],
  response_types: [],
  redirect_uris: [],
  token_endpoint_auth_method: 'client_secret_basic',
  id_token_signed_response_alg: 'ES256',
});

const provider = new Provider(`http://${host}:${port}`, {
  clients: [client('testclient', 'testpassword'), client('rs', 'rs-secret')],
  jwks: { keys: [{ ...signing, kid: 'bench', use: 'sig', alg: 'ES256' }] },
  cookies: { keys: [randomBytes(32).toString('hex')] },
  scopes: ['foo', 'bar', 'qux'],
  ttl: { ClientCredentials: 3600 },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    // The default policy, spelled out: a confidential client may introspect any token.
    introspection: {
      enabled: true,
      allowedPolicy: async (ctx, caller, token) =>
        caller.clientAuthMethod !== 'none' || token.clientId === ctx.oidc.client.clientId,
    },
    // Enabled by default in v9; without a `resource` parameter the tokens are opaque.
    resourceIndicators: { enabled: true },
  },
});

const server = provider.listen(port, host);
process.on('SIGTERM', () => server.close(() => process.exit(0)));
