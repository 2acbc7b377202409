import type { Projector } from './projector.js';

export const codesProjector: Projector = {
  name: 'codes',
  project(e) {
    switch (e.type) {
      case 'CodeIssued': {
        const { codeHash, grantId, clientId, userId, scope, expiresAt } = e.data;
        return [{ op: 'putCode', code: { hash: codeHash, grantId, clientId, userId, scope, expiresAt } }];
      }
      case 'CodeRedeemed':
      case 'CodeReplayDetected':
        return [{ op: 'deleteCode', hash: e.data.codeHash }];
      default:
        return [];
    }
  },
};
