import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import type { AuditEntry } from '../audit/entry.js';
import { formatEntries, formatLiveTokens } from '../audit/format.js';
import type { LiveToken } from '../audit/live.js';
import { clientKnown, findGrantId, grantsOf, liveTokensOf, loadGrantHistory, userIdOf } from '../audit/log.js';
import type { Party } from '../audit/select.js';
import { AuditInputError, parseAuditTime, parseRange, type TimeRange } from '../audit/time.js';
import { withRuntime } from './runtime-command.js';

interface PartyOptions {
  since?: string;
  until?: string;
  asOf?: string;
  json?: boolean;
}

/** What a party audit asks: a history within a range, or the live tokens at one moment. */
type PartyQuery = { kind: 'history'; range: TimeRange } | { kind: 'asOf'; at: number };

function partyQuery(o: PartyOptions): PartyQuery {
  if (o.asOf !== undefined) {
    if (o.since !== undefined || o.until !== undefined) throw new AuditInputError('--as-of cannot be combined with --since or --until');
    return { kind: 'asOf', at: parseAuditTime(o.asOf, '--as-of') };
  }
  return { kind: 'history', range: parseRange(o.since, o.until) };
}

function printEntries(entries: AuditEntry[], json: boolean | undefined, omit: string[] = []): void {
  if (json) console.log(JSON.stringify(entries, null, 2));
  else if (entries.length === 0) console.log('no events');
  else for (const line of formatEntries(entries, omit)) console.log(line);
}

function printLive(tokens: LiveToken[], at: number, json: boolean | undefined): void {
  if (json) console.log(JSON.stringify(tokens, null, 2));
  else if (tokens.length === 0) console.log(`no live tokens at ${new Date(at).toISOString()}`);
  else for (const line of formatLiveTokens(tokens)) console.log(line);
}

/** `-` reads the token from standard input, so that it stays out of shell history and `ps`. */
function tokenArgument(arg: string): string {
  return arg === '-' ? readFileSync(0, 'utf8').trim() : arg.trim();
}

const TIME_HELP = 'ISO 8601, e.g. 2025-03-01T12:00:00Z (no offset: UTC)';

/** `oauth2 audit …`: the history of grants, replayed from the event log (never the read models). */
export function auditCommands(program: Command): void {
  const audit = program
    .command('audit')
    .description('replay the event log: who got which token, when, and what happened to it');

  const fail = (message: string): never => program.error(`oauth2 audit: ${message}`);
  const query = (o: PartyOptions): PartyQuery => {
    try {
      return partyQuery(o);
    } catch (error) {
      if (error instanceof AuditInputError) return fail(error.message);
      throw error;
    }
  };

  audit
    .command('token')
    .argument('<token-or-grant-id>', 'an access token, refresh token or code (hashed, never printed), a grant id, or - to read it from stdin')
    .description('the whole life of the grant a token belongs to, in order')
    .option('--json', 'a JSON array of events')
    // A base64url token may begin with '-': take it as the argument, not as an unknown option.
    .allowUnknownOption()
    .action(async (arg: string, o: { json?: boolean }) => {
      const value = tokenArgument(arg);
      if (value === '') fail('give a token or a grant id');
      const found = await withRuntime(async ({ events }) => {
        const grantId = await findGrantId(events, value);
        return grantId === null ? null : { grantId, entries: (await loadGrantHistory(events, grantId)) ?? [] };
      });
      if (found === null) return fail('no grant found for that token or grant id');
      if (!o.json) console.log(`grant ${found.grantId}`);
      printEntries(found.entries, o.json, ['grantId']);
    });

  const partyCommand = (name: 'client' | 'user', argument: string, what: string) =>
    audit
      .command(name)
      .argument(argument)
      .description(`every grant ${what} was part of, in log order; or with --as-of, the tokens live at that moment`)
      .option('--since <time>', `only events at or after this time; ${TIME_HELP}`)
      .option('--until <time>', `only events at or before this time; ${TIME_HELP}`)
      .option('--as-of <time>', `the tokens that were live at this time, and their scope; ${TIME_HELP}`)
      .option('--json', 'a JSON array (of events, or with --as-of of live tokens)');

  async function runParty(resolve: (events: Parameters<typeof grantsOf>[0]) => Promise<Party | null>, unknown: string, o: PartyOptions) {
    const q = query(o);
    const result = await withRuntime(async ({ events }) => {
      const party = await resolve(events);
      if (party === null) return null;
      return q.kind === 'asOf'
        ? { kind: 'live' as const, live: await liveTokensOf(events, party, q.at), at: q.at }
        : { kind: 'history' as const, entries: await grantsOf(events, party, q.range) };
    });
    if (result === null) return fail(unknown);
    if (result.kind === 'live') printLive(result.live, result.at, o.json);
    else printEntries(result.entries, o.json);
  }

  partyCommand('client', '<client-id>', 'the client').action((clientId: string, o: PartyOptions) =>
    runParty(async (events) => ((await clientKnown(events, clientId)) ? { clientId } : null), `no client ${clientId}`, o),
  );

  partyCommand('user', '<username>', 'the user').action((username: string, o: PartyOptions) =>
    runParty(async (events) => {
      const userId = await userIdOf(events, username);
      return userId === null ? null : { userId };
    }, `no user ${username}`, o),
  );
}
