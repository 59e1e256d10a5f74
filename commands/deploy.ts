import 'dotenv/config';
import { pathToFileURL } from 'node:url';
import { REST, Routes } from 'discord.js';
import { commands } from './index';
import { ConfigError, loadConfig, type Config } from '../src/config';

/** Registers the slash commands: to the team's guild (instant), or globally with --global (slow to appear). */
export async function deployCommands(config: Config, global = false): Promise<{ count: number; scope: string }> {
  const d = config.discord;
  if (!d) throw new Error('Set DISCORD_TOKEN, DISCORD_APPLICATION_ID, DISCORD_GUILD_ID and DISCORD_CHANNEL_ID first.');
  const rest = new REST(d.apiUrl ? { api: d.apiUrl } : {}).setToken(d.token);
  const body = commands.map((c) => c.data);
  const route = global ? Routes.applicationCommands(d.applicationId) : Routes.applicationGuildCommands(d.applicationId, d.guildId);
  const registered = (await rest.put(route, { body })) as unknown[];
  return { count: registered.length, scope: global ? 'global' : `guild ${d.guildId}` };
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) {
  try {
    const r = await deployCommands(loadConfig(), process.argv.includes('--global'));
    console.log(`Registered ${r.count} slash commands (${r.scope}).`);
  } catch (err) {
    console.error(err instanceof ConfigError ? err.message : `Could not register the commands: ${(err as Error).message}`);
    process.exitCode = 1;
  }
}
