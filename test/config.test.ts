import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import dotenv from 'dotenv';
import { CONFIG_VARIABLES, loadConfig, loadConfigFromProcess } from '../src/config.js';
import { ConfigError } from '../src/core/errors.js';

function configError(env: Record<string, string | undefined>): string {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).message;
  }
  throw new Error('expected loadConfig to throw');
}

describe('configuration from the environment', () => {
  it('runs with nothing configured, on the documented defaults', () => {
    const c = loadConfig({});
    expect(c.port).toBe(3000);
    expect(c.publicUrl).toBe('http://localhost:3000');
    expect(c.dataDir).toBe('./data');
    expect(c.redisUrl).toBe('redis://127.0.0.1:6379');
    expect(c.queuePrefix).toBe('smsb');
    expect(c.adminToken).toBeNull();
    expect(c.logLevel).toBe('info');
    expect(c.logFormat).toBe('json');
    expect(c.slack).toEqual({ enabled: false, botToken: null, signingSecret: null, appToken: null, apiUrl: 'https://slack.com/api/' });
    expect(c.teams).toEqual({ enabled: false, appId: null, appPassword: null, tenantId: null, allowAnonymous: false, openIdMetadataUrl: null, allowedTenants: null, serviceUrlHosts: null });
    expect(c.twilio).toEqual({ enabled: false, accountSid: null, authToken: null, apiUrl: 'https://api.twilio.com' });
    expect(c.eightx8).toEqual({ enabled: false, apiKey: null, subaccountId: null, apiUrl: 'https://sms.us.8x8.com', webhookAuth: null, mediaHosts: null });
    expect(c.mediaMaxBytes).toBe(5 * 1024 * 1024);
    expect(c.shutdownTimeoutMs).toBe(20_000); // longer than a provider call's 15 s timeout
    expect(c.instanceId).toBeNull(); // host name plus an id kept in DATA_DIR
  });

  it('PUBLIC_URL defaults to localhost on the configured PORT', () => {
    expect(loadConfig({ PORT: '8080' }).publicUrl).toBe('http://localhost:8080');
  });

  it('a PUBLIC_URL with a trailing slash is kept without it (signatures are computed on base + path)', () => {
    expect(loadConfig({ PUBLIC_URL: 'https://sms.example.com/' }).publicUrl).toBe('https://sms.example.com');
  });

  it('SLACK_API_URL always ends with a slash, as the Slack client expects', () => {
    expect(loadConfig({ SLACK_API_URL: 'http://127.0.0.1:9999/api' }).slack.apiUrl).toBe('http://127.0.0.1:9999/api/');
  });

  it('an empty value counts as not set', () => {
    const c = loadConfig({ ADMIN_TOKEN: '', PORT: ' ', SLACK_BOT_TOKEN: '' });
    expect(c.adminToken).toBeNull();
    expect(c.port).toBe(3000);
    expect(c.slack.enabled).toBe(false);
  });

  it.each([
    [{ PORT: 'abc' }, 'PORT: expected an integer 0-65535, got "abc"'],
    [{ PORT: '70000' }, 'PORT: expected an integer 0-65535, got "70000"'],
    [{ PORT: '3.5' }, 'PORT: expected an integer 0-65535, got "3.5"'],
    [{ PUBLIC_URL: 'example.com' }, 'PUBLIC_URL: expected an absolute http(s) URL, got "example.com"'],
    [{ PUBLIC_URL: 'ftp://example.com' }, 'PUBLIC_URL: expected an absolute http(s) URL, got "ftp://example.com"'],
    [{ SLACK_API_URL: 'nope' }, 'SLACK_API_URL: expected an absolute http(s) URL, got "nope"'],
    [{ TWILIO_API_URL: 'nope' }, 'TWILIO_API_URL: expected an absolute http(s) URL, got "nope"'],
    [{ EIGHTX8_API_URL: 'nope' }, 'EIGHTX8_API_URL: expected an absolute http(s) URL, got "nope"'],
    [{ QUEUE_PREFIX: 'has space' }, 'QUEUE_PREFIX: expected 1-64 letters, digits, "_", "." or "-", got "has space"'],
    [{ TEAMS_ALLOW_ANONYMOUS: 'maybe' }, 'TEAMS_ALLOW_ANONYMOUS: expected true or false, got "maybe"'],
    [{ TEAMS_OPENID_METADATA_URL: 'login.botframework.com' }, 'TEAMS_OPENID_METADATA_URL: expected an absolute http(s) URL, got "login.botframework.com"'],
    [
      { TEAMS_ALLOWED_TENANTS: 'contoso.onmicrosoft.com' },
      'TEAMS_ALLOWED_TENANTS: expected comma-separated tenant ids (GUIDs such as 72f988bf-86f1-41af-91ab-2d7cd011db47), not domain names, got "contoso.onmicrosoft.com"',
    ],
    [
      { TEAMS_SERVICE_URL_HOSTS: 'https://smba.trafficmanager.net/amer/' },
      'TEAMS_SERVICE_URL_HOSTS: expected comma-separated host names or *.suffix wildcards, e.g. "smba.trafficmanager.net,*.example.us" (127.0.0.1 or localhost for a local connector), got "https://smba.trafficmanager.net/amer/"',
    ],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL: expected one of fatal, error, warn, info, debug, trace, silent, got "loud"'],
    [{ LOG_FORMAT: 'colour' }, 'LOG_FORMAT: expected json or pretty, got "colour"'],
    [{ MEDIA_MAX_BYTES: '-1' }, 'MEDIA_MAX_BYTES: expected an integer 1-104857600, got "-1"'],
    [{ SHUTDOWN_TIMEOUT_MS: 'soon' }, 'SHUTDOWN_TIMEOUT_MS: expected an integer 100-600000, got "soon"'],
    [{ INSTANCE_ID: 'a b' }, 'INSTANCE_ID: expected 1-64 letters, digits, dots, dashes or underscores, got "a b"'],
    [
      { TRUST_PROXY: 'yes please' },
      'TRUST_PROXY: expected false, true, a number of proxies in front (e.g. 1), or comma-separated proxy addresses or subnets (e.g. "10.0.0.0/8,loopback"), got "yes please"',
    ],
  ])('a bad value stops start-up with one line naming the variable: %j', (env, message) => {
    const msg = configError(env);
    expect(msg).toBe(message);
    expect(msg).not.toContain('\n');
  });

  it('REDIS_URL must be a redis URL, and its value is not echoed (it may hold a password)', () => {
    const msg = configError({ REDIS_URL: 'http://user:hunter2@127.0.0.1' });
    expect(msg).toBe('REDIS_URL: expected a redis:// or rediss:// URL');
    expect(msg).not.toContain('hunter2');
  });

  it.each([
    [{ SLACK_BOT_TOKEN: 'xoxb-1' }, 'SLACK_SIGNING_SECRET: required when SLACK_BOT_TOKEN is set (Slack needs both), unless SLACK_APP_TOKEN turns Socket Mode on'],
    [{ SLACK_SIGNING_SECRET: 's3cret' }, 'SLACK_BOT_TOKEN: required when SLACK_SIGNING_SECRET is set (Slack needs both)'],
    [{ TWILIO_ACCOUNT_SID: 'AC1' }, 'TWILIO_AUTH_TOKEN: required when TWILIO_ACCOUNT_SID is set (Twilio needs both)'],
    [{ TWILIO_AUTH_TOKEN: 't' }, 'TWILIO_ACCOUNT_SID: required when TWILIO_AUTH_TOKEN is set (Twilio needs both)'],
    [{ EIGHTX8_API_KEY: 'k' }, 'EIGHTX8_SUBACCOUNT_ID: required when EIGHTX8_API_KEY is set (8x8 needs both)'],
    [{ EIGHTX8_SUBACCOUNT_ID: 'sub' }, 'EIGHTX8_API_KEY: required when EIGHTX8_SUBACCOUNT_ID is set (8x8 needs both)'],
    [{ TEAMS_APP_ID: 'app' }, 'TEAMS_APP_PASSWORD: required when TEAMS_APP_ID is set (Teams needs both)'],
    [{ TEAMS_APP_PASSWORD: 'pw' }, 'TEAMS_APP_ID: required when TEAMS_APP_PASSWORD is set (Teams needs both)'],
    [{ TEAMS_APP_TENANT_ID: 'tenant' }, 'TEAMS_APP_ID: required when TEAMS_APP_TENANT_ID is set'],
  ])('a half-set credential pair names the missing variable: %j', (env, message) => {
    expect(configError(env)).toBe(message);
  });

  it('SLACK_APP_TOKEN turns Socket Mode on: the bot token is still needed, the signing secret is not', () => {
    const c = loadConfig({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_APP_TOKEN: 'xapp-1-A0APP-123-abc' });
    expect(c.slack).toMatchObject({ enabled: true, botToken: 'xoxb-1', appToken: 'xapp-1-A0APP-123-abc', signingSecret: null });
    // Both set: Socket Mode (nothing arrives over HTTP); the secret is kept for a switch back.
    expect(loadConfig({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_APP_TOKEN: 'xapp-1', SLACK_SIGNING_SECRET: 'sig' }).slack).toMatchObject({ enabled: true, appToken: 'xapp-1' });
    expect(configError({ SLACK_APP_TOKEN: 'xapp-1' })).toBe(
      'SLACK_BOT_TOKEN: required when SLACK_APP_TOKEN is set (Socket Mode receives events with the app token; the bridge posts with the bot token)',
    );
  });

  it('SLACK_APP_TOKEN must be an app-level token (xapp-...), and its value is not echoed', () => {
    for (const wrong of ['xoxb-123-456-secretbot', 'xapp-', 'xapp-has space', 'app-token']) {
      const msg = configError({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_APP_TOKEN: wrong });
      expect(msg).toBe('SLACK_APP_TOKEN: expected an app-level token (xapp-...) with the connections:write scope, not the bot token');
    }
  });

  it('8x8 needs EIGHTX8_WEBHOOK_AUTH once it is on', () => {
    expect(configError({ EIGHTX8_API_KEY: 'k', EIGHTX8_SUBACCOUNT_ID: 'sub' })).toMatch(/^EIGHTX8_WEBHOOK_AUTH: required when 8x8 is on/);
  });

  it('secret values never appear in an error line', () => {
    const msg = configError({ SLACK_BOT_TOKEN: 'xoxb-very-secret' });
    expect(msg).not.toContain('xoxb-very-secret');
  });

  it('a platform or provider is on exactly when its credentials are set', () => {
    const c = loadConfig({
      SLACK_BOT_TOKEN: 'xoxb-1',
      SLACK_SIGNING_SECRET: 'sig',
      TWILIO_ACCOUNT_SID: 'AC1',
      TWILIO_AUTH_TOKEN: 'tok',
      EIGHTX8_API_KEY: 'key',
      EIGHTX8_SUBACCOUNT_ID: 'sub',
      EIGHTX8_WEBHOOK_AUTH: 'Bearer hook',
      TEAMS_APP_ID: 'app',
      TEAMS_APP_PASSWORD: 'pw',
      TEAMS_APP_TENANT_ID: 'tenant',
      PUBLIC_URL: 'https://sms.example.com',
    });
    expect([c.slack.enabled, c.twilio.enabled, c.eightx8.enabled, c.teams.enabled]).toEqual([true, true, true, true]);
    expect(c.eightx8.webhookAuth).toBe('Bearer hook');
    expect(c.teams.tenantId).toBe('tenant');
  });

  it('refuses settings that would quietly switch a safeguard off, naming the variable', () => {
    const refused = (env: Record<string, string>) => () => loadConfig(env);
    // Anonymous Teams (no JWT checks) together with real credentials.
    expect(refused({ TEAMS_ALLOW_ANONYMOUS: 'true', TEAMS_APP_ID: 'app', TEAMS_APP_PASSWORD: 'pw' })).toThrow(/^TEAMS_ALLOW_ANONYMOUS: must not be true when TEAMS_APP_ID is set/);
    // Token signing keys fetched in clear from another machine.
    expect(refused({ TEAMS_OPENID_METADATA_URL: 'http://login.example.com/openid' })).toThrow(/^TEAMS_OPENID_METADATA_URL: expected an https URL/);
    expect(loadConfig({ TEAMS_OPENID_METADATA_URL: 'http://127.0.0.1:4000/openid' }).teams.openIdMetadataUrl).toBe('http://127.0.0.1:4000/openid');
    // Guessable secrets (the values are never echoed).
    expect(refused({ ADMIN_TOKEN: 'admin' })).toThrow(/^ADMIN_TOKEN: expected at least 16 characters[^"]*$/);
    // A token no Authorization header can carry would lock every admin out.
    expect(refused({ ADMIN_TOKEN: 'correct horse battery staple' })).toThrow(/^ADMIN_TOKEN: expected printable ASCII without spaces[^"]*$/);
    expect(refused({ ADMIN_TOKEN: 'mot-de-passe-très-long' })).toThrow(/^ADMIN_TOKEN: expected printable ASCII without spaces/);
    expect(refused({ MEDIA_SIGNING_SECRET: 'x' })).toThrow(/^MEDIA_SIGNING_SECRET: expected at least 16 characters[^"]*$/);
    // Twilio on without the public URL its webhook signatures are checked against.
    expect(refused({ TWILIO_ACCOUNT_SID: 'AC1', TWILIO_AUTH_TOKEN: 'tok' })).toThrow(/^PUBLIC_URL: required when Twilio is on/);
  });

  it('EIGHTX8_MEDIA_HOSTS pins the hosts 8x8 media may come from; unset means any public HTTPS host', () => {
    expect(loadConfig({}).eightx8.mediaHosts).toBeNull();
    expect(loadConfig({ EIGHTX8_MEDIA_HOSTS: 'Media.8x8.com, *.s3.amazonaws.com' }).eightx8.mediaHosts).toEqual(['media.8x8.com', '*.s3.amazonaws.com']);
    expect(() => loadConfig({ EIGHTX8_MEDIA_HOSTS: 'https://media.8x8.com/' })).toThrow(/^EIGHTX8_MEDIA_HOSTS: expected comma-separated host names/);
  });

  it('TEAMS_ALLOWED_TENANTS and TEAMS_SERVICE_URL_HOSTS are lists, kept lower-case; unset means null (the defaults)', () => {
    expect(loadConfig({}).teams).toMatchObject({ allowedTenants: null, serviceUrlHosts: null });
    const c = loadConfig({
      TEAMS_ALLOWED_TENANTS: '72F988BF-86F1-41AF-91AB-2D7CD011DB47, 00000000-0000-0000-0000-000000000001',
      TEAMS_SERVICE_URL_HOSTS: 'smba.trafficmanager.net, *.Example.us, 127.0.0.1, localhost',
    });
    expect(c.teams.allowedTenants).toEqual(['72f988bf-86f1-41af-91ab-2d7cd011db47', '00000000-0000-0000-0000-000000000001']);
    expect(c.teams.serviceUrlHosts).toEqual(['smba.trafficmanager.net', '*.example.us', '127.0.0.1', 'localhost']);
  });

  it('TEAMS_ALLOW_ANONYMOUS is refused on a deployed bridge: PUBLIC_URL not on loopback and NODE_ENV neither test nor development', () => {
    const deployed = { TEAMS_ALLOW_ANONYMOUS: 'true', PUBLIC_URL: 'https://sms.example.com' };
    for (const nodeEnv of [undefined, 'production', 'staging']) {
      const msg = configError({ ...deployed, ...(nodeEnv ? { NODE_ENV: nodeEnv } : {}) });
      expect(msg).toBe(
        'TEAMS_ALLOW_ANONYMOUS: must not be true here (Teams requests would be accepted without authentication); ' +
          'allowed only when PUBLIC_URL is a loopback address or NODE_ENV is test or development',
      );
    }
    // The emulator on this machine, and test or development runs, keep working.
    expect(loadConfig({ ...deployed, NODE_ENV: 'test' }).teams.allowAnonymous).toBe(true);
    expect(loadConfig({ ...deployed, NODE_ENV: 'development' }).teams.allowAnonymous).toBe(true);
    for (const url of ['http://127.0.0.1:3978', 'http://localhost:3000', 'http://[::1]:3000']) {
      expect(loadConfig({ TEAMS_ALLOW_ANONYMOUS: 'true', PUBLIC_URL: url, NODE_ENV: 'production' }).teams.allowAnonymous).toBe(true);
    }
    // PUBLIC_URL unset means http://localhost:$PORT.
    expect(loadConfig({ TEAMS_ALLOW_ANONYMOUS: 'true', NODE_ENV: 'production' }).teams.allowAnonymous).toBe(true);
  });

  it('TEAMS_ALLOW_ANONYMOUS=true turns Teams on without credentials', () => {
    const c = loadConfig({ TEAMS_ALLOW_ANONYMOUS: 'true' });
    expect(c.teams).toMatchObject({ enabled: true, allowAnonymous: true, appId: null });
    expect(loadConfig({ TEAMS_ALLOW_ANONYMOUS: 'false' }).teams.enabled).toBe(false);
  });

  it('TEAMS_OPENID_METADATA_URL is kept exactly as given (a document URL, trailing slash included)', () => {
    const url = 'http://127.0.0.1:4010/v1/.well-known/openidconfiguration/';
    expect(loadConfig({ TEAMS_OPENID_METADATA_URL: url }).teams.openIdMetadataUrl).toBe(url);
  });

  it('TRUST_PROXY takes what express\'s trust proxy setting takes: off by default, true, a hop count, or proxy addresses', () => {
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: 'false' }).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: 'TRUE' }).trustProxy).toBe(true);
    expect(loadConfig({ TRUST_PROXY: '1' }).trustProxy).toBe(1);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8, 192.168.1.7,loopback, fd00::/8' }).trustProxy).toEqual(['10.0.0.0/8', '192.168.1.7', 'loopback', 'fd00::/8']);
    for (const bad of ['10.0.0.0/33', '10.0.0', 'proxy.example.com', '10.0.0.0/8,', '-1', '1.5']) {
      expect(() => loadConfig({ TRUST_PROXY: bad }), bad).toThrow(/^TRUST_PROXY: expected false, true, a number of proxies/);
    }
  });

  it('LOG_LEVEL is case-insensitive', () => {
    expect(loadConfig({ LOG_LEVEL: 'DEBUG' }).logLevel).toBe('debug');
  });

  it('LOG_FORMAT=pretty asks for terminal lines (case-insensitive)', () => {
    expect(loadConfig({ LOG_FORMAT: 'Pretty' }).logFormat).toBe('pretty');
  });

  it('ignores variables it does not know', () => {
    expect(() => loadConfig({ SOMETHING_ELSE: '!!', PATH: '/usr/bin' })).not.toThrow();
  });
});

describe('.env file', () => {
  const saved = { ...process.env };
  let dir: string | null = null;
  afterEach(() => {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = null;
  });

  it('is read when present, and never overrides the real environment', () => {
    dir = mkdtempSync(path.join(tmpdir(), 'sms-bridge-env-'));
    writeFileSync(path.join(dir, '.env'), 'QUEUE_PREFIX=fromfile\nLOG_LEVEL=debug\nADMIN_TOKEN=file-token-0123456789\n');
    delete process.env.QUEUE_PREFIX;
    delete process.env.ADMIN_TOKEN;
    process.env.LOG_LEVEL = 'warn';
    const c = loadConfigFromProcess(dir);
    expect(c.queuePrefix).toBe('fromfile');
    expect(c.adminToken).toBe('file-token-0123456789');
    expect(c.logLevel).toBe('warn');
  });

  it('is optional', () => {
    dir = mkdtempSync(path.join(tmpdir(), 'sms-bridge-env-'));
    delete process.env.PORT;
    expect(loadConfigFromProcess(dir).port).toBe(3000);
  });
});

describe('documentation of the configuration', () => {
  const root = path.resolve(import.meta.dirname, '..');

  it('.env.example lists every variable and loads as it is', () => {
    const env = dotenv.parse(readFileSync(path.join(root, '.env.example')));
    expect(Object.keys(env).sort()).toEqual([...CONFIG_VARIABLES].sort());
    expect(loadConfig(env)).toEqual(loadConfig({}));
  });

  it('README.md has every variable in its configuration table', () => {
    const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
    for (const name of CONFIG_VARIABLES) expect(readme, name).toMatch(new RegExp(`^\\| .*\`${name}\``, 'm'));
  });
});
