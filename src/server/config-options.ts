// The one table of server settings. Each setting has one name in a config file, one
// environment variable and one command-line flag, all listed here, so the loader, the
// `serve` command's flags, `--help` and docs/configuration.md cannot drift apart
// (test/server/config-docs.test.ts checks the doc against this table).
import { z } from 'zod';
import { parseTarget, splitTargets } from '../backup/parse-target.ts';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface HoldfastConfig {
  dataDir: string;
  host: string;
  port: number;
  storeId: string | undefined;
  logLevel: LogLevel;
  maxBodyBytes: number;
  inlineLimitBytes: number;
  /** The quota of a user without one of their own; undefined: no limit. */
  defaultQuotaBytes: number | undefined;
  shutdownTimeoutSeconds: number;
  trustProxy: boolean;
  maxUploadBytes: number;
  uploadExpiryHours: number;
  /** Backup targets as written (`dir:/path`, `s3://bucket/prefix`), comma-separated. */
  backupTargets?: string | undefined;
  /** Optional so callers that build a config by hand (tests) need not name it. */
  backupSnapshotEveryChanges?: number;
  backupMode?: 'async' | 'sync';
  /** Let a schema upgrade run with no backup target to copy the store to first. */
  allowMigrationWithoutBackup?: boolean;
  /** Seconds between restore drills of the backup targets; 0: none. */
  backupDrillIntervalSeconds?: number;
  /** The background scrub's read budget in bytes per second; 0: no background scrub. */
  scrubBytesPerSecond?: number;
  /** Hours from the start of one scrub pass to the start of the next. */
  scrubIntervalHours?: number;
  /** Retention (src/backup/retention.ts); optional like backupSnapshotEveryChanges. */
  backupPrune?: boolean;
  backupKeepAllDays?: number;
  backupKeepDailyDays?: number;
  backupKeepMonthlyMonths?: number;
  /** Web origins allowed to call the sync API from a browser (CORS); unset: none. */
  corsOrigins?: string[] | undefined;
}

/** How a value is written in the environment or on the command line. */
export type OptionType = 'path' | 'text' | 'whole number' | 'size' | 'boolean' | 'log level' | 'list';

export interface ConfigOption {
  /** The setting's name in a config file, and its field in HoldfastConfig. */
  key: keyof HoldfastConfig;
  type: OptionType;
  /** The default as a person would write it; undefined means "not set". */
  default: string | undefined;
  env: string;
  /** Without the leading dashes. */
  flag: string;
  /** What the flag's value is called in usage text (`--port PORT`); empty for a switch. */
  placeholder: string;
  description: string;
  /** Completes "expected …" in an error message. */
  expected: string;
  /** Checks the typed value, whichever source it came from. */
  schema: z.ZodType;
}

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

const nonBlankText = z
  .string()
  .min(1)
  .max(4096)
  .refine((s) => s.trim() === s && !/[\u0000-\u001f\u007f]/.test(s));

