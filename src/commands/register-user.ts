import { decideClaimUsername, decideRegisterUser, usernameStream } from '../domain/user.js';
import { DomainConflict } from '../domain/client.js';
import { timeOrderedId } from '../security/ids.js';
import { WrongExpectedRevisionError } from '../store/event-store.js';
import { hashSecret } from '../security/secret-hash.js';
import { type CommandContext, type RequestMeta, toNewEvents } from './context.js';
import { loadAggregate } from './load.js';

/** Claims the username on its own stream first, so that two registrations of one name cannot both win. */
export async function registerUser(
  ctx: CommandContext,
  reg: { username: string; password: string },
  meta: RequestMeta,
): Promise<string> {
  const userId = timeOrderedId();
  const registered = decideRegisterUser({ userId, username: reg.username, passwordHash: await hashSecret(reg.password) });
  const claimStream = usernameStream(reg.username);
  const { events: claims } = await loadAggregate(ctx.events, claimStream, (s: null) => s, null);
  const claim = decideClaimUsername(claims, { username: reg.username, userId });
  try {
    await ctx.events.append(claimStream, toNewEvents(claim, meta), 'no_stream');
  } catch (error) {
    if (error instanceof WrongExpectedRevisionError) throw new DomainConflict(`username ${reg.username} is taken`);
    throw error;
  }
  const { position } = await ctx.events.append(`user-${userId}`, toNewEvents(registered, meta), 'no_stream');
  await ctx.waitForProjection(position);
  return userId;
}

export async function usernameTaken(ctx: CommandContext, username: string): Promise<boolean> {
  return (await ctx.events.readStream(usernameStream(username))).length > 0;
}
