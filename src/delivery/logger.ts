// The logging surface the chat side needs. pino's Logger satisfies it; tests pass nothing and
// get a silent one. Kept minimal so src/delivery and src/chat do not depend on src/logger.ts.

export interface ChatLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

const noop = (): void => undefined;

export const silentLogger: ChatLogger = { debug: noop, info: noop, warn: noop, error: noop };
