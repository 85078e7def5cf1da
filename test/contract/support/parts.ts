// What every provider harness needs besides its provider: a real SQLite store on a temp file,
// a DATA_DIR for media, recording queue/notifier, the media fetcher, and an "outsider" server on
// 127.0.0.1 (another port) that must never be contacted.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Clock } from '../../../src/core/ports.js';
import { createMediaFetcher, type MediaFetcher } from '../../../src/media/fetcher.js';
import type { MediaSourcePolicy } from '../../../src/media/hostRules.js';
import type { BridgeStore } from '../../../src/infra/store/index.js';
import { createTempStore } from '../../support/tempStore.js';
import { sendJson, startFakeServer } from './httpFake.js';
import { RecordingNotifier, RecordingTurnQueue } from './recorders.js';

export interface CommonParts {
  store: BridgeStore;
  clock: Clock;
  dataDir: string;
  queue: RecordingTurnQueue;
  notifier: RecordingNotifier;
  outsider: { url: string; requests(): number };
  fetcherFor(providerId: string, source: MediaSourcePolicy): MediaFetcher;
  close(): Promise<void>;
}

export async function commonParts(): Promise<CommonParts> {
  const temp = await createTempStore();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'sms-bridge-data-'));
  let outsiderHits = 0;
  const outsider = await startFakeServer((_req, res) => {
    outsiderHits++;
    sendJson(res, 200, { secret: 'instance metadata' });
  });
  const clock: Clock = { now: () => new Date() };
  return {
    store: temp.store,
    clock,
    dataDir,
    queue: new RecordingTurnQueue(),
    notifier: new RecordingNotifier(),
    outsider: { url: outsider.url, requests: () => outsiderHits },
    fetcherFor: (providerId, source) =>
      createMediaFetcher({ store: temp.store, sources: { [providerId]: source }, timeoutMs: 5000 }),
    async close() {
      await outsider.close();
      await temp.cleanup();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
