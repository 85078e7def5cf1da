// The Teams app manifest template an admin uploads: the parts the bridge depends on.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const dir = fileURLToPath(new URL('../../../manifest/teams/', import.meta.url));
interface Manifest {
  $schema: string;
  manifestVersion: string;
  id: string;
  icons: { color: string; outline: string };
  bots: { botId: string; scopes: string[] }[];
  webApplicationInfo: { id: string; resource: string };
  authorization: { permissions: { resourceSpecific: { name: string; type: string }[] } };
}
const manifest = JSON.parse(readFileSync(`${dir}manifest.json`, 'utf8')) as Manifest;

function pngSize(file: string): { width: number; height: number } {
  const b = readFileSync(`${dir}${file}`);
  expect(b.subarray(0, 8)).toEqual(Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]));
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
}

describe('Teams app manifest template', () => {
  it('declares a team-scoped bot whose id is the app id placeholder', () => {
    expect(manifest.manifestVersion).toBe('1.17');
    expect(manifest.$schema).toContain('/v1.17/MicrosoftTeams.schema.json');
    expect(manifest.bots).toEqual([expect.objectContaining({ botId: '{{TEAMS_APP_ID}}', scopes: ['team'] })]);
    expect(manifest.id).toBe('{{TEAMS_APP_ID}}');
  });

  it('asks for ChannelMessage.Read.Group so replies reach the bot without an @mention', () => {
    expect(manifest.authorization.permissions.resourceSpecific).toContainEqual({ name: 'ChannelMessage.Read.Group', type: 'Application' });
    // RSC needs the Entra app named in webApplicationInfo.
    expect(manifest.webApplicationInfo.id).toBe('{{TEAMS_APP_ID}}');
  });

  it('ships real icons: color 192x192 and outline 32x32 PNGs', () => {
    expect(manifest.icons).toEqual({ color: 'color.png', outline: 'outline.png' });
    expect(pngSize('color.png')).toEqual({ width: 192, height: 192 });
    expect(pngSize('outline.png')).toEqual({ width: 32, height: 32 });
  });
});
