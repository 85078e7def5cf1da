// The name this process goes by among the bridge instances sharing Redis (liveness.ts): INSTANCE_ID
// when set, else the host name plus an id created once and kept in DATA_DIR, so a restart on the
// same data is recognised as the same instance (its old leases end at once) while two machines,
// or two containers, never share a name.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';

const FILE = 'instance-id';

export function instanceName(config: { instanceId: string | null; dataDir: string }): string {
  if (config.instanceId) return config.instanceId;
  const file = path.join(config.dataDir, FILE);
  let id: string;
  try {
    id = readFileSync(file, 'utf8').trim();
  } catch {
    id = '';
  }
  if (!/^[a-f0-9]{8,32}$/.test(id)) {
    id = randomBytes(6).toString('hex');
    mkdirSync(config.dataDir, { recursive: true });
    writeFileSync(file, `${id}\n`);
  }
  const host = hostname().replace(/[^A-Za-z0-9.-]/g, '-').slice(0, 40) || 'host';
  return `${host}-${id}`;
}
