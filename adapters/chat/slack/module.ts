// Slack as a BridgeModule for src/modules.ts: on only when SLACK_BOT_TOKEN and
// SLACK_SIGNING_SECRET are set. The send queue, delivery queue, provider capabilities and the
// shared ChatRegistry come from the modules built before it (see the wiring notes in index.ts).

import type { AppContext, BridgeModule } from '../../../src/app.js';
import { createSlackPlatform, type SlackPlatformDeps } from './index.js';

export function slackModule(deps: (ctx: AppContext) => SlackPlatformDeps): BridgeModule {
  return (ctx) => {
    if (!ctx.config.slack.enabled) return {};
    const slack = createSlackPlatform(ctx, deps(ctx));
    return {
      mounts: [slack.mount],
      startables: [{ name: 'slack', start: () => slack.start(), stop: () => slack.stop() }],
    };
  };
}
