import { DEMO_BRAND_DIR } from '../src/analyse/brand-pack';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config';

const DISCORD_IDS = {
  DISCORD_APPLICATION_ID: '123456789012345678',
  DISCORD_GUILD_ID: '223456789012345678',
  DISCORD_CHANNEL_ID: '323456789012345678',
};

/** The ConfigError thrown for an environment, so a test can read its message and problems. */
function errorFor(env: NodeJS.ProcessEnv): ConfigError {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error(`expected loadConfig to reject ${JSON.stringify(Object.keys(env))}`);
}

describe('loadConfig', () => {
  it('runs on defaults with an empty environment: no Discord, no X, no model', () => {
    const c = loadConfig({});
    expect(c.logLevel).toBe('info');
    expect(c.dbPath).toBe('./data/kairos.db');
    expect(c.brand).toEqual({
      name: 'Oranje Air',
      handles: ['OranjeAir'],
      terms: ['Oranje Air', 'OranjeAir'],
      languages: ['en', 'nl'],
      // With no brand configured at all, the embedded demo's brand pack.
      dir: DEMO_BRAND_DIR,
      bilingualPublicPost: false,
    });
    expect(c.discord).toBeUndefined();
    expect(c.llm).toBeUndefined();
    expect(c.x.mode).toBe('off');
    expect(c.x.replies).toBeUndefined();
    expect(c.timeZone).toBe('Europe/Amsterdam');
    expect(c.digestTime).toBe('09:00');
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('parses lists, numbers and booleans from their string form', () => {
    const c = loadConfig({
      BRAND_HANDLES: ' OranjeAir , OranjeAirHelp ,',
      X_MODE: 'poll',
      X_BEARER_TOKEN: 'bearer-token-value-123',
      X_POLL_INTERVAL_SECONDS: '120',
      OPENAI_API_KEY: 'sk-test-key',
      LLM_MIN_SCORE: '0.7',
      LLM_REDACT: 'no',
    });
    expect(c.brand.handles).toEqual(['OranjeAir', 'OranjeAirHelp']);
    expect(c.x.pollIntervalSeconds).toBe(120);
    expect(c.llm?.minScore).toBe(0.7);
    expect(c.llm?.redact).toBe(false);
    expect(c.llm?.model).toBe('gpt-4o-mini');
  });

  it('treats empty strings (FOO= in .env) as unset', () => {
    const c = loadConfig({
      DISCORD_TOKEN: '',
      DISCORD_CHANNEL_ID: '  ',
      OPENAI_API_KEY: '',
      X_POLL_INTERVAL_SECONDS: '',
      TZ: '',
      LOG_LEVEL: '',
    });
    expect(c.discord).toBeUndefined();
    expect(c.llm).toBeUndefined();
    expect(c.x.pollIntervalSeconds).toBe(60);
    expect(c.timeZone).toBe('Europe/Amsterdam');
    expect(c.logLevel).toBe('info');
  });

  it.each([
    ['DISCORD_CHANNEL_ID', 'general', /Discord id/],
    ['X_POLL_INTERVAL_SECONDS', '5', /15|too small|>=/],
    ['TZ', 'Mars/Olympus', /IANA time zone/],
    ['DIGEST_TIME', '25:00', /HH:MM/],
    ['LOG_LEVEL', 'loud', /info/],
    ['OPENAI_BASE_URL', 'ftp://models.local', /http\(s\) URL/],
    ['X_MODE', 'firehose', /stream/],
  ])('a wrong %s stops start-up with a message naming it and what it expects', (name, value, expects) => {
    const err = errorFor({ [name]: value });
    const line = err.problems.find((p) => p.startsWith(`${name}:`));
    expect(line, err.message).toBeDefined();
    expect(line).toMatch(expects);
    expect(err.message).toContain(name);
  });

  it('names every wrong variable at once, not only the first', () => {
    const err = errorFor({ DIGEST_TIME: '9am', TZ: 'Nowhere/City' });
    expect(err.message).toContain('DIGEST_TIME');
    expect(err.message).toContain('TZ');
  });

  it.each([
    ['DISCORD_TOKEN', 'short-secret-1'],
    ['X_BEARER_TOKEN', 'sec-42'],
  ])('never repeats the value of the secret %s when it is wrong', (name, value) => {
    const err = errorFor({ [name]: value });
    expect(err.message).toContain(name);
    expect(err.message).not.toContain(value);
  });

  it('never repeats any secret value when start-up fails for another reason', () => {
    const secrets = {
      DISCORD_TOKEN: 'discord-secret-value-0123456789',
      OPENAI_API_KEY: 'sk-live-should-never-be-shown',
      X_BEARER_TOKEN: 'x-bearer-secret-value',
      X_APP_SECRET: 'x-app-secret-value',
      X_ACCESS_SECRET: 'x-access-secret-value',
    };
    const err = errorFor({ ...secrets, X_POST_REPLIES: 'true', LLM_MAX_CALLS_PER_HOUR: '100', LLM_MAX_CALLS_PER_DAY: '10' });
    for (const value of Object.values(secrets)) expect(err.message).not.toContain(value);
    expect(err.message).toContain('LLM_MAX_CALLS_PER_HOUR');
  });

  it('shows the value of a non-secret setting to help the operator', () => {
    const err = errorFor({ DIGEST_TIME: '9am' });
    expect(err.message).toContain('"9am"');
  });

  it('DISCORD_TOKEN without the ids lists each missing one, and not the token', () => {
    const token = 'a-discord-bot-token-that-is-long-enough.xyz';
    const err = errorFor({ DISCORD_TOKEN: token });
    for (const name of ['DISCORD_APPLICATION_ID', 'DISCORD_GUILD_ID', 'DISCORD_CHANNEL_ID']) {
      expect(err.problems.some((p) => p.startsWith(`${name}:`)), `${name} in ${err.message}`).toBe(true);
    }
    expect(err.message).not.toContain(token);
  });

  it('DISCORD_TOKEN with one id missing names only that one', () => {
    const err = errorFor({ DISCORD_TOKEN: 'a-discord-bot-token-that-is-long-enough', ...DISCORD_IDS, DISCORD_GUILD_ID: '' });
    expect(err.problems).toHaveLength(1);
    expect(err.problems[0]).toMatch(/^DISCORD_GUILD_ID:/);
  });

  it('DISCORD_TOKEN with its ids builds the discord settings', () => {
    const c = loadConfig({ DISCORD_TOKEN: 'a-discord-bot-token-that-is-long-enough', ...DISCORD_IDS });
    expect(c.discord).toMatchObject({ channelId: DISCORD_IDS.DISCORD_CHANNEL_ID, guildId: DISCORD_IDS.DISCORD_GUILD_ID });
  });

  it('X_MODE stream without a bearer token is refused, naming X_BEARER_TOKEN', () => {
    const err = errorFor({ X_MODE: 'stream' });
    expect(err.problems).toEqual([expect.stringMatching(/^X_BEARER_TOKEN: required when X_MODE is stream/)]);
  });

  it('a local model base URL alone turns the model on', () => {
    const c = loadConfig({ OPENAI_BASE_URL: 'http://127.0.0.1:11434/v1' });
    expect(c.llm?.baseUrl).toBe('http://127.0.0.1:11434/v1');
  });

  it('brand id: the default brand unless KAIROS_BRAND_ID names one; a name that cannot be an id is refused, named', () => {
    expect(loadConfig({}).brandId).toBe('default');
    expect(loadConfig({ KAIROS_BRAND_ID: 'klm' }).brandId).toBe('klm');
    expect(loadConfig({ KAIROS_BRAND_ID: 'oranje-air-2' }).brandId).toBe('oranje-air-2');
    for (const bad of ['KLM', 'klm royal', '-klm', 'a'.repeat(41)]) {
      expect(errorFor({ KAIROS_BRAND_ID: bad }).message).toMatch(/KAIROS_BRAND_ID: .*lowercase letters, digits and dashes/);
    }
  });

  it('log format: auto by default, json or pretty when asked, anything else named', () => {
    expect(loadConfig({}).logFormat).toBe('auto');
    expect(loadConfig({ LOG_FORMAT: 'json' }).logFormat).toBe('json');
    expect(errorFor({ LOG_FORMAT: 'xml' }).message).toMatch(/LOG_FORMAT: expected one of "auto"\|"json"\|"pretty" \(got "xml"\)/);
  });

  it('cards: every moment by default, clear ones only when asked, anything else named', () => {
    expect(loadConfig({}).cards).toBe('all');
    expect(loadConfig({ KAIROS_CARDS: 'clear' }).cards).toBe('clear');
    expect(errorFor({ KAIROS_CARDS: 'some' }).message).toMatch(/KAIROS_CARDS: expected one of "all"\|"clear" \(got "some"\)/);
  });
});
