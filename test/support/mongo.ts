import { randomBytes } from 'node:crypto';
import { MongoClient } from 'mongodb';

/**
 * The MongoDB-compatible server the Mongo adapter tests run against: MONGODB_URL, or null, in which
 * case those suites skip and say why. Locally: `export "$(test/support/ferretdb/start.sh)"`.
 */
export function mongoUrl(): string | null {
  const url = process.env.MONGODB_URL;
  return url === undefined || url.trim() === '' ? null : url.trim();
}

export const MONGO_SKIP_REASON =
  'skipped: MONGODB_URL is not set (start one with `export "$(test/support/ferretdb/start.sh)"`)';

/** A database name no other test uses (FerretDB allows [A-Za-z0-9_-], up to 63 characters). */
export function freshDbName(prefix = 'oauth2_test'): string {
  return `${prefix}_${randomBytes(6).toString('hex')}`;
}

/** The same connection string with `dbName` as its path. */
export function urlWithDb(url: string, dbName: string): string {
  const [base = '', query] = url.split('?', 2);
  const hosts = base.replace(/^(mongodb(?:\+srv)?:\/\/[^/]*).*$/, '$1');
  return `${hosts}/${dbName}${query === undefined ? '' : `?${query}`}`;
}

/** Runs `fn` with a raw driver connection (to inspect or drop what an adapter left). */
export async function withMongo<T>(url: string, fn: (client: MongoClient) => Promise<T>): Promise<T> {
  const client = new MongoClient(url);
  try {
    await client.connect();
    return await fn(client);
  } finally {
    await client.close();
  }
}
