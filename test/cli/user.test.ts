// `holdfast user …` against a real store, through the real command.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createAccounts } from '../../src/accounts/create-accounts.ts';
import type { AuthResult } from '../../src/accounts/accounts.ts';
import { dataDirectoryForEachTest, holdfast, withOpenStore } from './holdfast-process.ts';

const PASSWORD = 'correct horse battery staple';

const data = dataDirectoryForEachTest();

function signIn(name: string, secret: string): Promise<AuthResult['kind']> {
  return withOpenStore(data.dir, async (store) => (await createAccounts(store.accounts).authenticateBasic(name, secret, 'test')).kind);
}

async function addUser(name: string, password = PASSWORD): Promise<void> {
  const added = await holdfast(['user', 'add', name, '--password-stdin', '--data', data.dir], { input: `${password}\n` });
  assert.equal(added.code, 0, added.stderr);
}

describe('holdfast user add', () => {
  it('with --password-stdin creates the user with the first line of stdin as password, and never prints it', async () => {
    const added = await holdfast(['user', 'add', 'alice', '--password-stdin', '--data', data.dir], {
      input: `${PASSWORD}\nnot this line\n`,
    });
    assert.equal(added.code, 0, added.stderr);
    assert.equal(added.stdout, '');
    assert.match(added.stderr, /Created user "alice"/);
    assert.ok(!added.stderr.includes(PASSWORD));
    assert.equal(await signIn('alice', PASSWORD), 'ok');
    assert.equal(await signIn('alice', `${PASSWORD}\n`), 'invalid');
  });

  it('strips a Windows line ending from the password on stdin', async () => {
    const added = await holdfast(['user', 'add', 'alice', '--password-stdin', '--data', data.dir], { input: `${PASSWORD}\r\n` });
    assert.equal(added.code, 0, added.stderr);
    assert.equal(await signIn('alice', PASSWORD), 'ok');
  });

  it('without --password-stdin and without a terminal generates a password and prints it alone on stdout', async () => {
    const added = await holdfast(['user', 'add', 'bob', '--data', data.dir]);
    assert.equal(added.code, 0, added.stderr);
    const lines = added.stdout.split('\n');
    assert.equal(lines.length, 2, `one line on stdout, got ${JSON.stringify(added.stdout)}`);
    const [generated = ''] = lines;
    assert.ok(generated.length >= 20);
    assert.ok(!added.stderr.includes(generated));
    assert.equal(await signIn('bob', generated), 'ok');
  });

  it('refuses a name that is taken with exit 1 and a hint, and keeps the old password', async () => {
    await addUser('alice');
    const again = await holdfast(['user', 'add', 'alice', '--password-stdin', '--data', data.dir], { input: 'another long password\n' });
    assert.equal(again.code, 1);
    assert.match(again.stderr, /a user named "alice" already exists; 'holdfast user list' shows the users/);
    assert.equal(await signIn('alice', PASSWORD), 'ok');
    assert.equal(await signIn('alice', 'another long password'), 'invalid');
  });

  it('refuses a name that is not valid with exit 1, saying what a valid name is, and adds nobody', async () => {
    const bad = await holdfast(['user', 'add', 'Bad Name', '--password-stdin', '--data', data.dir], { input: `${PASSWORD}\n` });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /"Bad Name" is not a valid user name\. A user name is/);
    await withOpenStore(data.dir, async (store) => assert.deepEqual(await store.accounts.listUsers({ includeDeleted: true }), []));
  });

  it('refuses a short password with exit 1 and the rule, and adds nobody', async () => {
    const weak = await holdfast(['user', 'add', 'alice', '--password-stdin', '--data', data.dir], { input: 'short\n' });
    assert.equal(weak.code, 1);
    assert.match(weak.stderr, /use at least \d+/);
    await withOpenStore(data.dir, async (store) => assert.equal(await store.accounts.getUserByName('alice'), null));
  });

  it('refuses an empty stdin with --password-stdin', async () => {
    const empty = await holdfast(['user', 'add', 'alice', '--password-stdin', '--data', data.dir], { input: '' });
    assert.equal(empty.code, 1);
    assert.match(empty.stderr, /no password on stdin/);
  });
});

