export { createMediaFetcher } from './fetcher.js';
export { createStoredMedia, keepDownloadedMedia, storedMediaReader, type StoredMediaReader } from './storedMedia.js';
export type { FetchOptions, MediaFetcher, MediaFetcherDeps } from './fetcher.js';
export { httpsHostRule, matchingRule, ruleFromUrl, ruleMatches } from './hostRules.js';
export type { HostRule, MediaSourcePolicy } from './hostRules.js';
export { isNonPublicAddress } from './addresses.js';
export { OUTSIDE_PROVIDER } from './download.js';
