import pino from 'pino';

export type Logger = pino.Logger;

/** Structured JSON logs; callers bind `submissionId` with `logger.child` so every line carries it. */
export function createLogger(name: string, level: string): Logger {
  return pino({ name, level, base: { service: name } });
}
