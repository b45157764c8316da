// litmus, the WebDAV server test suite (Debian package `litmus`), against a real server:
// every test of the basic, copymove, props, locks and http suites must pass, without a
// warning. Without litmus installed the test is skipped on a developer's
// machine, and fails in CI (CI=true), where .ci/run installs it.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startHarness, type Harness } from '../server/harness.ts';

const SUITES = ['basic', 'copymove', 'props', 'locks', 'http'] as const;

export interface LitmusReport {
  /** Suite name to its summary; a suite litmus never reached is absent. */
  summaries: Map<string, { run: number; passed: number; failed: number }>;
  /** Failed tests as "suite/test: reason". */
  failures: string[];
  /** Warnings as "suite: text": a test that passed but saw a status other than the RFC's. */
  warnings: string[];
}

/** Reads litmus's output: per-suite summaries and every FAIL line with its reason. */
export function parseLitmusOutput(output: string): LitmusReport {
  const summaries = new Map<string, { run: number; passed: number; failed: number }>();
  const failures: string[] = [];
  const warnings: string[] = [];
  let suite = '';
  for (const line of output.split(/\r?\n/)) {
    const running = /^-> running `([^']+)'/.exec(line);
    if (running) suite = running[1] ?? '';
    const summary = /<- summary for `([^']+)': of (\d+) tests run: (\d+) passed, (\d+) failed/.exec(line);
    if (summary) summaries.set(summary[1] ?? '', { run: Number(summary[2]), passed: Number(summary[3]), failed: Number(summary[4]) });
    const failed = /(\d+)\. (\w+)\.+ FAIL(?: \((.*))?$/.exec(line);
    if (failed) failures.push(`${suite}/${failed[2]}: ${failed[3] ?? ''}`.trim());
    const warning = /WARNING: (.*)$/.exec(line);
    if (warning) warnings.push(`${suite}: ${warning[1] ?? ''}`);
  }
  return { summaries, failures, warnings };
}

function litmusInstalled(): boolean {
  return spawnSync('litmus', ['--help'], { stdio: 'ignore' }).error === undefined;
}

function runLitmus(url: string, password: string, workDir: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    // Asynchronous on purpose: the server under test runs in this same process.
    const child = spawn('litmus', [url, 'alice', password], { cwd: workDir, env: { ...process.env, TESTS: SUITES.join(' ') } });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

const installed = litmusInstalled();
const mustRun = process.env.CI === 'true';

describe('litmus (WebDAV server test suite)', { skip: !installed && !mustRun ? 'litmus is not installed (apt-get install litmus)' : false }, () => {
  let server: Harness;
  let workDir: string;
  // An app password, as a phone would use: the account password is verified with argon2
  // on every request, which would make litmus's few hundred requests take a minute.
  let appPassword: string;
  before(async () => {
    server = await startHarness({ config: { logLevel: 'warn' } });
    workDir = await mkdtemp(join(tmpdir(), 'holdfast-litmus-'));
    const alice = await server.store.accounts.getUserByName('alice');
    assert.ok(alice);
    await server.store.forUser(alice.id).createCollection({ name: 'litmus-base', kind: 'files' });
    const created = await server.accounts.createAppPassword('alice', 'litmus');
    assert.equal(created.kind, 'created');
    appPassword = created.kind === 'created' ? created.secret : '';
  });
  after(async () => {
    await server.close();
    await rm(workDir, { recursive: true, force: true });
  });

  test('every test of the basic, copymove, props, locks and http suites passes', { timeout: 120_000 }, async () => {
    assert.ok(installed, 'litmus is not installed, and CI=true requires it: .ci/run installs the Debian package "litmus"');
    const { code, output } = await runLitmus(`${server.url}/dav/alice/litmus-base/`, appPassword, workDir);
    const report = parseLitmusOutput(output);
    assert.deepEqual(report.failures, [], `litmus failures:\n${output}`);
    // The locks suite warns when a refusal has another status than RFC 4918's (423, 409, 412).
    assert.deepEqual(report.warnings, [], `litmus warnings:\n${output}`);
    for (const suite of SUITES) {
      const summary = report.summaries.get(suite);
      assert.ok(summary, `litmus did not run the ${suite} suite:\n${output}`);
      assert.equal(summary.failed, 0, `${suite}: ${summary.failed} failed`);
      assert.equal(summary.passed, summary.run);
    }
    assert.equal(code, 0, output);
  });
});

test('litmus output is read into suite summaries, named failures and warnings', () => {
  const report = parseLitmusOutput(
    [
      "-> running `basic':",
      ' 6. mkcol_over_plain......  6. mkcol_over_plain...... FAIL (MKCOL on plain resource succeeded!)',
      ' 9. notowner_modify.......  9. notowner_modify....... WARNING: DELETE failed with 412 not 423',
      '    ...................... pass (with 1 warning)',
      "<- summary for `basic': of 16 tests run: 15 passed, 1 failed. 93.8%",
    ].join('\n'),
  );
  assert.deepEqual(report.failures, ['basic/mkcol_over_plain: MKCOL on plain resource succeeded!)']);
  assert.deepEqual(report.summaries.get('basic'), { run: 16, passed: 15, failed: 1 });
  assert.deepEqual(report.warnings, ['basic: DELETE failed with 412 not 423']);
});
