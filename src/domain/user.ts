import { DomainConflict } from './client.js';
import { type DomainEvent, type EventData, event } from './events.js';

/** A username is claimed on its own stream, so two registrations of one name cannot both win. */
export function usernameStream(username: string): string {
  return `username-${username.toLowerCase()}`;
}

export function decideClaimUsername(claims: readonly DomainEvent[], data: EventData<'UsernameClaimed'>): DomainEvent[] {
  if (claims.some((e) => e.type === 'UsernameClaimed')) {
    throw new DomainConflict(`username ${data.username} is taken`);
  }
  return [event('UsernameClaimed', data)];
}

export function decideRegisterUser(data: EventData<'UserRegistered'>): DomainEvent[] {
  if (data.username.trim() === '' || data.username !== data.username.trim()) {
    throw new DomainConflict('username must be non-empty without surrounding spaces');
  }
  return [event('UserRegistered', data)];
}
