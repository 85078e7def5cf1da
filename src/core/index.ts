// The core's public API: domain types, errors, ports, pure rules and use cases.

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
export * from './usecases/deps.js';
export * from './usecases/recordInbound.js';
export * from './usecases/requestOutbound.js';
export * from './usecases/recheckAtSend.js';
export * from './usecases/applyDeliveryUpdate.js';
