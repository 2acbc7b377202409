/** JSON schemas of the audit endpoints (see schemas.ts for the style); published at /openapi.json. */

const text = { type: 'string' } as const;
const time = { type: 'string', format: 'date-time' } as const;
const nullableText = { type: ['string', 'null'] } as const;

const auditEntry = {
  type: 'object',
  description: 'One recorded event. Hashes are shortened to 8 hex characters and an ellipsis; no secret appears.',
  required: ['time', 'event', 'stream', 'actor', 'details'],
  properties: {
    time,
    event: { type: 'string', description: 'CodeIssued, CodeRedeemed, CodeReplayDetected, TokenIssued, TokenRefreshed, RefreshTokenReuseDetected, TokenRevoked, ConsentGranted, ConsentRevoked' },
    stream: text,
    actor: { type: 'object', properties: { clientId: text, userId: text } },
    requestId: text,
    ip: text,
    userAgent: text,
    details: { type: 'object', additionalProperties: true, description: 'the event’s fields, e.g. grantType, scope, reason' },
  },
} as const;

const liveToken = {
  type: 'object',
  required: ['grantId', 'kind', 'token', 'clientId', 'userId', 'username', 'scope', 'issuedAt', 'expiresAt'],
  properties: {
    grantId: text,
    kind: { type: 'string', enum: ['access', 'refresh'] },
    token: { type: 'string', description: 'the token’s hash, shortened' },
    clientId: text,
    userId: nullableText,
    username: nullableText,
    scope: text,
    issuedAt: time,
    expiresAt: time,
  },
} as const;

const errors = {
  400: { $ref: 'OAuthError#', description: 'a bad time in the query' },
  401: { $ref: 'OAuthError#', description: 'no bearer token, or an invalid, expired or revoked one' },
  403: { $ref: 'OAuthError#', description: 'the token lacks the audit scope' },
  404: { $ref: 'OAuthError#', description: 'no such grant or client' },
} as const;

const GUARD = 'Needs a bearer token with the `audit` scope (e.g. from the client_credentials grant). Read from the event log, never the read models.';

export const auditGrantRouteSchema = {
  summary: 'The whole life of one grant, in order',
  description: GUARD,
  tags: ['audit'],
  params: { type: 'object', required: ['id'], properties: { id: text } },
  response: {
    200: {
      type: 'object',
      required: ['grantId', 'events'],
      properties: { grantId: text, events: { type: 'array', items: auditEntry } },
    },
    ...errors,
  },
} as const;

export const auditClientRouteSchema = {
  summary: 'Every grant a client was part of; or, with as_of, the tokens live at that moment',
  description: `${GUARD} Times are ISO 8601 (no offset: UTC). since/until keep the events recorded within them; as_of answers liveTokens instead of events.`,
  tags: ['audit'],
  params: { type: 'object', required: ['id'], properties: { id: text } },
  querystring: { type: 'object', properties: { since: text, until: text, as_of: text } },
  response: {
    200: {
      type: 'object',
      required: ['clientId'],
      properties: {
        clientId: text,
        since: time,
        until: time,
        asOf: time,
        events: { type: 'array', items: auditEntry },
        liveTokens: { type: 'array', items: liveToken },
      },
    },
    ...errors,
  },
} as const;
