import { OAuthError } from './errors.js';
import { type DomainEvent, type EventData, event } from './events.js';

export interface ClientState {
  registered: boolean;
  secretHash: string | null;
}

export const initialClient: ClientState = { registered: false, secretHash: null };

export function evolveClient(state: ClientState, e: DomainEvent): ClientState {
  switch (e.type) {
    case 'ClientRegistered':
      return { registered: true, secretHash: e.data.secretHash };
    case 'ClientSecretRotated':
      return { ...state, secretHash: e.data.secretHash };
    default:
      return state;
  }
}

export class DomainConflict extends Error {
  override name = 'DomainConflict';
}

export function decideRegisterClient(state: ClientState, data: EventData<'ClientRegistered'>): DomainEvent[] {
  if (state.registered) throw new DomainConflict(`client ${data.clientId} already exists`);
  validateRedirectUris(data.redirectUris);
  return [event('ClientRegistered', data)];
}

/** RFC 6749 §3.1.2: absolute URIs without a fragment. */
export function validateRedirectUris(uris: readonly string[]): void {
  for (const uri of uris) {
    let parsed: URL;
    try {
      parsed = new URL(uri);
    } catch {
      throw new OAuthError('invalid_request', `redirect URI is not an absolute URI: ${uri}`);
    }
    if (parsed.hash !== '' || uri.includes('#')) {
      throw new OAuthError('invalid_request', `redirect URI must not have a fragment: ${uri}`);
    }
  }
}
