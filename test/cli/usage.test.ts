// How `holdfast` answers when asked for help or asked wrongly: usage on stdout with exit 0
// for help, the problem and the usage on stderr with exit 2 for a wrong command line. No
// store is needed (nor opened) for either.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runCli } from '../../src/cli/main.ts';
import { fakeIo } from './fake-io.ts';
import { holdfast } from './holdfast-process.ts';

const COMMANDS = ['user', 'app-password', 'token', 'status', 'trash', 'history'];

describe('holdfast usage', () => {
  for (const args of [[], ['help'], ['--help'], ['-h']]) {
    it(`'holdfast ${args.join(' ')}' prints the usage with every command and exits 0`, async () => {
      const result = await holdfast(args);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /^Usage: holdfast COMMAND/);
      for (const command of ['serve', ...COMMANDS]) assert.match(result.stdout, new RegExp(`^  ${command} `, 'm'));
      assert.equal(result.stderr, '');
    });
  }

  it('an unknown command exits 2, naming it, with the usage on stderr', async () => {
    const result = await holdfast(['frobnicate']);
    assert.equal(result.code, 2);
    assert.equal(result.stdout, '');
    assert.match(result.stderr, /^holdfast: unknown command "frobnicate"\n\nUsage: holdfast COMMAND/);
  });

  it('an unknown option exits 2, naming it, with the usage on stderr', async () => {
    const result = await holdfast(['--frobnicate']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /^holdfast: unknown option "--frobnicate"\n\nUsage: holdfast COMMAND/);
  });

  it("an unknown option of a command exits 2 with that command's usage", async () => {
    const result = await holdfast(['user', 'list', '--frobnicate']);
    assert.equal(result.code, 2);
    assert.equal(result.stdout, '');
    assert.match(result.stderr, /^holdfast: unknown option '--frobnicate'\n\nUsage:\n  holdfast user add/);
  });
});

describe('holdfast COMMAND --help', () => {
  const helpCalls = [
    ...COMMANDS.map((command) => [command, '--help']),
    ...['add', 'list', 'passwd', 'delete', 'restore'].map((sub) => ['user', sub, '--help']),
    ...['create', 'list', 'revoke'].flatMap((sub) => [
      ['app-password', sub, '--help'],
      ['token', sub, '-h'],
    ]),
    ['help', 'user'],
    ['user', 'help'],
  ];
  for (const args of helpCalls) {
    it(`'holdfast ${args.join(' ')}' prints that command's usage and exits 0 without opening a store`, async () => {
      const fake = fakeIo({ env: { HOLDFAST_DATA_DIR: '/nonexistent/holdfast-test' } });
      const code = await runCli(args, fake.io);
      assert.equal(code, 0, fake.stderr());
      const command = args[0] === 'help' ? args[1] : args[0];
      assert.match(fake.stdout(), new RegExp(`^Usage:\\n  holdfast ${command} `));
      assert.match(fake.stdout(), /--data DIR/);
      assert.equal(fake.stderr(), '');
    });
  }
});

describe('holdfast command lines that are wrong', () => {
  const wrong: [string[], RegExp][] = [
    [['user'], /'holdfast user' needs one of: add, list, passwd, quota, delete, restore/],
    [['user', 'frobnicate'], /unknown user command "frobnicate"/],
    [['user', 'add'], /missing NAME/],
    [['user', 'add', 'alice', 'bob'], /unexpected argument "bob"/],
    [['user', 'add', 'alice', '--data'], /option '--data <value>' argument missing/],
    [['app-password', 'revoke', 'alice'], /missing ID/],
    [['token', 'create'], /missing USER/],
    [['token', 'create', 'alice', '--ttl', 'soon'], /--ttl takes a whole number of seconds greater than 0, not "soon"/],
    [['status', 'now'], /unexpected argument "now"/],
    [['help', 'frobnicate'], /unknown command "frobnicate"/],
  ];
  for (const [args, message] of wrong) {
    it(`'holdfast ${args.join(' ')}' exits 2 and says what is wrong`, async () => {
      const fake = fakeIo();
      assert.equal(await runCli(args, fake.io), 2);
      assert.match(fake.stderr(), message);
      assert.match(fake.stderr(), /\n\nUsage:/);
      assert.equal(fake.stdout(), '');
    });
  }
});

describe('holdfast settings that are not valid', () => {
  it('exit 2 and name the setting and where it came from, as for serve', async () => {
    const fake = fakeIo({ env: { HOLDFAST_INLINE_LIMIT_BYTES: 'lots' } });
    assert.equal(await runCli(['user', 'list', '--data', '/nonexistent/holdfast-test'], fake.io), 2);
    assert.match(fake.stderr(), /^holdfast: the settings are not valid:\n {2}HOLDFAST_INLINE_LIMIT_BYTES: expected a size/);
  });
});

describe('holdfast serve', () => {
  for (const args of [['serve', '--help'], ['help', 'serve']]) {
    it(`'holdfast ${args.join(' ')}' shows the server's own usage`, async () => {
      const fake = fakeIo();
      assert.equal(await runCli(args, fake.io), 0, fake.stderr());
      assert.match(fake.stdout(), /^Usage: holdfast serve/);
    });
  }
});
