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

// OpenID metadata (TEAMS_OPENID_METADATA_URL): botbuilder verifies a channel token against the
// keys listed by Microsoft's OpenID document (AuthenticationConstants.ToBotFromChannelOpenIdMetadataUrl,
// https://login.botframework.com/v1/.well-known/openidconfiguration). Its options accept another
// document (`ToBotFromChannelOpenIdMetadataUrl`), but BotFrameworkAuthenticationFactory.create
// treats ANY such "parameterized" option as "the caller sets all of them": the ones left out
// become undefined (no token issuer: every token refused; no login URL: no outbound credentials).
// So with an override we pass the whole public-cloud set, changing that one URL only. Unset,
// botbuilder's own defaults apply untouched.
//
// Inbound check, outcome by outcome (authenticateActivity below): botbuilder's CloudAdapter.process
// answers 401 for its AuthenticationError and a bare 500 (with the error text) for anything else,
// including a bad signature (jsonwebtoken's JsonWebTokenError) and an unreachable metadata
// endpoint (node-fetch FetchError). The route authenticates first through the same botbuilder
// object and answers itself: 401 when the token is shown to be bad, 503 when it cannot be
// checked right now (metadata or keys unavailable or too slow), then runs the turn.

import { TeamsAdapter } from '@microsoft/teams-ai';
import { AuthenticationConstants, AuthenticationError, type AppCredentials, type BotFrameworkAuthentication } from 'botframework-connector';
import { CallerIdConstants, type Activity, type ConfigurationBotFrameworkAuthenticationOptions, type InvokeResponse, type TurnContext } from 'botbuilder';
import { ConfigError } from '../../../src/core/errors.js';
import type { TokenProvider } from './connector.js';

export interface TeamsAuthConfig {
  appId: string | null;
  appPassword: string | null;
  tenantId: string | null;
  allowAnonymous: boolean;
  /** OpenID document listing the keys channel tokens are signed with; null: botbuilder's own. */
  openIdMetadataUrl?: string | null;
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
  if (cfg.openIdMetadataUrl) {
    // All or nothing (see the top of this file): botbuilder's public-cloud values, one URL changed.
    Object.assign(options, {
      ToChannelFromBotLoginUrl: AuthenticationConstants.ToChannelFromBotLoginUrl,
      ToChannelFromBotOAuthScope: AuthenticationConstants.ToChannelFromBotOAuthScope,
      ToBotFromChannelTokenIssuer: AuthenticationConstants.ToBotFromChannelTokenIssuer,
      OAuthUrl: AuthenticationConstants.OAuthUrl,
      ToBotFromChannelOpenIdMetadataUrl: cfg.openIdMetadataUrl,
      ToBotFromEmulatorOpenIdMetadataUrl: AuthenticationConstants.ToBotFromEmulatorOpenIdMetadataUrl,
      CallerId: CallerIdConstants.PublicAzureChannel,
    });
  }
  return options as unknown as ConfigurationBotFrameworkAuthenticationOptions;
}

type AuthenticateRequestResult = Awaited<ReturnType<BotFrameworkAuthentication['authenticateRequest']>>;

/** TeamsAdapter with its authentication step and its turn step callable one after the other. */
export class BridgeTeamsAdapter extends TeamsAdapter {
  /** botbuilder's own check: signature, issuer, audience, expiry, endorsements, serviceurl claim. */
  authenticate(activity: Activity, authHeader: string): Promise<AuthenticateRequestResult> {
    return this.botFrameworkAuthentication.authenticateRequest(activity, authHeader);
  }

  /** Runs the turn of a request `authenticate` accepted (CloudAdapter.process minus its auth). */
  runAuthenticated(auth: AuthenticateRequestResult, activity: Activity, logic: (ctx: TurnContext) => Promise<void>): Promise<InvokeResponse | undefined> {
    return this.processActivity(auth, activity, logic);
  }
}

export function createAdapter(cfg: TeamsAuthConfig): BridgeTeamsAdapter {
  return new BridgeTeamsAdapter(botFrameworkOptions(cfg));
}

export type InboundAuth =
  | { ok: true; result: AuthenticateRequestResult }
  /** 401: the token is shown to be bad. 503: it cannot be checked now. 500: anything else. */
  | { ok: false; status: 401 | 503 | 500; reason: string };

/** Default limit on one inbound check, metadata and key fetches included (node-fetch has none). */
export const DEFAULT_AUTH_TIMEOUT_MS = 10_000;

class AuthTimeout extends Error {}

// jsonwebtoken's verify errors: the token itself is bad (signature, format, expiry, not yet valid).
const TOKEN_ERRORS = new Set(['JsonWebTokenError', 'TokenExpiredError', 'NotBeforeError']);

/** Why a botbuilder check threw, as an HTTP answer. Never throws. */
export function classifyAuthError(err: unknown): { status: 401 | 503 | 500; reason: string } {
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof AuthTimeout) return { status: 503, reason: message };
  if (err instanceof AuthenticationError) {
    // OpenIdMetadata.refreshCache throws AuthenticationError(500) when the document or the keys
    // answer non-2xx: the token was not looked at, so it is not "unauthorized".
    return err.statusCode === 401 ? { status: 401, reason: message } : { status: 503, reason: message };
  }
  const name = err instanceof Error ? err.name : '';
  if (TOKEN_ERRORS.has(name)) return { status: 401, reason: message };
  // node-fetch (used by OpenIdMetadata): connection refused, DNS failure, reset, invalid JSON.
  if (name === 'FetchError' || name === 'AbortError') return { status: 503, reason: message };
  return { status: 500, reason: message };
}

/**
 * Authenticates one inbound activity with botbuilder (anonymous mode: accepted without a token,
 * no fetch). The answer is bounded by `timeoutMs`: a metadata endpoint that hangs is a 503, not a
 * request held until Teams gives up.
 */
export async function authenticateActivity(
  adapter: BridgeTeamsAdapter,
  activity: Activity,
  authHeader: string,
  timeoutMs: number = DEFAULT_AUTH_TIMEOUT_MS,
): Promise<InboundAuth> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new AuthTimeout(`token check took longer than ${timeoutMs} ms (OpenID metadata or keys not answering)`)), timeoutMs);
  });
  try {
    const result = await Promise.race([adapter.authenticate(activity, authHeader), timeout]);
    return { ok: true, result };
  } catch (err) {
    return { ok: false, ...classifyAuthError(err) };
  } finally {
    clearTimeout(timer);
  }
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
