import type { Projector } from './projector.js';

export const scopesProjector: Projector = {
  name: 'scopes',
  project(e) {
    switch (e.type) {
      case 'ScopeDefined':
      case 'ScopeChanged':
        return [{ op: 'putScope', scope: { ...e.data } }];
      default:
        return [];
    }
  },
};
