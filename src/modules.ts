// EXTENSION POINT: the parts that plug into the bridge. Each helper adds ONE line here for its
// module (SMS providers, queues and workers, chat platforms); src/app.ts calls them in this order
// with the AppContext and collects their HTTP mounts and startables. A module decides from
// ctx.config whether it is on (e.g. Slack only when config.slack.enabled) and returns {} if not.

import type { BridgeModule } from './app.js';
import { bridgeModule } from './wiring.js';

export const defaultModules: BridgeModule[] = [bridgeModule];
