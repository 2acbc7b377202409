import { activeAccessToken } from '../commands/validate-token.js';
import type { ReadStore } from '../store/read-store.js';
import type { TokenValidation, ValidateToken } from './bearer.js';

export interface ReadModelValidatorOptions {
  /** Seconds since the epoch (tests). */
  now?: () => number;
}

/**
 * Validates bearer tokens against the read models directly, for a service that shares the
 * server's store: no network, no cache, a revocation is seen as soon as it is projected.
 */
export function readModelValidator(reads: ReadStore, { now = () => Math.floor(Date.now() / 1000) }: ReadModelValidatorOptions = {}): ValidateToken {
  return async (token: string): Promise<TokenValidation> => {
    const found = await activeAccessToken(reads, token, now());
    if (!found) return { active: false };
    return {
      active: true,
      scope: found.scope,
      clientId: found.clientId,
      ...(found.username !== null ? { username: found.username } : {}),
      sub: found.userId ?? found.clientId,
      exp: found.expiresAt,
    };
  };
}
