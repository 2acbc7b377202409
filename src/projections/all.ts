import { clientsProjector } from './clients.js';
import { codesProjector } from './codes.js';
import type { Projector } from './projector.js';
import { scopesProjector } from './scopes.js';
import { tokensProjector } from './tokens.js';
import { usersProjector } from './users.js';

export const PROJECTORS: readonly Projector[] = [
  clientsProjector,
  usersProjector,
  scopesProjector,
  codesProjector,
  tokensProjector,
];
