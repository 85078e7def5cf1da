// The start-up line: an operator sees at a glance what is on, and never a secret.
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { startupLine, startupSummary } from '../src/startupSummary.js';

const SECRETS = {
  SLACK_BOT_TOKEN: 'xoxb-secret-bot-token',
  SLACK_SIGNING_SECRET: 'slack-signing-secret',
  TWILIO_ACCOUNT_SID: 'AC0123',
  TWILIO_AUTH_TOKEN: 'twilio-auth-secret',
  EIGHTX8_API_KEY: 'eightx8-api-secret',
  EIGHTX8_SUBACCOUNT_ID: 'sub-1',
  EIGHTX8_WEBHOOK_AUTH: 'Basic webhook-secret',
  TEAMS_APP_ID: 'teams-app',
  TEAMS_APP_PASSWORD: 'teams-password-secret',
  ADMIN_TOKEN: 'admin-token-0123456789abcdef',
  MEDIA_SIGNING_SECRET: 'media-signing-secret-0123',
  REDIS_URL: 'redis://bridge:redis-password@redis.internal:6380/2',
  PUBLIC_URL: 'https://sms.example.com',
};

describe('the start-up line', () => {
  it('names every provider and platform that is on, the store, Redis, the public and console URLs', () => {
    const config = loadConfig(SECRETS);
    const s = startupSummary(config, { databaseFile: '/srv/data/sms-bridge.db', localRedis: null });
    expect(s).toEqual({
      sms: ['twilio', '8x8', 'local'],
      chat: ['slack (http)', 'teams', 'web inbox (numbers mapped to web)'],
      store: 'sqlite /srv/data/sms-bridge.db',
      redis: 'redis://redis.internal:6380/2',
      publicUrl: 'https://sms.example.com',
      consoleUrl: 'https://sms.example.com/admin',
    });
    expect(startupLine('http://localhost:3000', s)).toBe(
      'sms-bridge listening on http://localhost:3000: SMS twilio, 8x8, local; chat slack (http), teams, web inbox (numbers mapped to web); store sqlite /srv/data/sms-bridge.db; ' +
        'Redis redis://redis.internal:6380/2; public URL https://sms.example.com; console https://sms.example.com/admin',
    );
  });

  it('never carries a secret, not even the Redis password', () => {
    const config = loadConfig(SECRETS);
    const s = startupSummary(config, { databaseFile: '/srv/data/sms-bridge.db', localRedis: null });
    const text = JSON.stringify(s) + startupLine('http://localhost:3000', s);
    for (const [name, value] of Object.entries(SECRETS)) {
      if (['TWILIO_ACCOUNT_SID', 'EIGHTX8_SUBACCOUNT_ID', 'TEAMS_APP_ID', 'PUBLIC_URL', 'REDIS_URL'].includes(name)) continue;
      expect(text, name).not.toContain(value);
    }
    expect(text).not.toContain('redis-password');
    expect(text).not.toContain('bridge:');
  });

  it('names Slack\'s Socket Mode as "slack (socket)", and never the app token', () => {
    const config = loadConfig({ SLACK_BOT_TOKEN: 'xoxb-secret-bot-token', SLACK_APP_TOKEN: 'xapp-1-A0APP-secret-app-token' });
    const s = startupSummary(config, { databaseFile: '/srv/data/sms-bridge.db', localRedis: null });
    expect(s.chat).toEqual(['slack (socket)', 'web inbox (numbers mapped to web)']);
    const line = startupLine('http://localhost:3000', s);
    expect(line).toContain('; chat slack (socket), web inbox (numbers mapped to web);');
    expect(JSON.stringify(s) + line).not.toContain('secret-app-token');
  });

  it('with nothing configured: only the local dev provider, the web inbox showing every number, and the local Redis it started with how to stop it', () => {
    const config = loadConfig({ TEAMS_ALLOW_ANONYMOUS: 'true' });
    const s = startupSummary(config, { databaseFile: '/tmp/d/sms-bridge.db', localRedis: { pid: 4242, dir: '/tmp/d/redis', startedNow: true } });
    expect(s.sms).toEqual(['local']);
    expect(s.chat).toEqual(['teams (anonymous, no token checks)', 'web inbox (numbers mapped to web)']);
    expect(s.localRedisPid).toBe(4242);
    expect(startupLine('http://localhost:3000', s)).toContain(
      'Redis redis://127.0.0.1:6379 (local redis-server pid 4242, keeps running after the bridge: npm run redis:stop)',
    );
    expect(startupLine('http://localhost:3000', startupSummary(loadConfig({}), { databaseFile: 'x', localRedis: null }))).toContain('; chat web inbox (every number);');
  });

  it('names PostgreSQL as the store when DATABASE_URL selects it, without its password', () => {
    const config = loadConfig({ DATABASE_URL: 'postgres://bridge:s3cret-pw@db.internal:5432/smsbridge' });
    const s = startupSummary(config, { databaseFile: '/srv/data/sms-bridge.db', localRedis: null });
    expect(s.store).toBe('postgres postgres://db.internal:5432/smsbridge');
    expect(startupLine('http://localhost:3000', s)).not.toContain('s3cret-pw');
    expect(startupLine('http://localhost:3000', s)).not.toContain('sqlite');
  });
});