export const CONFIG_OPTIONS: readonly ConfigOption[] = [
  {
    key: 'dataDir',
    type: 'path',
    default: './data',
    env: 'HOLDFAST_DATA_DIR',
    flag: 'data',
    placeholder: 'DIR',
    description:
      'The directory that holds the store (metadata database and blobs). A relative path is resolved ' +
      'against the working directory, or, in a config file, against the directory of that file.',
    expected: 'a directory path',
    schema: nonBlankText,
  },
  {
    key: 'host',
    type: 'text',
    default: '127.0.0.1',
    env: 'HOLDFAST_HOST',
    flag: 'host',
    placeholder: 'HOST',
    description:
      'The address to listen on. The default accepts connections from this machine only; use 0.0.0.0 ' +
      '(or ::) to accept them from the network, ideally behind a TLS-terminating reverse proxy.',
    expected: 'a host name or IP address',
    schema: nonBlankText.refine((s) => !/\s/.test(s)),
  },
  {
    key: 'port',
    type: 'whole number',
    default: '8080',
    env: 'HOLDFAST_PORT',
    flag: 'port',
    placeholder: 'PORT',
    description: 'The TCP port to listen on. 0 picks a free port (the log line "listening" names it).',
    expected: 'a whole number from 0 to 65535',
    schema: z.number().int().min(0).max(65535),
  },
  {
    key: 'storeId',
    type: 'text',
    default: undefined,
    env: 'HOLDFAST_STORE_ID',
    flag: 'store-id',
    placeholder: 'ID',
    description:
      'The id of the store this server must find in the data directory. When set, the server refuses ' +
      'to start on a directory that is empty or holds another store, so an unmounted disk never looks ' +
      'like "no data yet". The server prints the id when it creates a new store.',
    expected: 'a store id (as printed when the store was created)',
    schema: nonBlankText.max(200).refine((s) => !/\s/.test(s)),
  },
  {
    key: 'logLevel',
    type: 'log level',
    default: 'info',
    env: 'HOLDFAST_LOG_LEVEL',
    flag: 'log-level',
    placeholder: 'LEVEL',
    description: `How much to log, as JSON lines on standard output: one of ${LOG_LEVELS.join(', ')}.`,
    expected: `one of ${LOG_LEVELS.join(', ')}`,
    schema: z.enum(LOG_LEVELS),
  },
  {
    key: 'maxBodyBytes',
    type: 'size',
    default: '16 MiB',
    env: 'HOLDFAST_MAX_BODY_BYTES',
    flag: 'max-body-bytes',
    placeholder: 'SIZE',
    description:
      'The largest request body accepted, in bytes (or with a unit: KiB, MiB, GiB). Larger requests ' +
      'are answered 413 and nothing is stored.',
    expected: 'a size from 1 KiB to 64 GiB, in bytes or with a unit (e.g. 16777216 or "16 MiB")',
    schema: z.number().int().min(KiB).max(64 * GiB),
  },
  {
    key: 'inlineLimitBytes',
    type: 'size',
    default: '64 KiB',
    env: 'HOLDFAST_INLINE_LIMIT_BYTES',
    flag: 'inline-limit-bytes',
    placeholder: 'SIZE',
    description:
      'Content up to this size is kept inside the metadata database; larger content goes to the blob ' +
      'store as a file. Changing it affects new writes only.',
    expected: 'a size from 0 to 16 MiB, in bytes or with a unit (e.g. 65536 or "64 KiB")',
    schema: z.number().int().min(0).max(16 * MiB),
  },
  {
    key: 'defaultQuotaBytes',
    type: 'size',
    default: undefined,
    env: 'HOLDFAST_DEFAULT_QUOTA_BYTES',
    flag: 'default-quota-bytes',
    placeholder: 'SIZE',
    description:
      'How much content a user may keep, in bytes (or with a unit: KiB, MiB, GiB, TiB), unless ' +
      "'holdfast user quota' gives them their own. Unset: no limit. Only live content counts; the " +
      'trash and history do not. A write that would pass it is answered 507 and nothing is stored.',
    expected: 'a size in bytes or with a unit (e.g. 10737418240 or "10 GiB")',
    schema: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  },
  {
    key: 'shutdownTimeoutSeconds',
    type: 'whole number',
    default: '30',
    env: 'HOLDFAST_SHUTDOWN_TIMEOUT_SECONDS',
    flag: 'shutdown-timeout-seconds',
    placeholder: 'SECONDS',
    description:
      'On SIGTERM or SIGINT the server stops accepting connections and lets requests in flight finish ' +
      '(uploads included). If they have not finished after this many seconds it gives up, logs an ' +
      'error and exits with status 1; requests cut off this way were never acknowledged.',
    expected: 'a whole number of seconds from 1 to 3600',
    schema: z.number().int().min(1).max(3600),
  },
  {
    key: 'trustProxy',
    type: 'boolean',
    default: 'false',
    env: 'HOLDFAST_TRUST_PROXY',
    flag: 'trust-proxy',
    placeholder: '',
    description:
      'Take the client address from X-Forwarded-For (and the scheme from X-Forwarded-Proto). Turn it ' +
      'on only behind a reverse proxy that sets these headers: otherwise clients could pick their own ' +
      'address and dodge the sign-in rate limit.',
    expected: 'true or false',
    schema: z.boolean(),
  },
  {
    key: 'maxUploadBytes',
    type: 'size',
    default: '16 GiB',
    env: 'HOLDFAST_MAX_UPLOAD_BYTES',
    flag: 'max-upload-bytes',
    placeholder: 'SIZE',
    description:
      'The largest file a resumable (tus) upload may declare, in bytes (or with a unit: KiB, MiB, GiB). ' +
      'A larger Upload-Length is refused with 413 before any byte is sent. Announced as Tus-Max-Size.',
    expected: 'a size from 1 KiB to 1024 GiB, in bytes or with a unit (e.g. 17179869184 or "16 GiB")',
    schema: z.number().int().min(KiB).max(1024 * GiB),
  },
  {
    key: 'uploadExpiryHours',
    type: 'whole number',
    default: '24',
    env: 'HOLDFAST_UPLOAD_EXPIRY_HOURS',
    flag: 'upload-expiry-hours',
    placeholder: 'HOURS',
    description:
      'An unfinished resumable upload that receives no bytes for this many hours expires: its partial ' +
      'bytes are deleted and it cannot be resumed. Announced to clients as Upload-Expires.',
    expected: 'a whole number of hours from 1 to 720',
    schema: z.number().int().min(1).max(720),
  },
  {
    key: 'backupTargets',
    type: 'text',
    default: undefined,
    env: 'HOLDFAST_BACKUP_TARGETS',
    flag: 'backup-targets',
    placeholder: 'TARGETS',
    description:
      'Where the server backs up continuously, as a comma-separated list of "dir:/path" (a directory on ' +
      'another disk or mount) and "s3://bucket/prefix" (S3-compatible storage; endpoint and credentials ' +
      'from HOLDFAST_S3_ENDPOINT, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY). Unset: no backup. See docs/backup.md.',
    expected: 'a comma-separated list of "dir:/path" or "s3://bucket/prefix" targets',
    schema: z
      .string()
      .min(1)
      .max(4096)
      .refine((s) => splitTargets(s).length > 0 && splitTargets(s).every((t) => parseTarget(t).kind === 'ok')),
  },
  {
    key: 'backupMode',
    type: 'text',
    default: 'async',
    env: 'HOLDFAST_BACKUP_MODE',
    flag: 'backup-mode',
    placeholder: 'MODE',
    description:
      'async: a write is answered once it is durable on this server, and reaches the backup targets about a ' +
      'second later. sync: a write is answered only once every backup target holds it too (slower writes; ' +
      'a target that does not confirm within 30 s fails the write).',
    expected: 'async or sync',
    schema: z.enum(['async', 'sync']),
  },
  {
    key: 'backupSnapshotEveryChanges',
    type: 'whole number',
    default: '10000',
    env: 'HOLDFAST_BACKUP_SNAPSHOT_EVERY_CHANGES',
    flag: 'backup-snapshot-every-changes',
    placeholder: 'N',
    description:
      'The backup writes a new snapshot of the metadata after this many changes, so a restore replays at ' +
      'most this many changes after its snapshot.',
    expected: 'a whole number of changes from 100 to 10000000',
    schema: z.number().int().min(100).max(10_000_000),
  },
  {
    key: 'allowMigrationWithoutBackup',
    type: 'boolean',
    default: 'false',
    env: 'HOLDFAST_ALLOW_MIGRATION_WITHOUT_BACKUP',
    flag: 'allow-migration-without-backup',
    placeholder: '',
    description:
      'Before upgrading an existing store\'s schema, the server copies the store to every backup target and checks ' +
      'the copy; with no backup target it refuses to upgrade. Set this to upgrade anyway, with only the local safety ' +
      'copy (data/pre-migration/). See docs/backup.md.',
    expected: 'true or false',
    schema: z.boolean(),
  },
  {
    key: 'backupPrune',
    type: 'boolean',
    default: 'true',
    env: 'HOLDFAST_BACKUP_PRUNE',
    flag: 'backup-prune',
    placeholder: '',
    description:
      'Apply the retention policy (backupKeepAllDays, backupKeepDailyDays, backupKeepMonthlyMonths) to every ' +
      'backup target: after each snapshot and at least daily. Set it to false for a target whose credentials ' +
      'may not delete (object lock): the target then keeps everything.',
    expected: 'true or false',
    schema: z.boolean(),
  },
  {
    key: 'backupDrillIntervalSeconds',
    type: 'whole number',
    default: '86400',
    env: 'HOLDFAST_BACKUP_DRILL_INTERVAL_SECONDS',
    flag: 'backup-drill-interval-seconds',
    placeholder: 'SECONDS',
    description:
      'How often the server proves its backup by restoring it (the drill: "holdfast backup verify" into scratch space), ' +
      'in seconds; 0 turns drills off. The result, recovery point and recovery time show in "holdfast status" and /metrics.',
    expected: 'a whole number of seconds from 0 to 31536000',
    schema: z.number().int().min(0).max(31_536_000),
  },
  {
    key: 'scrubBytesPerSecond',
    type: 'size',
    default: '4 MiB',
    env: 'HOLDFAST_SCRUB_BYTES_PER_SECOND',
    flag: 'scrub-bytes-per-second',
    placeholder: 'SIZE',
    description:
      'How fast the background scrub re-reads blobs to check their hashes, in bytes per second (or with a unit); ' +
      'it sleeps between reads to stay under it. 0 turns the background scrub off ("holdfast scrub" still works).',
    expected: 'a size from 0 to 1024 GiB per second',
    schema: z.number().int().min(0).max(1024 * GiB),
  },
  {
    key: 'scrubIntervalHours',
    type: 'whole number',
    default: '168',
    env: 'HOLDFAST_SCRUB_INTERVAL_HOURS',
    flag: 'scrub-interval-hours',
    placeholder: 'HOURS',
    description: 'Hours from the start of one background scrub pass to the start of the next (a pass cut short by a restart resumes at once).',
    expected: 'a whole number of hours from 1 to 8760',
    schema: z.number().int().min(1).max(8760),
  },
  {
    key: 'backupKeepAllDays',
    type: 'whole number',
    default: '30',
    env: 'HOLDFAST_BACKUP_KEEP_ALL_DAYS',
    flag: 'backup-keep-all-days',
    placeholder: 'DAYS',
    description:
      'Retention keeps every point in time of this many recent days restorable (to the change), with ' +
      'every snapshot and segment they need.',
    expected: 'a whole number of days from 1 to 36500',
    schema: z.number().int().min(1).max(36_500),
  },
  {
    key: 'backupKeepDailyDays',
    type: 'whole number',
    default: '90',
    env: 'HOLDFAST_BACKUP_KEEP_DAILY_DAYS',
    flag: 'backup-keep-daily-days',
    placeholder: 'DAYS',
    description:
      'Retention also keeps the newest snapshot of each of this many recent days (UTC), restorable to its ' +
      'sequence number. 0: none beyond the keep-all window.',
    expected: 'a whole number of days from 0 to 36500',
    schema: z.number().int().min(0).max(36_500),
  },
  {
    key: 'backupKeepMonthlyMonths',
    type: 'whole number',
    default: '12',
    env: 'HOLDFAST_BACKUP_KEEP_MONTHLY_MONTHS',
    flag: 'backup-keep-monthly-months',
    placeholder: 'MONTHS',
    description:
      'Retention also keeps the newest snapshot of each of this many recent months (UTC), restorable to its ' +
      'sequence number. 0: none.',
    expected: 'a whole number of months from 0 to 1200',
    schema: z.number().int().min(0).max(1200),
  },
  {
    key: 'corsOrigins',
    type: 'list',
    default: undefined,
    env: 'HOLDFAST_CORS_ORIGINS',
    flag: 'cors-origins',
    placeholder: 'ORIGINS',
    description:
      'Web origins (scheme, host and port: "https://app.example.com") whose pages may call the sync API ' +
      '(/api/v1/sync/*) from a browser, comma-separated (a JSON list in a config file). Unset: no CORS headers, ' +
      'so only pages on the server\'s own origin can. See docs/sdk.md.',
    expected: 'a comma-separated list of origins like https://app.example.com (scheme, host and optional port; no path, no "*")',
    schema: z.array(z.string().refine(isOrigin)).min(1).max(100),
  },
];