describe('holdfast user list', () => {
  it('shows every user with when they were created and deleted; --json gives the same as an array', async () => {
    await addUser('alice');
    await addUser('bob');
    assert.equal((await holdfast(['user', 'delete', 'bob', '--yes', '--data', data.dir])).code, 0);

    const table = await holdfast(['user', 'list', '--data', data.dir]);
    assert.equal(table.code, 0, table.stderr);
    const [header, ...rows] = table.stdout.trimEnd().split('\n');
    assert.match(header ?? '', /^NAME\s+CREATED\s+DELETED\s+USED\s+QUOTA$/);
    assert.equal(rows.length, 2);
    assert.match(rows[0] ?? '', /^alice\s+\d{4}-\d\d-\d\dT\S+\s+-\s+0 bytes\s+none$/);
    assert.match(rows[1] ?? '', /^bob\s+\d{4}-\d\d-\d\dT\S+\s+\d{4}-\d\d-\d\dT\S+\s+0 bytes\s+none$/);

    const json = await holdfast(['user', 'list', '--json', '--data', data.dir]);
    assert.equal(json.code, 0, json.stderr);
    const users = JSON.parse(json.stdout) as { name: string; createdAt: string; deletedAt: string | null }[];
    assert.deepEqual(
      users.map((user) => [user.name, typeof user.createdAt, user.deletedAt === null]),
      [
        ['alice', 'string', true],
        ['bob', 'string', false],
      ],
    );
  });

  it('with --json and no users prints an empty array', async () => {
    const json = await holdfast(['user', 'list', '--json', '--data', data.dir]);
    assert.equal(json.code, 0, json.stderr);
    assert.deepEqual(JSON.parse(json.stdout), []);
  });
});

describe('holdfast user passwd', () => {
  it('with --password-stdin replaces the password', async () => {
    await addUser('alice');
    const changed = await holdfast(['user', 'passwd', 'alice', '--password-stdin', '--data', data.dir], {
      input: 'a brand new passphrase\n',
    });
    assert.equal(changed.code, 0, changed.stderr);
    assert.ok(!changed.stdout.includes('a brand new passphrase') && !changed.stderr.includes('a brand new passphrase'));
    assert.equal(await signIn('alice', 'a brand new passphrase'), 'ok');
    assert.equal(await signIn('alice', PASSWORD), 'invalid');
  });

  it('for a user who does not exist fails with exit 1 and points at user list', async () => {
    const missing = await holdfast(['user', 'passwd', 'bob', '--password-stdin', '--data', data.dir], { input: `${PASSWORD}\n` });
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /no user named "bob"; 'holdfast user list' shows the users/);
  });
});

describe('holdfast user delete and restore', () => {
  it('delete without --yes and without a terminal is refused, and nothing changes', async () => {
    await addUser('alice');
    const refused = await holdfast(['user', 'delete', 'alice', '--data', data.dir]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /pass --yes/);
    assert.match(refused.stderr, /data is kept/);
    assert.equal(await signIn('alice', PASSWORD), 'ok');
    await withOpenStore(data.dir, async (store) => assert.equal((await store.accounts.getUserByName('alice'))?.deletedAt, null));
  });

  it('delete --yes stops sign-in and keeps the data; restore brings the user back with it', async () => {
    await addUser('alice');
    await withOpenStore(data.dir, async (store) => {
      const alice = await store.accounts.getUserByName('alice');
      assert.ok(alice);
      const made = await store.forUser(alice.id).createCollection({ name: 'journal', kind: 'notes' });
      assert.equal(made.kind, 'created');
    });

    const deleted = await holdfast(['user', 'delete', 'alice', '--yes', '--data', data.dir]);
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.match(deleted.stderr, /data is kept; 'holdfast user restore alice' undoes this/);
    assert.equal(await signIn('alice', PASSWORD), 'invalid');

    const deletedAgain = await holdfast(['user', 'delete', 'alice', '--yes', '--data', data.dir]);
    assert.equal(deletedAgain.code, 1);
    assert.match(deletedAgain.stderr, /user "alice" is deleted; 'holdfast user restore alice' brings them back/);

    const restored = await holdfast(['user', 'restore', 'alice', '--data', data.dir]);
    assert.equal(restored.code, 0, restored.stderr);
    assert.equal(await signIn('alice', PASSWORD), 'ok');
    await withOpenStore(data.dir, async (store) => {
      const alice = await store.accounts.getUserByName('alice');
      assert.ok(alice);
      assert.deepEqual(
        (await store.forUser(alice.id).listCollections()).map((collection) => collection.name),
        ['calendar', 'contacts', 'files', 'journal', 'tasks'],
      );
    });
  });

  it('delete and restore of a user who never existed fail with exit 1', async () => {
    const deleted = await holdfast(['user', 'delete', 'nobody', '--yes', '--data', data.dir]);
    assert.equal(deleted.code, 1);
    assert.match(deleted.stderr, /no user named "nobody"/);
    const restored = await holdfast(['user', 'restore', 'nobody', '--data', data.dir]);
    assert.equal(restored.code, 1);
    assert.match(restored.stderr, /no user named "nobody"/);
  });
});
