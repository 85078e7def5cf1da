// docker-compose.yml cannot be run here (no Docker): check what can be checked without it, so a
// renamed variable or a missing shared setting does not ship unnoticed.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CONFIG_VARIABLES } from '../../src/config.js';

interface Service {
  environment?: Record<string, string>;
  command?: string[];
  build?: string;
}
const compose = parse(readFileSync(new URL('../../docker-compose.yml', import.meta.url), 'utf8'), { merge: true }) as {
  services: Record<string, Service>;
};
const bridges = Object.entries(compose.services).filter(([, s]) => s.build !== undefined);

describe('docker-compose.yml', () => {
  it('runs two bridges', () => {
    expect(bridges.map(([name]) => name)).toHaveLength(2);
  });

  it('sets only variables the configuration knows', () => {
    for (const [, service] of bridges) {
      for (const name of Object.keys(service.environment ?? {})) expect(CONFIG_VARIABLES).toContain(name);
    }
  });

  it('puts both bridges on one Postgres and one Redis with one queue prefix', () => {
    const [[, a], [, b]] = bridges as [[string, Service], [string, Service]];
    for (const name of ['DATABASE_URL', 'REDIS_URL', 'QUEUE_PREFIX']) {
      expect(a.environment?.[name]).toBeTruthy();
      expect(a.environment?.[name]).toBe(b.environment?.[name]);
    }
    expect(a.environment?.DATABASE_URL).toMatch(/^postgres:\/\//);
    expect(a.environment?.INSTANCE_ID).not.toBe(b.environment?.INSTANCE_ID);
  });

  it('runs Redis with the settings BullMQ needs: appendonly and noeviction', () => {
    const command = compose.services.redis?.command?.join(' ') ?? '';
    expect(command).toContain('--appendonly yes');
    expect(command).toContain('--maxmemory-policy noeviction');
  });
});