/** "https://app.example.com" or "http://127.0.0.1:5173": exactly what a browser sends as Origin. */
function isOrigin(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.origin === text;
  } catch {
    return false;
  }
}

/** The setting that names the config file itself (not part of HoldfastConfig). */
export const CONFIG_FILE_OPTION = {
  env: 'HOLDFAST_CONFIG',
  flag: 'config',
  description:
    'A JSON file of settings (names as in the "Setting" column). Unknown names are errors. If given ' +
    'and the file does not exist, the server does not start.',
} as const;

export const DEFAULT_SIZES = { maxBodyBytes: 16 * MiB, inlineLimitBytes: 64 * KiB } as const;

const SIZE_UNITS: Record<string, number> = { '': 1, b: 1, kib: KiB, mib: MiB, gib: GiB, tib: 1024 * GiB };

/** "65536", "64 KiB", "16MiB" → bytes; undefined if it is not a size. */
export function parseSize(text: string): number | undefined {
  const match = /^(\d+)\s*([a-z]*)$/i.exec(text.trim());
  if (!match) return undefined;
  const factor = SIZE_UNITS[(match[2] ?? '').toLowerCase()];
  if (factor === undefined) return undefined;
  return Number(match[1]) * factor;
}

const TRUE_WORDS = new Set(['true', '1', 'yes', 'on']);
const FALSE_WORDS = new Set(['false', '0', 'no', 'off']);

