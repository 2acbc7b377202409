import type { Projector } from './projector.js';

export const usersProjector: Projector = {
  name: 'users',
  project(e) {
    switch (e.type) {
      case 'UserRegistered':
        return [{ op: 'putUser', user: { ...e.data } }];
      case 'UserPasswordChanged':
        return [{ op: 'setUserPassword', userId: e.data.userId, passwordHash: e.data.passwordHash }];
      default:
        return [];
    }
  },
};
