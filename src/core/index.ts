// The core's public API: domain types, errors, ports and pure rules (the use cases live in src/app).

export * from './types.js';
export * from './errors.js';
export type * from './ports.js';
export * from './status.js';
export * from './phone.js';
export * from './segments.js';
export * from './keywords.js';
export * from './sendKey.js';
export * from './capability.js';
export * from './eligibility.js';
