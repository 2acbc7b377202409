import { expect } from 'vitest';
import { OAuthError } from '../../src/domain/errors.js';

/** Runs fn, expecting an OAuthError; returns it so its code and description can be checked. */
export function oauthError(fn: () => unknown): OAuthError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(OAuthError);
    return error as OAuthError;
  }
  throw new Error('expected an OAuthError, nothing was thrown');
}
