import { decideRegisterClient, evolveClient, initialClient } from '../domain/client.js';
import type { GrantType } from '../domain/events.js';
import { hashSecret } from '../security/secret-hash.js';
import { type CommandContext, type RequestMeta, toNewEvents } from './context.js';
import { loadAggregate } from './load.js';

export interface ClientRegistration {
  clientId: string;
  name: string;
  /** null registers a public client. */
  secret: string | null;
  redirectUris: string[];
  grantTypes: GrantType[];
  allowedScopes: string[] | null;
  resourceServer: boolean;
}

export async function registerClient(ctx: CommandContext, reg: ClientRegistration, meta: RequestMeta): Promise<void> {
  const stream = `client-${reg.clientId}`;
  const { state } = await loadAggregate(ctx.events, stream, evolveClient, initialClient);
  const events = decideRegisterClient(state, {
    clientId: reg.clientId,
    name: reg.name,
    secretHash: reg.secret === null ? null : await hashSecret(reg.secret),
    redirectUris: reg.redirectUris,
    grantTypes: reg.grantTypes,
    allowedScopes: reg.allowedScopes,
    resourceServer: reg.resourceServer,
  });
  const { position } = await ctx.events.append(stream, toNewEvents(events, meta), 'no_stream');
  await ctx.waitForProjection(position);
}

export async function clientExists(ctx: CommandContext, clientId: string): Promise<boolean> {
  const { state } = await loadAggregate(ctx.events, `client-${clientId}`, evolveClient, initialClient);
  return state.registered;
}
