import type { Projector } from './projector.js';

export const clientsProjector: Projector = {
  name: 'clients',
  project(e) {
    switch (e.type) {
      case 'ClientRegistered':
        return [{ op: 'putClient', client: { ...e.data } }];
      case 'ClientSecretRotated':
        return [{ op: 'setClientSecret', clientId: e.data.clientId, secretHash: e.data.secretHash }];
      default:
        return [];
    }
  },
};
