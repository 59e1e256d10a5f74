/** How a post platform is named to the team (on buttons, in messages and the audit). */
export function platformName(platform: string): string {
  return ({ x: 'X', facebook: 'Facebook', instagram: 'Instagram', bluesky: 'Bluesky', mastodon: 'Mastodon' } as Record<string, string>)[platform] ?? platform;
}
