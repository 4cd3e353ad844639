/** Structured JSON logs (pino). Secrets are redacted wherever they might appear. */
import pino, { Logger } from 'pino';

export type { Logger };

export function createLogger(level: string = 'info', destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'rectify-bot' },
      redact: {
        paths: [
          'secret',
          'token',
          'password',
          'access_token',
          'corpsecret',
          '*.secret',
          '*.token',
          '*.password',
          '*.access_token',
          'req.headers.authorization',
          'req.headers.cookie',
        ],
        censor: '***',
      },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination ?? pino.destination(2),
  );
}

/** A logger that drops everything (CLI and tests). */
export const silentLogger: Logger = pino({ level: 'silent' });
