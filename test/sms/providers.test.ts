// createSmsProviders: what the composition root gets from the configuration.
import express from 'express';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSmsProviders } from '../../adapters/sms/index.js';
import { loadConfig } from '../../src/config.js';
import { serveRouters, type TestApp } from '../contract/support/app.js';
import { commonParts, type CommonParts } from '../contract/support/parts.js';

describe('SMS providers from configuration', () => {
  let parts: CommonParts;
  let app: TestApp | null = null;
  beforeEach(async () => {
    parts = await commonParts();
  });
  afterEach(async () => {
    await app?.close();
    app = null;
    await parts.close();
  });

  const build = (env: Record<string, string>) =>
    createSmsProviders({ config: loadConfig({ DATA_DIR: parts.dataDir, ...env }), store: parts.store, clock: parts.clock, queue: parts.queue });

  it('has only the local dev provider when no provider account is configured', () => {
    const p = build({});
    expect(p.adapters.map((a) => a.provider.id)).toEqual(['local']);
    expect(p.provider('twilio')).toBeNull();
    expect(p.capabilities('local')?.mms).toBe(true);
  });

  it('turns Twilio and 8x8 on from their variables and mounts their webhooks', async () => {
    const p = build({
      TWILIO_ACCOUNT_SID: 'AC123',
      TWILIO_AUTH_TOKEN: 'tok',
      PUBLIC_URL: 'https://sms.example.com',
      EIGHTX8_API_KEY: 'key',
      EIGHTX8_SUBACCOUNT_ID: 'sub',
      EIGHTX8_WEBHOOK_AUTH: 'Bearer hook',
    });
    expect(p.adapters.map((a) => a.provider.id).sort()).toEqual(['8x8', 'local', 'twilio']);
    expect(p.capabilities('8x8')?.idempotentSend).toBe(true);
    expect(p.capabilities('twilio')?.idempotentSend).toBe(false);
    const router = express.Router();
    p.mount(router as unknown as express.Express);
    app = await serveRouters(router);
    expect((await fetch(`${app.url}/webhooks/twilio/sms`, { method: 'POST', body: 'a=b' })).status).toBe(403);
    expect((await fetch(`${app.url}/webhooks/8x8`, { method: 'POST', body: '{}' })).status).toBe(401);
    expect((await fetch(`${app.url}/admin/api/dev/outbox`)).status).toBe(401);
  });
});
