import type { Projector } from './projector.js';

export const codesProjector: Projector = {
  name: 'codes',
  project(e) {
    switch (e.type) {
      case 'CodeIssued': {
        const { codeHash, grantId, clientId, userId, scope, expiresAt, username, redirectUri, redirectUriProvided } = e.data;
        const issued = { username, redirectUri, redirectUriProvided, codeChallenge: e.data.codeChallenge ?? null };
        return [{ op: 'putCode', code: { hash: codeHash, grantId, clientId, userId, scope, expiresAt, issued } }];
      }
      case 'CodeRedeemed':
      case 'CodeReplayDetected':
        return [{ op: 'deleteCode', hash: e.data.codeHash }];
      default:
        return [];
    }
  },
};
