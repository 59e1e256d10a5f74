import { Routes, type APIMessage, type REST } from 'discord.js';

const DISCORD_EPOCH = 1420070400000n;
/** Clocks differ: start a little before the attempt. */
const SKEW_MS = 60_000;
const PAGE = 100;

/** The smallest snowflake of a moment: every message made at or after it has a larger id. */
export function snowflakeAt(ms: number): string {
  return ((BigInt(Math.max(0, Math.floor(ms))) - DISCORD_EPOCH) << 22n).toString();
}

/**
 * After a crash or a lost answer: the message of ours that `matches`, posted to the channel at or after `since`
 * (when the first attempt began), or null. Reads the channel forward from that moment, a page of 100 at a time,
 * so it finds the message however many others were posted since.
 */
export async function findPosted(
  rest: REST,
  channelId: string,
  since: string,
  matches: (m: APIMessage) => boolean,
  botUserId?: string,
): Promise<string | null> {
  let after = snowflakeAt(Date.parse(since) - SKEW_MS);
  for (;;) {
    const page = (await rest.get(Routes.channelMessages(channelId), {
      query: new URLSearchParams({ after, limit: String(PAGE) }),
    })) as APIMessage[];
    const mine = page.find((m) => (!botUserId || m.author?.id === botUserId) && matches(m));
    if (mine) return mine.id;
    if (page.length < PAGE) return null;
    // Discord's order within a page is not promised: go on from the newest one seen.
    after = page.reduce((max, m) => (BigInt(m.id) > BigInt(max) ? m.id : max), after);
  }
}
