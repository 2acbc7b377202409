/** `es-oauth2-server/resource`: bearer-token validation for resource services. */
export {
  type ActiveToken,
  type BearerHeader,
  type BearerOutcome,
  type Challenge,
  type TokenValidation,
  type ValidateToken,
  CHALLENGES,
  challengeHeader,
  checkBearer,
  insufficientScope,
  parseBearer,
  sendChallenge,
} from './bearer.js';
export { TokenCache, type TokenCacheOptions } from './cache.js';
export {
  basicAuthorization,
  IntrospectionUnavailableError,
  type IntrospectionValidator,
  type IntrospectionValidatorOptions,
  introspectionValidator,
} from './introspection-validator.js';
export { bearerAuth, type BearerAuthOptions } from './plugin.js';
export { readModelValidator, type ReadModelValidatorOptions } from './read-model-validator.js';
