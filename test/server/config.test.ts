import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadConfig, type ConfigResult, type HoldfastConfig } from '../../src/server/config.ts';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'holdfast-config-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function configFile(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

function ok(result: ConfigResult): HoldfastConfig {
  assert.equal(result.kind, 'ok', result.kind === 'invalid' ? result.errors.join('\n') : '');
  return result.config;
}

function errors(result: ConfigResult): string[] {
  assert.equal(result.kind, 'invalid', 'expected the configuration to be refused');
  return result.errors;
}

describe('configuration', () => {
  test('with nothing set, every setting has its documented default', async () => {
    const config = ok(await loadConfig({ flags: {}, env: {} }));
    assert.deepEqual(config, {
      dataDir: resolve('data'),
      host: '127.0.0.1',
      port: 8080,
      storeId: undefined,
      logLevel: 'info',
      maxBodyBytes: 16 * 1024 * 1024,
      inlineLimitBytes: 64 * 1024,
      defaultQuotaBytes: undefined,
      shutdownTimeoutSeconds: 30,
      trustProxy: false,
      maxUploadBytes: 16 * 1024 ** 3,
      uploadExpiryHours: 24,
      backupTargets: undefined,
      backupSnapshotEveryChanges: 10_000,
      backupMode: 'async',
      allowMigrationWithoutBackup: false,
      backupDrillIntervalSeconds: 86_400,
      scrubBytesPerSecond: 4 * 1024 * 1024,
      scrubIntervalHours: 168,
      backupPrune: true,
      backupKeepAllDays: 30,
      backupKeepDailyDays: 90,
      backupKeepMonthlyMonths: 12,
      corsOrigins: undefined,
    });
  });

  test('flags win over the environment, which wins over the config file, which wins over defaults', async () => {
    const file = await configFile('precedence.json', JSON.stringify({ port: 9001, host: '0.0.0.0', logLevel: 'warn' }));
    const env = { HOLDFAST_CONFIG: file, HOLDFAST_PORT: '9002', HOLDFAST_HOST: '::1' };
    const all = ok(await loadConfig({ flags: { port: '9003' }, env }));
    assert.equal(all.port, 9003);
    assert.equal(all.host, '::1');
    assert.equal(all.logLevel, 'warn');
    assert.equal(all.shutdownTimeoutSeconds, 30);

    assert.equal(ok(await loadConfig({ flags: {}, env })).port, 9002);
    assert.equal(ok(await loadConfig({ flags: { config: file }, env: {} })).port, 9001);
  });

  test('--config wins over HOLDFAST_CONFIG', async () => {
    const a = await configFile('a.json', '{"port": 1111}');
    const b = await configFile('b.json', '{"port": 2222}');
    assert.equal(ok(await loadConfig({ flags: { config: b }, env: { HOLDFAST_CONFIG: a } })).port, 2222);
  });

  test('a relative dataDir in a config file is relative to the file; elsewhere to the working directory', async () => {
    const file = await configFile('relative.json', '{"dataDir": "store"}');
    assert.equal(ok(await loadConfig({ flags: { config: file }, env: {} })).dataDir, join(dir, 'store'));
    assert.equal(ok(await loadConfig({ flags: { data: 'elsewhere' }, env: {} })).dataDir, resolve('elsewhere'));
  });

  test('sizes are bytes or a number with a binary unit, in any source', async () => {
    const file = await configFile('sizes.json', '{"maxBodyBytes": "2 MiB", "inlineLimitBytes": 4096}');
    const config = ok(await loadConfig({ flags: { config: file }, env: {} }));
    assert.equal(config.maxBodyBytes, 2 * 1024 * 1024);
    assert.equal(config.inlineLimitBytes, 4096);
    assert.equal(ok(await loadConfig({ flags: { 'max-body-bytes': '1GiB' }, env: {} })).maxBodyBytes, 1024 ** 3);
  });

  test('the default quota is unset (no limit) unless given, as bytes or a human size, in any source', async () => {
    assert.equal(ok(await loadConfig({ flags: {}, env: {} })).defaultQuotaBytes, undefined);
    const file = await configFile('quota.json', '{"defaultQuotaBytes": "10 GiB"}');
    assert.equal(ok(await loadConfig({ flags: { config: file }, env: {} })).defaultQuotaBytes, 10 * 1024 ** 3);
    assert.equal(ok(await loadConfig({ flags: {}, env: { HOLDFAST_DEFAULT_QUOTA_BYTES: '2TiB' } })).defaultQuotaBytes, 2 * 1024 ** 4);
    assert.equal(ok(await loadConfig({ flags: { 'default-quota-bytes': '1048576' }, env: {} })).defaultQuotaBytes, 1024 ** 2);
    assert.deepEqual(errors(await loadConfig({ flags: { 'default-quota-bytes': 'lots' }, env: {} })), [
      '--default-quota-bytes: expected a size in bytes or with a unit (e.g. 10737418240 or "10 GiB"), got "lots"',
    ]);
  });

  test('store id, trust proxy and log level come from their variables and flags', async () => {
    const config = ok(
      await loadConfig({ flags: { 'store-id': 'store-1', 'trust-proxy': true }, env: { HOLDFAST_LOG_LEVEL: 'debug' } }),
    );
    assert.equal(config.storeId, 'store-1');
    assert.equal(config.trustProxy, true);
    assert.equal(config.logLevel, 'debug');
    assert.equal(ok(await loadConfig({ flags: {}, env: { HOLDFAST_TRUST_PROXY: 'yes' } })).trustProxy, true);
  });

  test('an unknown setting in the config file is an error that names the file and suggests the setting meant', async () => {
    const file = await configFile('typo.json', '{"prot": 8081}');
    assert.deepEqual(errors(await loadConfig({ flags: { config: file }, env: {} })), [
      `config file ${file}: unknown setting "prot" (did you mean "port"?)`,
    ]);
  });

  test('a config file that is not JSON is an error that gives the line', async () => {
    const file = await configFile('broken.json', '{\n  "port": 8081,\n  "host": "x",\n}\n');
    const [error, ...rest] = errors(await loadConfig({ flags: { config: file }, env: {} }));
    assert.equal(rest.length, 0);
    assert.match(error ?? '', new RegExp(`^config file ${file}: not valid JSON at line 4: `));
  });

  test('a config file that is not a JSON object is an error', async () => {
    const file = await configFile('list.json', '[1, 2]');
    assert.deepEqual(errors(await loadConfig({ flags: { config: file }, env: {} })), [
      `config file ${file}: expected a JSON object of settings, got a list`,
    ]);
  });

  test('a wrong value in the config file names the file, the setting and what is expected', async () => {
    const file = await configFile('types.json', '{"port": "8080", "trustProxy": "yes", "logLevel": "loud"}');
    assert.deepEqual(errors(await loadConfig({ flags: { config: file }, env: {} })), [
      `config file ${file}: setting "port": expected a whole number from 0 to 65535, got "8080"`,
      `config file ${file}: setting "logLevel": expected one of fatal, error, warn, info, debug, trace, got "loud"`,
      `config file ${file}: setting "trustProxy": expected true or false, got "yes"`,
    ]);
  });

  test('a config file named explicitly must exist', async () => {
    const missing = join(dir, 'missing.json');
    assert.deepEqual(errors(await loadConfig({ flags: { config: missing }, env: {} })), [
      `config file ${missing} (from --config): not found`,
    ]);
    assert.deepEqual(errors(await loadConfig({ flags: {}, env: { HOLDFAST_CONFIG: missing } })), [
      `config file ${missing} (from HOLDFAST_CONFIG): not found`,
    ]);
  });

  test('a bad environment value names the variable and what is expected', async () => {
    assert.deepEqual(errors(await loadConfig({ flags: {}, env: { HOLDFAST_PORT: 'abc' } })), [
      'HOLDFAST_PORT: expected a whole number from 0 to 65535, got "abc"',
    ]);
    assert.deepEqual(errors(await loadConfig({ flags: {}, env: { HOLDFAST_SHUTDOWN_TIMEOUT_SECONDS: '0' } })), [
      'HOLDFAST_SHUTDOWN_TIMEOUT_SECONDS: expected a whole number of seconds from 1 to 3600, got "0"',
    ]);
  });

  test('an empty value is an error, not a silent default (HOLDFAST_STORE_ID= must not switch the check off)', async () => {
    const [error] = errors(await loadConfig({ flags: {}, env: { HOLDFAST_STORE_ID: '' } }));
    assert.match(error ?? '', /^HOLDFAST_STORE_ID: expected a store id .*, got an empty value/);
  });

  test('a bad flag value, and an unknown flag, are errors', async () => {
    assert.deepEqual(errors(await loadConfig({ flags: { port: '70000', prot: '1' }, env: {} })), [
      '--prot: unknown flag (did you mean --port?)',
      '--port: expected a whole number from 0 to 65535, got "70000"',
    ]);
  });

  test('a near miss of a HOLDFAST_ variable is an error; unrelated HOLDFAST_ variables are left alone', async () => {
    assert.deepEqual(errors(await loadConfig({ flags: {}, env: { HOLDFAST_STOREID: 'x' } })), [
      'HOLDFAST_STOREID: unknown setting (did you mean HOLDFAST_STORE_ID?)',
    ]);
    ok(await loadConfig({ flags: {}, env: { HOLDFAST_SOMETHING_ELSE_ENTIRELY: 'x' } }));
  });

  test('every problem in every source is reported at once', async () => {
    const file = await configFile('many.json', '{"prot": 1, "maxBodyBytes": 5}');
    const found = errors(await loadConfig({ flags: { config: file, 'log-level': 'chatty' }, env: { HOLDFAST_PORT: '-1' } }));
    assert.equal(found.length, 4, found.join('\n'));
  });
});
