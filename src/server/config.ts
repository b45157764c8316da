// Loads the server's settings from, in order of precedence: command-line flags, the
// environment, a JSON config file, and the defaults in ./config-options.ts.
//
// Every value from every source is checked, and every problem is reported at once, each
// naming where it came from, so one restart fixes them all. Unknown settings in the file
// (and unknown flags) are errors: a typo must never leave a setting silently at its default.
// A near miss of a HOLDFAST_* variable is an error for the same reason; other HOLDFAST_*
// variables are left alone, as other commands may read them.
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import {
  CONFIG_FILE_OPTION,
  CONFIG_OPTIONS,
  LOG_LEVELS,
  defaultValue,
  valueFromJson,
  valueFromText,
  type ConfigOption,
  type HoldfastConfig,
} from './config-options.ts';
import { closestName } from './did-you-mean.ts';

export { CONFIG_FILE_OPTION, CONFIG_OPTIONS, LOG_LEVELS, type ConfigOption, type HoldfastConfig, type LogLevel } from './config-options.ts';

export type ConfigResult = { kind: 'ok'; config: HoldfastConfig } | { kind: 'invalid'; errors: string[] };

export interface ConfigInput {
  /** Keyed by flag name without dashes: `data`, `port`, `config`, `store-id`, … */
  flags: Record<string, string | boolean | undefined>;
  env: Record<string, string | undefined>;
}

/** A value found for one setting, and where. */
interface Found {
  /** How an error names the source: `--port`, `HOLDFAST_PORT`, `config file /x: setting "port"`. */
  source: string;
  raw: unknown;
  value: unknown;
  /** Relative paths are resolved against this directory. */
  baseDir: string;
}

// The final shape, checked once more after merging so the result is typed without casts.
const configSchema = z.strictObject({
  dataDir: z.string().refine((p) => isAbsolute(p)),
  host: z.string(),
  port: z.number(),
  storeId: z.string().optional(),
  logLevel: z.enum(LOG_LEVELS),
  maxBodyBytes: z.number(),
  inlineLimitBytes: z.number(),
  defaultQuotaBytes: z.number().optional(),
  shutdownTimeoutSeconds: z.number(),
  trustProxy: z.boolean(),
  maxUploadBytes: z.number(),
  uploadExpiryHours: z.number(),
  backupTargets: z.string().optional(),
  backupSnapshotEveryChanges: z.number(),
  backupPrune: z.boolean(),
  backupKeepAllDays: z.number(),
  backupKeepDailyDays: z.number(),
  backupKeepMonthlyMonths: z.number(),
  backupMode: z.enum(['async', 'sync']),
  allowMigrationWithoutBackup: z.boolean(),
  backupDrillIntervalSeconds: z.number(),
  scrubBytesPerSecond: z.number(),
  scrubIntervalHours: z.number(),
  corsOrigins: z.array(z.string()).optional(),
});

export async function loadConfig(input: ConfigInput): Promise<ConfigResult> {
  const errors: string[] = [];
  const cwd = process.cwd();
  const foundByKey = new Map<keyof HoldfastConfig, Found[]>();
  const add = (option: ConfigOption, found: Found): void => {
    foundByKey.set(option.key, [...(foundByKey.get(option.key) ?? []), found]);
  };

  // Lowest precedence first, so the last value found for a setting wins.
  const file = await readConfigFile(input, cwd, errors);
  if (file) {
    for (const option of CONFIG_OPTIONS) {
      if (!(option.key in file.settings)) continue;
      const raw = file.settings[option.key];
      add(option, { source: `config file ${file.path}: setting "${option.key}"`, raw, value: valueFromJson(option, raw), baseDir: dirname(file.path) });
    }
  }
  for (const option of CONFIG_OPTIONS) {
    const text = input.env[option.env];
    if (text !== undefined) add(option, { source: option.env, raw: text, value: valueFromText(option, text), baseDir: cwd });
  }
  errors.push(...unknownEnvironmentNames(input.env));
  for (const [flag, raw] of Object.entries(input.flags)) {
    if (raw === undefined || flag === CONFIG_FILE_OPTION.flag) continue;
    const option = CONFIG_OPTIONS.find((o) => o.flag === flag);
    if (!option) {
      const guess = closestName(flag, CONFIG_OPTIONS.map((o) => o.flag));
      errors.push(`--${flag}: unknown flag${guess ? ` (did you mean --${guess}?)` : ''}`);
      continue;
    }
    const value = typeof raw === 'boolean' ? (option.type === 'boolean' ? raw : undefined) : valueFromText(option, raw);
    add(option, { source: `--${flag}`, raw, value, baseDir: cwd });
  }

  const merged: Record<string, unknown> = {};
  for (const option of CONFIG_OPTIONS) {
    let chosen: unknown = defaultValue(option);
    let baseDir = cwd;
    for (const found of foundByKey.get(option.key) ?? []) {
      const problem = checkValue(option, found);
      if (problem) errors.push(problem);
      else ({ value: chosen, baseDir } = found);
    }
    merged[option.key] = option.type === 'path' && typeof chosen === 'string' ? resolve(baseDir, chosen) : chosen;
  }
  if (errors.length > 0) return { kind: 'invalid', errors };

  const parsed = configSchema.safeParse(merged);
  if (!parsed.success) {
    // Only reachable if the table and the schema above disagree: a bug, said plainly.
    return { kind: 'invalid', errors: parsed.error.issues.map((i) => `internal: setting "${i.path.join('.')}": ${i.message}`) };
  }
  return {
    kind: 'ok',
    config: { ...parsed.data, storeId: parsed.data.storeId, defaultQuotaBytes: parsed.data.defaultQuotaBytes, backupTargets: parsed.data.backupTargets, corsOrigins: parsed.data.corsOrigins },
  };
}

