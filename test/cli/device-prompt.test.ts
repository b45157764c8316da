// Where `holdfast device sync` gets its password at a terminal. Run in-process with a fake
// terminal (a spawned command's stdin is a pipe and never prompts) against a real server.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../../src/cli/main.ts';
import { PASSWORDS, startHarness } from '../server/harness.ts';
import type { Harness } from '../server/harness.ts';
import { fakeIo } from './fake-io.ts';

let harness: Harness;
let dir: string;

before(async () => {
  harness = await startHarness();
  dir = await mkdtemp(join(tmpdir(), 'holdfast-device-prompt-'));
});

after(async () => {
  await harness.close();
  await rm(dir, { recursive: true, force: true });
});

describe('device sync at a terminal', () => {
  it('asks for the password with echo off and shows it nowhere', async () => {
    const terminal = fakeIo({ isTTY: true, input: `${PASSWORDS.alice}\n` });
    const code = await runCli(['device', 'sync', '--server', harness.url, '--user', 'alice', '--state', join(dir, 'asked')], terminal.io);
    assert.equal(code, 0, terminal.stderr());
    assert.match(terminal.stderr(), /Password for alice: \n/);
    assert.ok(!terminal.stderr().includes(PASSWORDS.alice) && !terminal.stdout().includes(PASSWORDS.alice));
    assert.match(terminal.stdout(), /Synced alice's replica/);
  });

  it('does not ask when HOLDFAST_PASSWORD is set', async () => {
    const terminal = fakeIo({ isTTY: true, env: { HOLDFAST_PASSWORD: PASSWORDS.alice } });
    const code = await runCli(['device', 'sync', '--server', harness.url, '--user', 'alice', '--state', join(dir, 'from-env')], terminal.io);
    assert.equal(code, 0, terminal.stderr());
    assert.doesNotMatch(terminal.stderr(), /Password for/);
  });

  it('gives up, syncing nothing, when the terminal closes without a password', async () => {
    const terminal = fakeIo({ isTTY: true, input: '' });
    const code = await runCli(['device', 'sync', '--server', harness.url, '--user', 'alice', '--state', join(dir, 'no-answer')], terminal.io);
    assert.equal(code, 1);
    assert.match(terminal.stderr(), /no password given; nothing was synced/);
  });
});
