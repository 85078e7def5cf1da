// `npm run redis:stop`: stops the local redis-server that `npm start` started by itself (its pid
// is in DATA_DIR/redis/redis.pid), and nothing else. DATA_DIR comes from the environment or
// `.env` as for the bridge; only that variable is read, so a half-edited .env does not stand in
// the way. Exit 0 when it stopped or was not running, 1 when it refused or it did not stop.

import { existsSync } from 'node:fs';
import path from 'node:path';
import dotenv from 'dotenv';
import { loadConfig } from './config.js';
import { stopLocalRedis } from './localRedis.js';

async function main(): Promise<void> {
  const envFile = path.join(process.cwd(), '.env');
  if (existsSync(envFile)) dotenv.config({ path: envFile, override: false, quiet: true });
  const { dataDir } = loadConfig({ DATA_DIR: process.env.DATA_DIR });
  const result = await stopLocalRedis(dataDir);
  switch (result.outcome) {
    case 'stopped':
      console.log(`sms-bridge: stopped the local redis-server (pid ${result.pid}); its data stays in ${result.dir}`);
      return;
    case 'not-running':
      console.log(
        result.stalePid === null
          ? `sms-bridge: no local redis-server to stop (no redis.pid in ${result.dir}); a Redis sms-bridge did not start is never stopped here`
          : `sms-bridge: the local redis-server (pid ${result.stalePid}) was not running; removed its stale pidfile`,
      );
      return;
    default:
      console.error(`sms-bridge: ${result.reason}`);
      process.exitCode = 1;
  }
}

main().catch((err: unknown) => {
  console.error(`sms-bridge: redis:stop failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
