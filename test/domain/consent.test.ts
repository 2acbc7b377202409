import { describe, expect, it } from 'vitest';
import { fold } from '../../src/domain/aggregate.js';
import {
  type ConsentState,
  consentMayBeRemembered,
  consentStream,
  coversScopes,
  decideGrantConsent,
  decideRevokeConsent,
  evolveConsent,
  initialConsent,
} from '../../src/domain/consent.js';
import { type DomainEvent, event } from '../../src/domain/events.js';

const ids = { userId: 'u-1', clientId: 'app' };
const granted = (scope: string) => event('ConsentGranted', { ...ids, scope });
const state = (...events: DomainEvent[]): ConsentState => fold(evolveConsent, initialConsent, events);
const allow = (s: ConsentState, asked: string[], allowed: string[]) => decideGrantConsent(s, { ...ids, asked, allowed });

describe('remembered consent', () => {
  it('lives on one stream per user and client', () => {
    expect(consentStream('u-1', 'app')).toBe('consent-u-1-app');
  });

  it('remembers nothing at first, and covers nothing', () => {
    expect(state()).toEqual({ scopes: [] });
    expect(coversScopes(state(), ['foo'])).toBe(false);
  });

  it('records the allowed scopes, sorted, on a first Allow', () => {
    expect(allow(state(), ['qux', 'foo', 'bar'], ['qux', 'foo'])).toEqual([granted('foo qux')]);
  });

  it('covers the same or fewer scopes, never more, and never an empty request', () => {
    const s = state(granted('bar foo'));
    expect(coversScopes(s, ['foo', 'bar'])).toBe(true);
    expect(coversScopes(s, ['foo'])).toBe(true);
    expect(coversScopes(s, ['foo', 'qux'])).toBe(false);
    expect(coversScopes(s, [])).toBe(false);
  });

  it('keeps what a narrower request did not ask about, and adds what was allowed now', () => {
    expect(allow(state(granted('bar foo')), ['qux'], ['qux'])).toEqual([granted('bar foo qux')]);
  });

  it('forgets a scope the person was shown again and unticked: the latest answer stands', () => {
    // bar was allowed before; now the page showed bar, foo and qux, and the person left bar unticked.
    expect(allow(state(granted('bar foo')), ['bar', 'foo', 'qux'], ['foo', 'qux'])).toEqual([granted('foo qux')]);
  });

  it('records nothing when the answer changes nothing, or allows nothing', () => {
    expect(allow(state(granted('bar foo')), ['foo'], ['foo'])).toEqual([]);
    expect(allow(state(), ['foo'], [])).toEqual([]);
  });

  it('ignores allowed scopes that were not asked', () => {
    expect(allow(state(), ['foo'], ['foo', 'admin'])).toEqual([granted('foo')]);
  });

  it('takes each ConsentGranted as the whole remembered set', () => {
    expect(state(granted('bar foo qux'), granted('foo qux')).scopes).toEqual(['foo', 'qux']);
  });

  it('forgets everything on ConsentRevoked, and asks again', () => {
    const s = state(granted('bar foo'), event('ConsentRevoked', ids));
    expect(s).toEqual(initialConsent);
    expect(coversScopes(s, ['foo'])).toBe(false);
    expect(allow(s, ['foo'], ['foo'])).toEqual([granted('foo')]);
  });

  it('revokes only what is remembered', () => {
    expect(decideRevokeConsent(state(granted('foo')), ids)).toEqual([event('ConsentRevoked', ids)]);
    expect(decideRevokeConsent(state(), ids)).toEqual([]);
    expect(decideRevokeConsent(state(granted('foo'), event('ConsentRevoked', ids)), ids)).toEqual([]);
  });

  it('is used only when the client is who it says it is (RFC 8252 §8.6)', () => {
    const https = 'https://app.example/cb';
    expect(consentMayBeRemembered({ confidential: true, responseType: 'code', redirectUri: 'http://localhost:3000/cb' })).toBe(true);
    expect(consentMayBeRemembered({ confidential: false, responseType: 'code', redirectUri: https })).toBe(true);
    expect(consentMayBeRemembered({ confidential: true, responseType: 'token', redirectUri: https })).toBe(true);
    expect(consentMayBeRemembered({ confidential: false, responseType: 'code', redirectUri: 'http://127.0.0.1:9/cb' })).toBe(false);
    expect(consentMayBeRemembered({ confidential: true, responseType: 'token', redirectUri: 'http://localhost:3000/cb' })).toBe(false);
    expect(consentMayBeRemembered({ confidential: false, responseType: 'code', redirectUri: 'com.example.app:/cb' })).toBe(false);
  });
});
