import { OAuthError } from '../domain/errors.js';
import type { GrantType } from '../domain/events.js';
import { decoyHash, verifySecret } from '../security/secret-hash.js';
import { verifiedSecrets } from '../security/verified-secret-cache.js';
import type { ClientView } from '../store/read-store.js';
import type { CommandContext } from './context.js';

export interface ClientCredentials {
  clientId: string;
  /** undefined: the client sent only its id (a public client). */
  clientSecret: string | undefined;
}

const failed = () => new OAuthError('invalid_client', 'client authentication failed');

/** RFC 6749 §2.3: a confidential client proves its secret; a public client only names itself. */
export async function authenticateClient(ctx: CommandContext, creds: ClientCredentials): Promise<ClientView> {
  const client = await ctx.reads.getClient(creds.clientId);
  if (!client) {
    // Spend the same time as a wrong secret, so unknown ids cannot be told apart by timing.
    if (creds.clientSecret !== undefined) await verifySecret(creds.clientSecret, await decoyHash());
    throw failed();
  }
  if (client.secretHash === null) {
    if (creds.clientSecret !== undefined && creds.clientSecret !== '') throw failed();
    return client;
  }
  if (creds.clientSecret === undefined) throw failed();
  // A secret verified moments ago against this same stored hash skips scrypt (see the cache).
  const { clientSecret } = creds;
  const secretHash = client.secretHash;
  if (!(await verifiedSecrets.verify(client.clientId, secretHash, clientSecret, () => verifySecret(clientSecret, secretHash)))) throw failed();
  return client;
}

export function ensureGrantAllowed(client: ClientView, grantType: GrantType): void {
  if (!client.grantTypes.includes(grantType)) {
    throw new OAuthError('unauthorized_client', `this client may not use the ${grantType} grant`);
  }
}
