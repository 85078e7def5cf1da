// What the bridge trusts in a Teams activity beyond its Bot Framework token (issue 13).
//
// A valid token proves the activity came through the Bot Framework for our app id, not that it
// came from Teams (any channel enabled on the bot resource can reach us) or from our customer's
// tenant. And the activity's serviceUrl is where the bridge then posts, lists a team's channels
// and downloads attachments with the bot's token; it is stored per channel, so the next customer
// SMS follows it. So an activity is taken only from the Teams channel, from an allowed tenant,
// with a serviceUrl on Microsoft's Bot Framework service hosts; every connector call and token
// use is checked against the same host list (connector.ts, replyFiles.ts).

/**
 * Microsoft's Bot Framework service hosts for Teams, by cloud:
 * - commercial: smba.trafficmanager.net, with a regional path (/amer/, /emea/, /apac/, /teams/...);
 * - GCC: smba.infra.gcc.teams.microsoft.com; GCC High: smba.infra.gov.teams.microsoft.us;
 *   DoD: smba.infra.dod.teams.microsoft.us.
 * Source: Microsoft Teams platform docs, "Proactive messages"
 * (https://learn.microsoft.com/microsoftteams/platform/bots/how-to/conversations/send-proactive-messages,
 * the endpoints for government cloud environments) and the Microsoft 365 Agents SDK's
 * TeamsServiceEndpoints (publicGlobal, gcc, gccHigh, dod;
 * https://microsoft.github.io/Agents-for-js/variables/_microsoft_agents-hosting.TeamsServiceEndpoints.html).
 * Other sovereign clouds (21Vianet) and
 * tests name theirs in TEAMS_SERVICE_URL_HOSTS.
 */
export const MICROSOFT_SERVICE_URL_HOSTS: readonly string[] = [
  'smba.trafficmanager.net',
  'smba.infra.gcc.teams.microsoft.com',
  'smba.infra.gov.teams.microsoft.us',
  'smba.infra.dod.teams.microsoft.us',
];

/** Teams' channel id; the Bot Framework Emulator's, accepted in anonymous mode only. */
export const TEAMS_CHANNEL_ID = 'msteams';
export const EMULATOR_CHANNEL_ID = 'emulator';

export interface TeamsTrustConfig {
  allowAnonymous: boolean;
  /** TEAMS_APP_TENANT_ID: a single-tenant bot's tenant. */
  tenantId: string | null;
  /** TEAMS_ALLOWED_TENANTS. */
  allowedTenants: string[] | null;
  /** TEAMS_SERVICE_URL_HOSTS; null: MICROSOFT_SERVICE_URL_HOSTS. */
  serviceUrlHosts: string[] | null;
}

function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '[::1]' || /^127(\.\d{1,3}){3}$/.test(host);
}

function hostMatches(pattern: string, host: string): boolean {
  if (pattern.startsWith('*.')) {
    const suffix = pattern.slice(1); // ".example.us"
    return host.endsWith(suffix) && host.length > suffix.length;
  }
  return host === pattern;
}

/** Which serviceUrls the bridge may call (and send the bot's token to). */
export class ServiceUrlPolicy {
  private readonly hosts: readonly string[];
  private readonly anyLoopback: boolean;

  constructor(cfg: Pick<TeamsTrustConfig, 'allowAnonymous' | 'serviceUrlHosts'>) {
    this.hosts = cfg.serviceUrlHosts ?? MICROSOFT_SERVICE_URL_HOSTS;
    // The emulator posts from a loopback serviceUrl; anonymous mode listens on loopback only.
    this.anyLoopback = cfg.allowAnonymous;
  }

  /**
   * HTTPS on the default port to a listed host; a loopback host (the emulator in anonymous mode,
   * or 127.0.0.1/localhost named in TEAMS_SERVICE_URL_HOSTS for a local fake) on any port, plain
   * http too. No user name or password in the URL.
   */
  allows(serviceUrl: string): boolean {
    let url: URL;
    try {
      url = new URL(serviceUrl);
    } catch {
      return false;
    }
    if (url.username !== '' || url.password !== '') return false;
    const host = url.hostname.toLowerCase();
    if (isLoopbackHost(host)) {
      return (url.protocol === 'http:' || url.protocol === 'https:') && (this.anyLoopback || this.hosts.includes(host));
    }
    return url.protocol === 'https:' && url.port === '' && this.hosts.some((p) => hostMatches(p, host));
  }
}

/** The parts of an incoming activity these rules read. */
export interface ActivityOrigin {
  channelId: string;
  serviceUrl: string;
  channelData?: unknown;
  conversation: { tenantId?: string | null };
}

export type TrustRefusal = { code: 'channel_not_allowed' | 'tenant_not_allowed' | 'service_url_not_allowed'; reason: string };

/** The tenant an activity names (channelData.tenant.id, else conversation.tenantId), lower-case. */
export function tenantOf(a: Pick<ActivityOrigin, 'channelData' | 'conversation'>): string | null {
  const cd = a.channelData as { tenant?: { id?: unknown } } | undefined;
  const id = typeof cd?.tenant?.id === 'string' ? cd.tenant.id : a.conversation.tenantId;
  return id ? id.toLowerCase() : null;
}

/** Decides whether an (authenticated) activity may act on the bridge at all. */
export class ActivityTrust {
  readonly serviceUrls: ServiceUrlPolicy;
  private readonly channels: readonly string[];
  /** null: any tenant. */
  private readonly tenants: ReadonlySet<string> | null;

  constructor(cfg: TeamsTrustConfig) {
    this.serviceUrls = new ServiceUrlPolicy(cfg);
    this.channels = cfg.allowAnonymous ? [TEAMS_CHANNEL_ID, EMULATOR_CHANNEL_ID] : [TEAMS_CHANNEL_ID];
    const tenants = [...(cfg.allowedTenants ?? []), ...(cfg.tenantId ? [cfg.tenantId] : [])].map((t) => t.toLowerCase());
    this.tenants = tenants.length > 0 ? new Set(tenants) : null;
  }

  check(a: ActivityOrigin): TrustRefusal | null {
    if (!this.channels.includes(a.channelId)) {
      return { code: 'channel_not_allowed', reason: `activities from channel "${a.channelId}" are not accepted (only ${this.channels.join(' or ')})` };
    }
    if (this.tenants) {
      const tenant = tenantOf(a);
      if (!tenant || !this.tenants.has(tenant)) {
        return { code: 'tenant_not_allowed', reason: tenant ? `tenant ${tenant} is not allowed` : 'the activity names no tenant' };
      }
    }
    if (!this.serviceUrls.allows(a.serviceUrl)) {
      return { code: 'service_url_not_allowed', reason: 'the serviceUrl is not a Bot Framework service host this bridge trusts' };
    }
    return null;
  }
}
