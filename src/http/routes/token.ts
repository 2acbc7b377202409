import type { FastifyInstance } from 'fastify';
import { authenticateClient } from '../../commands/authenticate-client.js';
import { clientCredentialsGrant } from '../../commands/client-credentials.js';
import type { CommandContext } from '../../commands/context.js';
import { exchangeCode } from '../../commands/exchange-code.js';
import type { TokenResponse } from '../../commands/issue-grant.js';
import { passwordGrant } from '../../commands/password-grant.js';
import { refreshGrant } from '../../commands/refresh.js';
import { OAuthError } from '../../domain/errors.js';
import { clientCredentialsFrom } from '../client-credentials.js';
import { type FormFields, singleValued } from '../form.js';
import { requestMeta } from '../request-meta.js';
import { tokenRouteSchema } from '../schemas.js';

/** RFC 6749 §3.2 token endpoint, at the seed's URL. */
export function tokenRoute(app: FastifyInstance, ctx: CommandContext): void {
  app.post('/api/v1/tokens/', { schema: tokenRouteSchema }, async (req, reply) => {
    const type = req.headers['content-type'] ?? '';
    if (req.body !== undefined && !type.toLowerCase().startsWith('application/x-www-form-urlencoded')) {
      throw new OAuthError('invalid_request', 'send the parameters as application/x-www-form-urlencoded');
    }
    const body = singleValued((req.body as FormFields | undefined) ?? {});
    if (!body.grant_type) throw new OAuthError('invalid_request', 'grant_type is required');
    const grantType = body.grant_type;
    const known = ['authorization_code', 'password', 'client_credentials', 'refresh_token'];
    if (!known.includes(grantType)) {
      throw new OAuthError('unsupported_grant_type', `grant_type ${grantType} is not supported here`);
    }
    const client = await authenticateClient(ctx, clientCredentialsFrom(req, body));
    const meta = { ...requestMeta(req), actor: { clientId: client.clientId } };
    let tokens: TokenResponse;
    switch (grantType) {
      case 'authorization_code':
        tokens = await exchangeCode(
          ctx,
          client,
          { code: body.code, redirectUri: body.redirect_uri, codeVerifier: body.code_verifier },
          meta,
        );
        break;
      case 'password':
        tokens = await passwordGrant(ctx, client, { username: body.username, password: body.password, scope: body.scope }, meta);
        break;
      case 'client_credentials':
        tokens = await clientCredentialsGrant(ctx, client, body.scope, meta);
        break;
      default:
        tokens = await refreshGrant(ctx, client, { refreshToken: body.refresh_token, scope: body.scope }, meta);
    }
    return reply.header('Cache-Control', 'no-store').header('Pragma', 'no-cache').send(tokens);
  });
}