function checkValue(option: ConfigOption, found: Found): string | undefined {
  if (found.raw === '') return `${found.source}: expected ${option.expected}, got an empty value (leave it unset for the default)`;
  if (found.value !== undefined && option.schema.safeParse(found.value).success) return undefined;
  return `${found.source}: expected ${option.expected}, got ${describe(found.raw)}`;
}

function describe(raw: unknown): string {
  if (typeof raw === 'string') return JSON.stringify(raw);
  if (raw === null) return 'null';
  if (Array.isArray(raw)) return 'a list';
  if (typeof raw === 'object') return 'an object';
  if (typeof raw === 'boolean' || typeof raw === 'number') return String(raw);
  return typeof raw;
}

function unknownEnvironmentNames(env: Record<string, string | undefined>): string[] {
  const known = [...CONFIG_OPTIONS.map((o) => o.env), CONFIG_FILE_OPTION.env];
  const errors: string[] = [];
  for (const name of Object.keys(env)) {
    if (!name.startsWith('HOLDFAST_') || known.includes(name)) continue;
    const guess = closestName(name, known);
    if (guess) errors.push(`${name}: unknown setting (did you mean ${guess}?)`);
  }
  return errors;
}

const fileShape = z.strictObject(Object.fromEntries(CONFIG_OPTIONS.map((o) => [o.key, z.unknown()]))).partial();

async function readConfigFile(
  input: ConfigInput,
  cwd: string,
  errors: string[],
): Promise<{ path: string; settings: Record<string, unknown> } | undefined> {
  const flag = input.flags[CONFIG_FILE_OPTION.flag];
  const fromFlag = typeof flag === 'string';
  const given = fromFlag ? flag : input.env[CONFIG_FILE_OPTION.env];
  const via = fromFlag ? `--${CONFIG_FILE_OPTION.flag}` : CONFIG_FILE_OPTION.env;
  if (flag === true || given === '') {
    errors.push(`${via}: expected the path of a JSON config file, got an empty value`);
    return undefined;
  }
  if (given === undefined) return undefined;
  const path = resolve(cwd, given);

  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'not found' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : String(error);
    errors.push(`config file ${path} (from ${via}): ${why}`);
    return undefined;
  }

  let json: unknown;
  try {
    json = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    errors.push(`config file ${path}: not valid JSON ${jsonErrorPlace(text, (error as Error).message)}`);
    return undefined;
  }

  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    errors.push(`config file ${path}: expected a JSON object of settings, got ${describe(json)}`);
    return undefined;
  }
  // Strict: unknown names are reported, and the known ones are still checked, so the
  // operator sees every problem in the file at once.
  const shape = fileShape.safeParse(json);
  const settings: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(json)) {
    if (CONFIG_OPTIONS.some((o) => o.key === key)) settings[key] = value;
  }
  if (!shape.success) {
    for (const issue of shape.error.issues) {
      if (issue.code !== 'unrecognized_keys') continue;
      for (const key of issue.keys) {
        const guess = closestName(key, CONFIG_OPTIONS.map((o) => o.key));
        errors.push(`config file ${path}: unknown setting "${key}"${guess ? ` (did you mean "${guess}"?)` : ''}`);
      }
    }
  }
  return { path, settings };
}

/** "at line 3: Expected ',' or '}'" from V8's "… in JSON at position 42 (line 3 column 5)". */
function jsonErrorPlace(text: string, message: string): string {
  const position = /at position (\d+)/.exec(message);
  const line = position ? text.slice(0, Number(position[1])).split('\n').length : text.split('\n').length;
  const what = message.replace(/\s*in JSON at position \d+.*$/s, '').replace(/\s*\(line \d+ column \d+\)/, '');
  return `at line ${line}: ${what}`;
}
