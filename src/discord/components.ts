import type { ButtonStyle as Style, ComponentType as Type } from 'discord.js';

/**
 * The few values of discord.js's enums that cards and the digest are built with, as Discord's API numbers them
 * (checked against discord.js's own in test/discord-components.test.ts). Importing discord.js for them would load
 * all of it, about 0.4 s and 40 MB, into every replay and classify run that never talks to Discord.
 */
export const ComponentType = { ActionRow: 1 as Type.ActionRow, Button: 2 as Type.Button } as const;

export const ButtonStyle = { Primary: 1 as Style.Primary, Secondary: 2 as Style.Secondary, Success: 3 as Style.Success, Danger: 4 as Style.Danger } as const;