/** Turns a value written as text (environment, flag) into the option's type, or
 * undefined if the text cannot be one. The schema then checks the range. */
export function valueFromText(option: ConfigOption, text: string): unknown {
  switch (option.type) {
    case 'whole number':
      return /^\d+$/.test(text) ? Number(text) : undefined;
    case 'size':
      return parseSize(text);
    case 'list':
      return splitList(text);
    case 'boolean': {
      const word = text.toLowerCase();
      if (TRUE_WORDS.has(word)) return true;
      if (FALSE_WORDS.has(word)) return false;
      return undefined;
    }
    case 'path':
    case 'text':
    case 'log level':
      return text;
  }
}

/** A config file holds JSON values: numbers and booleans as themselves, and sizes either
 * as a number of bytes or as text with a unit. */
export function valueFromJson(option: ConfigOption, value: unknown): unknown {
  if (option.type === 'size' && typeof value === 'string') return parseSize(value);
  if (option.type === 'list' && typeof value === 'string') return splitList(value);
  return value;
}

/** "a, b,c" → ['a', 'b', 'c']; empty entries are dropped. */
function splitList(text: string): string[] {
  return text
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
}

export function defaultValue(option: ConfigOption): unknown {
  return option.default === undefined ? undefined : valueFromText(option, option.default);
}
