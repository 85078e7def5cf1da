// The Slack app manifests an admin creates the app from: one for events over HTTP (request URLs
// under {{PUBLIC_URL}}), one for Socket Mode (no URL at all). Both must ask for the same scopes,
// events and command, or one of the two modes would quietly miss replies or /sms.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const dir = fileURLToPath(new URL('../../../manifest/slack/', import.meta.url));
interface SlackManifest {
  display_information: Record<string, unknown>;
  features: { bot_user: Record<string, unknown>; slash_commands: Array<{ command: string; url?: string } & Record<string, unknown>> };
  oauth_config: { scopes: { bot: string[] } };
  settings: {
    event_subscriptions: { request_url?: string; bot_events: string[] };
    interactivity: { is_enabled: boolean; request_url?: string };
    socket_mode_enabled: boolean;
  } & Record<string, unknown>;
}
const read = (file: string) => ({ text: readFileSync(`${dir}${file}`, 'utf8'), json: JSON.parse(readFileSync(`${dir}${file}`, 'utf8')) as SlackManifest });
const http = read('manifest.json');
const socket = read('manifest.socket.json');

describe('Slack app manifests', () => {
  it('the HTTP one sends events, /sms and interactivity to {{PUBLIC_URL}}/slack/events, Socket Mode off', () => {
    const m = http.json;
    expect(m.settings.socket_mode_enabled).toBe(false);
    expect(m.settings.event_subscriptions.request_url).toBe('{{PUBLIC_URL}}/slack/events');
    expect(m.settings.interactivity).toEqual({ is_enabled: true, request_url: '{{PUBLIC_URL}}/slack/events' });
    expect(m.features.slash_commands.map((c) => c.url)).toEqual(['{{PUBLIC_URL}}/slack/events']);
  });

  it('the Socket Mode one turns Socket Mode on and names no URL at all (the bridge needs no public address)', () => {
    const m = socket.json;
    expect(m.settings.socket_mode_enabled).toBe(true);
    expect(m.settings.interactivity).toEqual({ is_enabled: true });
    expect(m.settings.event_subscriptions).not.toHaveProperty('request_url');
    expect(m.features.slash_commands.every((c) => !('url' in c))).toBe(true);
    expect(socket.text).not.toMatch(/PUBLIC_URL|request_url|"url"|https?:/);
  });

  it('both ask for the same scopes, message events and /sms command', () => {
    const withoutUrls = (m: SlackManifest) => ({
      display: m.display_information,
      bot: m.features.bot_user,
      commands: m.features.slash_commands.map(({ url: _url, ...rest }) => rest),
      scopes: m.oauth_config.scopes.bot,
      events: m.settings.event_subscriptions.bot_events,
      interactive: m.settings.interactivity.is_enabled,
    });
    expect(withoutUrls(socket.json)).toEqual(withoutUrls(http.json));
    expect(http.json.settings.event_subscriptions.bot_events).toEqual(['message.channels', 'message.groups']);
  });

  it('asks for channels:read and groups:read, so the console can list public and private channels (conversations.list)', () => {
    expect(http.json.oauth_config.scopes.bot).toEqual(expect.arrayContaining(['channels:read', 'groups:read']));
  });
});
