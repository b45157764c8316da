// What `user add`, `user passwd` and `user delete` ask at a terminal. Run in-process with
// a fake terminal, because a spawned command's stdin is a pipe and never prompts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createAccounts } from '../../src/accounts/create-accounts.ts';
import { runCli } from '../../src/cli/main.ts';
import { fakeIo } from './fake-io.ts';
import { dataDirectoryForEachTest, withOpenStore } from './holdfast-process.ts';

const PASSWORD = 'correct horse battery staple';

const data = dataDirectoryForEachTest();

function signIn(name: string, secret: string): Promise<string> {
  return withOpenStore(data.dir, async (store) => (await createAccounts(store.accounts).authenticateBasic(name, secret, 'test')).kind);
}

describe('at a terminal', () => {
  it('user add asks for the password twice and shows it nowhere', async () => {
    const terminal = fakeIo({ isTTY: true, input: `${PASSWORD}\n${PASSWORD}\n` });
    assert.equal(await runCli(['user', 'add', 'alice', '--data', data.dir], terminal.io), 0, terminal.stderr());
    assert.match(terminal.stderr(), /Password for alice: \nThe same password again: \n/);
    assert.ok(!terminal.stderr().includes(PASSWORD) && !terminal.stdout().includes(PASSWORD));
    assert.equal(await signIn('alice', PASSWORD), 'ok');
  });

  it('user add with two different passwords fails with exit 1 and adds nobody', async () => {
    const terminal = fakeIo({ isTTY: true, input: `${PASSWORD}\n${PASSWORD}!\n` });
    assert.equal(await runCli(['user', 'add', 'alice', '--data', data.dir], terminal.io), 1);
    assert.match(terminal.stderr(), /the two passwords differ; nothing was changed/);
    await withOpenStore(data.dir, async (store) => assert.equal(await store.accounts.getUserByName('alice'), null));
  });

  it('user add gives up when stdin ends before the password is repeated', async () => {
    const terminal = fakeIo({ isTTY: true, input: `${PASSWORD}\n` });
    assert.equal(await runCli(['user', 'add', 'alice', '--data', data.dir], terminal.io), 1);
    assert.match(terminal.stderr(), /cancelled; nothing was changed/);
  });

  it('user add says why a password is too weak and asks again, before asking for it twice', async () => {
    const terminal = fakeIo({ isTTY: true, input: `short\n${PASSWORD}\n${PASSWORD}\n` });
    assert.equal(await runCli(['user', 'add', 'alice', '--data', data.dir], terminal.io), 0, terminal.stderr());
    assert.match(terminal.stderr(), /^Password for alice: \nThe password has 5 characters; use at least \d+\..*\nPassword for alice: \nThe same password again: \n/);
    assert.equal(await signIn('alice', PASSWORD), 'ok');
  });

  it('user passwd asks twice and sets the new password', async () => {
    assert.equal(await runCli(['user', 'add', 'alice', '--password-stdin', '--data', data.dir], fakeIo({ input: PASSWORD }).io), 0);
    const terminal = fakeIo({ isTTY: true, input: 'the new long password\nthe new long password\n' });
    assert.equal(await runCli(['user', 'passwd', 'alice', '--data', data.dir], terminal.io), 0, terminal.stderr());
    assert.equal(await signIn('alice', 'the new long password'), 'ok');
  });

  for (const [answer, deleted] of [
    ['y', true],
    ['yes', true],
    ['n', false],
    ['', false],
  ] as const) {
    it(`user delete asks first, and the answer "${answer}" ${deleted ? 'deletes' : 'keeps'} the user`, async () => {
      assert.equal(await runCli(['user', 'add', 'alice', '--password-stdin', '--data', data.dir], fakeIo({ input: PASSWORD }).io), 0);
      const terminal = fakeIo({ isTTY: true, input: `${answer}\n` });
      const code = await runCli(['user', 'delete', 'alice', '--data', data.dir], terminal.io);
      assert.match(terminal.stderr(), /Their data is kept, and 'holdfast user restore alice' undoes this\.\nDelete user "alice"\? \[y\/N\] /);
      assert.equal(code, deleted ? 0 : 1);
      assert.equal(await signIn('alice', PASSWORD), deleted ? 'invalid' : 'ok');
    });
  }
});
