import { PermissionFlagsBits, type Interaction } from 'discord.js';

/**
 * Who may act: members of the team role, or anyone with Manage Messages in the channel, in the team's own guild.
 * Interaction data carries the member's roles and computed permissions, so no extra intent or fetch is needed.
 */
export function mayAct(interaction: Interaction, guildId: string, teamRoleId?: string): boolean {
  if (!interaction.inGuild() || interaction.guildId !== guildId) return false;
  if (interaction.memberPermissions?.has(PermissionFlagsBits.ManageMessages)) return true;
  if (!teamRoleId) return false;
  const roles = interaction.member.roles;
  return Array.isArray(roles) ? roles.includes(teamRoleId) : roles.cache.has(teamRoleId);
}

export const NOT_ALLOWED =
  'Not allowed: only the social team (its role, or Manage Messages) can use Kairos. Nothing was changed.';
