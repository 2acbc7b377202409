/** Fields that hold a credential, wherever one shows up: in a logged object, or in a URL's query. */
const CREDENTIAL_FIELDS = ['password', 'client_secret', 'access_token', 'refresh_token', 'code_verifier', 'token'];

/** Never log a credential: headers, cookies and any body field that could hold one (pino's redact paths). */
export const REDACT = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  ...CREDENTIAL_FIELDS.map((field) => `*.${field}`),
  // Not '*.code': that would hide every error's code. Request bodies are never logged anyway.
  'body.code',
];

/** Query parameters that carry a credential, should a client put one in a URL (RFC 6750 §2.3, §5.3). */
const SECRET_PARAMS = new RegExp(`([?&](?:${[...CREDENTIAL_FIELDS, 'code'].join('|')})=)[^&#]*`, 'gi');

/** A URL as logged: the value of any credential in its query replaced by [redacted]. */
export function loggableUrl(url: string): string {
  return url.includes('=') ? url.replace(SECRET_PARAMS, '$1[redacted]') : url;
}
