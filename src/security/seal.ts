import { createCipheriv, createDecipheriv, createHmac } from 'node:crypto';
import { randomView } from './random-pool.js';

/**
 * Authenticated encryption under a key derived from a secret the caller holds (a refresh token):
 * AES-256-GCM, the key HKDF-SHA256(secret, random salt, purpose). Only a holder of the secret can
 * open what is sealed, so a sealed value may sit in the event log without being a usable token.
 * Refresh rotations sealed their successor pair with it until 2026-11-29; they now record a seed
 * instead (successor.ts), and open() reads the rotations already in the log.
 *
 * Format: `v1.<salt>.<iv>.<ciphertext>.<tag>`, each part base64url.
 */
const VERSION = 'v1';

/**
 * HKDF-SHA256 (RFC 5869) for one 32-byte block, as two HMACs: the same key as crypto.hkdfSync,
 * without its per-call setup, which cost more than the encryption on the refresh path.
 */
export function hkdfSha256(ikm: Buffer | string, salt: Buffer, info: Buffer | string): Buffer {
  const prk = createHmac('sha256', salt).update(ikm).digest();
  return createHmac('sha256', prk).update(info).update(Buffer.of(1)).digest();
}

function key(secret: string, salt: Buffer, purpose: string): Buffer {
  return hkdfSha256(secret, salt, `oauth2 seal ${purpose}`);
}

/** `context` is authenticated, not encrypted: opening with another context fails. */
export function seal(secret: string, purpose: string, context: string, plaintext: string): string {
  const salt = Buffer.from(randomView(16));
  const iv = Buffer.from(randomView(12));
  const cipher = createCipheriv('aes-256-gcm', key(secret, salt, purpose), iv);
  cipher.setAAD(Buffer.from(context, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return [VERSION, salt, iv, body, cipher.getAuthTag()].map((p) => (typeof p === 'string' ? p : p.toString('base64url'))).join('.');
}

/** The plaintext, or null when the secret, purpose or context is wrong or the value was altered. */
export function open(secret: string, purpose: string, context: string, sealed: string): string | null {
  const parts = sealed.split('.');
  if (parts.length !== 5 || parts[0] !== VERSION) return null;
  const [salt, iv, body, tag] = parts.slice(1).map((p) => Buffer.from(p, 'base64url')) as [Buffer, Buffer, Buffer, Buffer];
  if (salt.length !== 16 || iv.length !== 12 || tag.length !== 16) return null;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key(secret, salt, purpose), iv);
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
  } catch {
    return null;
  }
}
