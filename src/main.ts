// `npm start` (node dist/src/main.js): load the configuration, make sure Redis answers (starting
// a local one when we can), start the bridge, say in one line what is on, and stop it cleanly on
// SIGINT/SIGTERM.

import { mkdirSync } from 'node:fs';
import { isTrial, issueSignInCode, signInUrl, TRIAL_TOKEN_FILE, trialAdminToken } from './admin/trial.js';
import { databaseFile, startBridge } from './app.js';
import type { Bridge } from './app.js';
import { loadConfigFromProcess } from './config.js';
import type { Config } from './config.js';
import { ConfigError } from './core/errors.js';
import { ensureRedis, localRedisNotice, REDIS_STOP_HINT } from './localRedis.js';
import { provisionDemoNumber } from './demoNumber.js';
import { createLogger } from './logger.js';
import type { Logger } from './logger.js';
import { startupLine, startupSummary } from './startupSummary.js';

/**
 * A second signal this long after the first forces the exit. One Ctrl-C under `npm start`
 * delivers SIGINT twice within milliseconds (the terminal signals the whole process group, and
 * npm relays its own copy to the bridge): that pair must stop cleanly, not force.
 */
const FORCE_AFTER_MS = 1000;

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfigFromProcess();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`sms-bridge: configuration error: ${err.message}`);
      process.exit(1);
    }
    throw err;
  }

  const localRedis = await ensureRedis(config);
  if (localRedis) console.error(localRedisNotice(localRedis));
  const logger = createLogger({ level: config.logLevel, format: config.logFormat });
  // A local trial makes its own admin token (kept in DATA_DIR, never shown) and prints a
  // one-time sign-in code instead.
  const trial = isTrial(config);
  if (trial) {
    mkdirSync(config.dataDir, { recursive: true });
    config = { ...config, adminToken: await trialAdminToken(config.dataDir) };
    logger.info({ file: TRIAL_TOKEN_FILE }, 'local trial: no ADMIN_TOKEN, so the admin token is the one kept in DATA_DIR (not shown)');
  }
  const bridge: Bridge = await startBridge(config, { logger });
  if (!config.adminToken) logger.warn('ADMIN_TOKEN is not set: the admin API answers 401 to everyone');
  const demo = await provisionDemoNumber(config, bridge.ctx.store);
  const summary = startupSummary(bridge.ctx.config, { databaseFile: databaseFile(bridge.ctx.config), localRedis, demoNumber: demo?.e164 ?? null });
  logger.info(summary, 'sms-bridge started');
  console.log(startupLine(bridge.url, summary));
  if (trial) {
    // stdout only, never the log: the code signs one browser in.
    const { code } = await issueSignInCode(bridge.ctx.store.consoleSessions);
    console.log(`Local trial (no ADMIN_TOKEN): open ${signInUrl(config.publicUrl, code)} to sign in (the code works once, within 10 minutes; restart for a new one).`);
  }

  stopOnSignals(bridge, logger, config.shutdownTimeoutMs, () => {
    if (localRedis) logger.info({ pid: localRedis.pid }, `the local redis-server keeps running; ${REDIS_STOP_HINT} stops it`);
  });
}

/**
 * The first SIGINT/SIGTERM stops the bridge cleanly (a send in flight finishes) within
 * `timeoutMs`; a repeat within FORCE_AFTER_MS is the same Ctrl-C delivered twice and is ignored;
 * a later one exits at once.
 */
function stopOnSignals(bridge: Bridge, logger: Logger, timeoutMs: number, afterStop: () => void): void {
  let firstAt: number | null = null;
  const onSignal = (signal: NodeJS.Signals) => {
    const now = performance.now();
    if (firstAt !== null) {
      const afterMs = Math.round(now - firstAt);
      if (afterMs < FORCE_AFTER_MS) {
        logger.debug({ signal, afterMs }, 'signal repeated within a second (one Ctrl-C reaches us twice under npm): still stopping cleanly');
        return;
      }
      logger.warn({ signal, afterMs }, 'second signal: exiting at once');
      process.exit(130);
    }
    firstAt = now;
    logger.info({ signal }, 'shutting down (a second Ctrl-C, a second or more later, exits at once)');
    const timer = setTimeout(() => {
      logger.error({ timeoutMs }, 'shutdown took too long; exiting');
      process.exit(1);
    }, timeoutMs);
    timer.unref();
    bridge.stop().then(
      () => {
        afterStop();
        process.exit(0);
      },
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

main().catch((err: unknown) => {
  const message = err instanceof Error ? err.message : String(err);
  console.error(`sms-bridge: failed to start: ${message}`);
  process.exit(1);
});
