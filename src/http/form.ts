import { OAuthError } from '../domain/errors.js';

/** A form body or query string: repeated names keep every value, in order. */
export type FormFields = Record<string, string | string[]>;

const BAD_PERCENT = /%(?![0-9A-Fa-f]{2})/;

const ENCODED = /[%+]/;

function decode(part: string): string {
  // Names and most values (grant types, base64url tokens) need no decoding at all.
  if (!ENCODED.test(part)) return part;
  try {
    return decodeURIComponent(part.replace(/\+/g, ' '));
  } catch {
    throw new OAuthError('invalid_request', 'the request is not valid UTF-8 form encoding');
  }
}

/**
 * Strict application/x-www-form-urlencoded parsing: broken percent-encoding and invalid UTF-8
 * are refused instead of being decoded into something the client did not send.
 */
export function parseForm(body: string): FormFields {
  if (BAD_PERCENT.test(body)) throw new OAuthError('invalid_request', 'the request has broken percent-encoding');
  const fields: FormFields = Object.create(null) as FormFields;
  for (const pair of body.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const name = decode(eq === -1 ? pair : pair.slice(0, eq));
    const value = decode(eq === -1 ? '' : pair.slice(eq + 1));
    const prior = fields[name];
    fields[name] = prior === undefined ? value : Array.isArray(prior) ? [...prior, value] : [prior, value];
  }
  return fields;
}

/**
 * RFC 6749 §3.1/§3.2: parameters must not be repeated, and empty ones count as omitted.
 * Names in `multi` may repeat (the consent form's scope checkboxes).
 */
export function singleValued(fields: FormFields, multi: readonly string[] = []): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const name in fields) {
    if (multi.includes(name)) continue;
    const value = fields[name]!;
    if (Array.isArray(value)) throw new OAuthError('invalid_request', `parameter ${name} is repeated`);
    out[name] = value === '' ? undefined : value;
  }
  return out;
}

export function allValues(fields: FormFields, name: string): string[] {
  const value = fields[name];
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

export function queryOf(url: string): string {
  const i = url.indexOf('?');
  return i === -1 ? '' : url.slice(i + 1);
}
