import { freshDbName, mongoUrl, urlWithDb } from './mongo.js';

/**
 * The store settings a test server gets: the embedded stores, or with TEST_READ_STORE=mongodb (the
 * `mongodb-read-models` vitest project) MongoDB read models in a database of their own.
 */
export function testStoreEnv(): Record<string, string> {
  if (process.env.TEST_READ_STORE !== 'mongodb') return {};
  const url = mongoUrl();
  if (!url) throw new Error('TEST_READ_STORE=mongodb needs MONGODB_URL');
  return { MONGODB_URL: urlWithDb(url, freshDbName('oauth2_http')) };
}

/** The parent's environment without store URLs: a child process uses only the stores a test names. */
export function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const { MONGODB_URL: _m, EVENTSTORE_URL: _e, ...rest } = process.env;
  return { ...rest, ...env };
}
