// JSON log lines (pino). Credentials must never reach a log: request headers that carry
// them are redacted, and so is any field named like a secret, wherever a log call puts it.
import { pino, type Logger } from 'pino';
import type { LogLevel } from './config.ts';

const SECRET_FIELDS = ['password', 'secret', 'token', 'authorization', 'cookie', 'apiKey'];

// fast-redact wildcards match one level each, so spell out the depths a log call uses.
const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["proxy-authorization"]',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  ...SECRET_FIELDS.flatMap((field) => [field, `*.${field}`, `*.*.${field}`]),
];

export function createLogger(level: LogLevel, write: (line: string) => void = (line) => process.stdout.write(line)): Logger {
  return pino(
    {
      level,
      base: { service: 'holdfast' },
      timestamp: pino.stdTimeFunctions.isoTime,
      // "level":"error" rather than 50: read by people at 3 a.m. as much as by machines.
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    },
    { write },
  );
}
