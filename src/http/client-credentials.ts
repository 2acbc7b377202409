import type { FastifyRequest } from 'fastify';
import type { ClientCredentials } from '../commands/authenticate-client.js';
import { OAuthError } from '../domain/errors.js';

const ENCODED = /[%+]/;

function formDecode(part: string): string {
  if (!ENCODED.test(part)) return part;
  try {
    return decodeURIComponent(part.replace(/\+/g, ' '));
  } catch {
    throw new OAuthError('invalid_client', 'malformed client credentials');
  }
}

/**
 * RFC 6749 §2.3.1: HTTP Basic (id and secret form-urlencoded, then base64) or client_id and
 * client_secret in the body; never both.
 */
export function clientCredentialsFrom(
  req: FastifyRequest,
  body: Record<string, string | undefined>,
): ClientCredentials & { method: 'basic' | 'body' } {
  const header = req.headers.authorization;
  const inBody = body.client_id !== undefined || body.client_secret !== undefined;
  if (header !== undefined) {
    if (inBody) throw new OAuthError('invalid_request', 'use one client authentication method, not two');
    const match = /^Basic ([A-Za-z0-9+/]+={0,2})$/i.exec(header.trim());
    if (!match) throw new OAuthError('invalid_client', 'the Authorization header is not HTTP Basic');
    const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 1) throw new OAuthError('invalid_client', 'malformed client credentials');
    return {
      clientId: formDecode(decoded.slice(0, colon)),
      clientSecret: formDecode(decoded.slice(colon + 1)),
      method: 'basic',
    };
  }
  if (body.client_id === undefined) throw new OAuthError('invalid_client', 'client authentication is required');
  return { clientId: body.client_id, clientSecret: body.client_secret, method: 'body' };
}
