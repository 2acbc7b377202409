import { isIP } from 'node:net';
import { availableParallelism } from 'node:os';
import { z } from 'zod';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
const seconds = z.coerce.number().int().positive();

/** One trusted proxy: an IP address, a CIDR range, or a name proxy-addr knows. */
function proxyEntry(entry: string): boolean {
  if (['loopback', 'linklocal', 'uniquelocal'].includes(entry)) return true;
  const [address = '', bits, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (bits === undefined) return true;
  return /^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128);
}

const ConfigSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATA_DIR: z.string().min(1).default('./data'),
  /** The issuer identifier (RFC 8414); defaults to http://localhost:PORT. */
  ISSUER: z.url({ protocol: /^https?$/ }).optional(),
  ACCESS_TOKEN_LIFETIME: seconds.default(3600),
  AUTH_CODE_LIFETIME: seconds.default(3600),
  REFRESH_TOKEN_LIFETIME: seconds.default(1209600),
  /** Seconds after a refresh during which a repeat of it answers the same tokens (0: any repeat is reuse). */
  REFRESH_REUSE_GRACE: z.coerce.number().int().min(0).max(300).default(10),
  IGNORE_CLIENT_REQUESTED_SCOPE: bool.default(false),
  /** Require PKCE (S256) from every client, not only public ones. */
  REQUIRE_PKCE: bool.default(false),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** esdb://… selects EventStoreDB for the events; unset, the embedded SQLite store. */
  EVENTSTORE_URL: z.string().regex(/^(esdb|kurrentdb)(\+discover)?:\/\/\S+$/, 'must be an esdb:// URL').optional(),
  /** mongodb://… selects MongoDB for the read models; unset, the embedded SQLite store. */
  MONGODB_URL: z.string().regex(/^mongodb(\+srv)?:\/\/\S+$/, 'must be a mongodb:// URL').optional(),
  /** Connection attempts to a store server at start (with backoff) before exiting 1. */
  STORE_CONNECT_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(6),
  /** /readyz fails when the projections are further behind the log than this. */
  READY_MAX_LAG_SECONDS: seconds.default(30),
  /** Brute-force throttling: failures counted per window of this many seconds (src/http/throttle.ts). */
  THROTTLE_WINDOW: seconds.default(300),
  /** Failed sign-ins (form or password grant) per username per window; 0 turns the limit off. */
  THROTTLE_USER_FAILURES: z.coerce.number().int().min(0).default(10),
  /** Failed sign-ins per client IP address per window; 0 turns the limit off. */
  THROTTLE_IP_FAILURES: z.coerce.number().int().min(0).default(30),
  /** Failed client authentications per client id per window; 0 turns the limit off. */
  THROTTLE_CLIENT_FAILURES: z.coerce.number().int().min(0).default(20),
  /**
   * HTTP worker processes (src/cluster/supervisor.ts): `auto` for one per CPU. With more than one, a
   * supervising process runs the projections and the workers share the port and the stores.
   */
  WORKERS: z
    .union([z.literal('auto'), z.coerce.number().int().min(1).max(64)], { error: 'must be a whole number from 1 to 64, or auto' })
    .default(1)
    .transform((w) => (w === 'auto' ? availableParallelism() : w)),
  /**
   * The reverse proxies in front, comma-separated (addresses, CIDR ranges, loopback, linklocal,
   * uniquelocal): only a request from one of them has its X-Forwarded-For believed, for the
   * client address that the per-IP throttle and the audit use. Unset: the TCP peer's address.
   */
  TRUST_PROXY: z
    .string()
    .transform((list) => list.split(',').map((e) => e.trim()).filter((e) => e !== ''))
    .refine((entries) => entries.length > 0 && entries.every(proxyEntry), {
      message: 'must be comma-separated IP addresses or CIDR ranges (or loopback, linklocal, uniquelocal)',
    })
    .optional(),
  /** 32+ bytes, hex or base64, for the session cookie; generated into DATA_DIR when unset. */
  SESSION_SECRET: z.string().min(32).optional(),
});

export type Config = Omit<z.infer<typeof ConfigSchema>, 'ISSUER'> & { ISSUER: string };

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Reads the environment once; a bad value is a clear message, never a default in disguise. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const raw = Object.fromEntries(
    Object.keys(ConfigSchema.shape).map((k) => [k, env[k] === '' ? undefined : env[k]]),
  );
  const parsed = ConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  const c = parsed.data;
  const issuer = (c.ISSUER ?? `http://localhost:${c.PORT}`).replace(/\/$/, '');
  return { ...c, ISSUER: issuer };
}
