// Bot Framework authentication, both directions, from the bridge's Teams configuration.
//
// Inbound: TeamsAdapter (botbuilder CloudAdapter + ConfigurationBotFrameworkAuthentication)
// validates the Bot Framework JWT on every POST /api/messages; a request without a valid token is
// answered 401 before any of our code runs.
//
// Anonymous mode (TEAMS_ALLOW_ANONYMOUS=true, emulator and tests only): botbuilder is given an
// EMPTY MicrosoftAppId. That is botbuilder's own "authentication disabled" switch
// (PasswordServiceClientCredentialFactory.isAuthenticationDisabled() is true when the app id is
// empty): inbound requests are accepted without a token (anonymous claims), and outbound
// credentials are MicrosoftAppCredentials.Empty, whose signRequest adds no header and never asks
// login.microsoftonline.com for a token. Our own connector client (connector.ts) follows the same
// rule through the token provider below: null in anonymous mode, so tests talk to the fake
// connector on 127.0.0.1 without any network.

import { TeamsAdapter } from '@microsoft/teams-ai';
import { AuthenticationConstants, type AppCredentials } from 'botframework-connector';
import type { ConfigurationBotFrameworkAuthenticationOptions } from 'botbuilder';
import { ConfigError } from '../../../src/core/errors.js';
import type { TokenProvider } from './connector.js';

export interface TeamsAuthConfig {
  appId: string | null;
  appPassword: string | null;
  tenantId: string | null;
  allowAnonymous: boolean;
}

/** The options botbuilder reads (MicrosoftAppId, ...). Anonymous: an empty app id. */
export function botFrameworkOptions(cfg: TeamsAuthConfig): ConfigurationBotFrameworkAuthenticationOptions {
  if (cfg.allowAnonymous) return { MicrosoftAppId: '' } as ConfigurationBotFrameworkAuthenticationOptions;
  if (!cfg.appId) throw new ConfigError('TEAMS_APP_ID is required unless TEAMS_ALLOW_ANONYMOUS=true');
  if (!cfg.appPassword) throw new ConfigError('TEAMS_APP_PASSWORD is required with TEAMS_APP_ID');
  const options: Record<string, string> = {
    MicrosoftAppId: cfg.appId,
    MicrosoftAppPassword: cfg.appPassword,
    MicrosoftAppType: cfg.tenantId ? 'SingleTenant' : 'MultiTenant',
  };
  if (cfg.tenantId) options.MicrosoftAppTenantId = cfg.tenantId;
  return options as unknown as ConfigurationBotFrameworkAuthenticationOptions;
}

export function createAdapter(cfg: TeamsAuthConfig): TeamsAdapter {
  return new TeamsAdapter(botFrameworkOptions(cfg));
}

/**
 * Bearer tokens for calls to the connector, from botbuilder's credentials factory (cached and
 * refreshed by botbuilder). Null in anonymous mode: no header, no login endpoint.
 */
export function createTokenProvider(adapter: TeamsAdapter, cfg: TeamsAuthConfig): TokenProvider {
  if (cfg.allowAnonymous || !cfg.appId) return async () => null;
  const appId = cfg.appId;
  const loginUrl = cfg.tenantId
    ? `${AuthenticationConstants.ToChannelFromBotLoginUrlPrefix}${cfg.tenantId}`
    : AuthenticationConstants.ToChannelFromBotLoginUrl;
  let credentials: Promise<AppCredentials> | null = null;
  return async () => {
    credentials ??= adapter.credentialsFactory.createCredentials(
      appId,
      AuthenticationConstants.ToChannelFromBotOAuthScope,
      loginUrl,
      true,
    ) as Promise<AppCredentials>;
    const creds = await credentials;
    // MicrosoftAppCredentials.Empty has no app id and signs nothing.
    if (!creds.appId) return null;
    return creds.getToken();
  };
}
