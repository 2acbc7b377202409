import { isScopeToken } from './scope.js';
import { DomainConflict } from './client.js';
import { type DomainEvent, type EventData, event } from './events.js';

type Definition = EventData<'ScopeDefined'>;

export function evolveScopeDefinition(state: Definition | null, e: DomainEvent): Definition | null {
  return e.type === 'ScopeDefined' || e.type === 'ScopeChanged' ? e.data : state;
}

/** Defining a scope that exists with the same values records nothing: loading fixtures twice is harmless. */
export function decideDefineScope(state: Definition | null, wanted: Definition): DomainEvent[] {
  if (!isScopeToken(wanted.name)) throw new DomainConflict(`not a single scope token: ${wanted.name}`);
  if (state === null) return [event('ScopeDefined', wanted)];
  if (state.description === wanted.description && state.isDefault === wanted.isDefault) return [];
  return [event('ScopeChanged', wanted)];
}
