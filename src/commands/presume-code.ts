import { type CodeState, evolveCode, initialCode } from '../domain/authorization-code.js';
import { event } from '../domain/events.js';
import type { CodeView } from '../store/read-store.js';

/**
 * A code's state as its row in the codes read model records it (decision 0015): issued and not
 * redeemed, since a redemption deletes the row, at revision 0 of the code's stream, where
 * CodeIssued always is (it opens the stream). An append at that revision holds only if nothing was
 * appended since. Null without a row, or for a row written before 0015, which lacks part of
 * CodeIssued.
 */
export function presumeCode(row: CodeView | null): { state: CodeState; revision: bigint } | null {
  if (!row?.issued) return null;
  const { username, redirectUri, redirectUriProvided, codeChallenge } = row.issued;
  const issued = event('CodeIssued', {
    codeHash: row.hash,
    grantId: row.grantId,
    clientId: row.clientId,
    userId: row.userId,
    username,
    redirectUri,
    redirectUriProvided,
    scope: row.scope,
    expiresAt: row.expiresAt,
    ...(codeChallenge === null ? {} : { codeChallenge, codeChallengeMethod: 'S256' as const }),
  });
  return { state: evolveCode(initialCode, issued), revision: 0n };
}
