/** The outbox name of Discord's cards and messages (apart from the sink, so naming it loads no discord.js). */
export const DISCORD_SINK = 'discord';
