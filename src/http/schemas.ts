/**
 * JSON schemas of the JSON and form endpoints: fastify validates requests and serializes responses
 * with them, and @fastify/swagger publishes them as the OpenAPI document at /openapi.json.
 */

const text = { type: 'string' } as const;

export const oauthErrorSchema = {
  $id: 'OAuthError',
  type: 'object',
  description: 'RFC 6749 §5.2 error response',
  required: ['error'],
  properties: { error: text, error_description: text },
} as const;

const errorResponses = {
  400: { $ref: 'OAuthError#', description: 'invalid request, grant, scope, or unsupported type' },
  401: { $ref: 'OAuthError#', description: 'client authentication failed' },
  413: { $ref: 'OAuthError#', description: 'body too large' },
  415: { $ref: 'OAuthError#', description: 'unsupported content type' },
  429: { $ref: 'OAuthError#', description: 'too many failed attempts (temporarily_unavailable); see Retry-After' },
  503: { $ref: 'OAuthError#', description: 'read models lagging; retry' },
} as const;

/** Form parameters are strings; a repeated one arrives as an array and fails validation. */
function formBody(names: readonly string[], required: readonly string[] = []) {
  return {
    type: 'object',
    required,
    properties: Object.fromEntries(names.map((n) => [n, text])),
  } as const;
}

const FORM = ['application/x-www-form-urlencoded'];
const CLIENT_AUTH = ['client_id', 'client_secret'];

export const tokenRouteSchema = {
  summary: 'Token endpoint (RFC 6749 §3.2)',
  tags: ['oauth2'],
  consumes: FORM,
  body: formBody(
    ['grant_type', 'code', 'redirect_uri', 'code_verifier', 'username', 'password', 'refresh_token', 'scope', ...CLIENT_AUTH],
    ['grant_type'],
  ),
  response: {
    200: {
      type: 'object',
      description: 'RFC 6749 §5.1 access token response',
      required: ['access_token', 'token_type', 'expires_in', 'scope'],
      properties: {
        access_token: text,
        token_type: { type: 'string', enum: ['Bearer'] },
        expires_in: { type: 'integer' },
        scope: text,
        refresh_token: text,
      },
    },
    ...errorResponses,
  },
} as const;

export const introspectRouteSchema = {
  summary: 'Token introspection (RFC 7662)',
  tags: ['oauth2'],
  consumes: FORM,
  body: formBody(['token', 'token_type_hint', ...CLIENT_AUTH], ['token']),
  response: {
    200: {
      type: 'object',
      required: ['active'],
      properties: {
        active: { type: 'boolean' },
        scope: text,
        client_id: text,
        username: text,
        sub: text,
        token_type: text,
        exp: { type: 'integer' },
        iat: { type: 'integer' },
        iss: text,
      },
    },
    ...errorResponses,
  },
} as const;

export const revokeRouteSchema = {
  summary: 'Token revocation (RFC 7009)',
  tags: ['oauth2'],
  consumes: FORM,
  body: formBody(['token', 'token_type_hint', ...CLIENT_AUTH], ['token']),
  response: {
    200: { type: 'null', description: 'revoked, or unknown (RFC 7009 §2.2)' },
    ...errorResponses,
  },
} as const;

export const metadataRouteSchema = {
  summary: 'Authorization server metadata (RFC 8414)',
  tags: ['discovery'],
  response: {
    200: {
      type: 'object',
      required: ['issuer', 'authorization_endpoint', 'token_endpoint', 'response_types_supported'],
      properties: {
        issuer: text,
        authorization_endpoint: text,
        token_endpoint: text,
        introspection_endpoint: text,
        revocation_endpoint: text,
        scopes_supported: { type: 'array', items: text },
        response_types_supported: { type: 'array', items: text },
        response_modes_supported: { type: 'array', items: text },
        grant_types_supported: { type: 'array', items: text },
        token_endpoint_auth_methods_supported: { type: 'array', items: text },
        introspection_endpoint_auth_methods_supported: { type: 'array', items: text },
        revocation_endpoint_auth_methods_supported: { type: 'array', items: text },
        code_challenge_methods_supported: { type: 'array', items: text },
        authorization_response_iss_parameter_supported: { type: 'boolean' },
      },
    },
  },
} as const;
