import { ButtonStyle as DiscordButtonStyle, ComponentType as DiscordComponentType } from 'discord.js';
import { describe, expect, it } from 'vitest';
import { ButtonStyle, ComponentType } from '../src/discord/components';

describe("cards' component values", () => {
  it("are discord.js's own", () => {
    expect(ComponentType).toEqual({ ActionRow: DiscordComponentType.ActionRow, Button: DiscordComponentType.Button });
    expect(ButtonStyle).toEqual({
      Primary: DiscordButtonStyle.Primary,
      Secondary: DiscordButtonStyle.Secondary,
      Success: DiscordButtonStyle.Success,
      Danger: DiscordButtonStyle.Danger,
    });
  });
});
