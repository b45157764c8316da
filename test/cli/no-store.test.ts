// Only `serve` creates a store. Every other command, pointed at an empty or missing
// directory (a typo, a disk that is not mounted), says so, exits 1 and leaves it as it was.
import assert from 'node:assert/strict';
import { readdir, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { holdfast, temporaryDirectory } from './holdfast-process.ts';

const COMMANDS: { args: string[]; input?: string }[] = [
  { args: ['user', 'add', 'alice', '--password-stdin'], input: 'correct horse battery staple\n' },
  { args: ['user', 'list'] },
  { args: ['app-password', 'create', 'alice'] },
  { args: ['token', 'list', 'alice'] },
  { args: ['status', '--json'] },
];

let temporary: { dir: string; cleanup: () => Promise<void> };
beforeEach(async () => {
  temporary = await temporaryDirectory();
});
afterEach(async () => {
  await temporary.cleanup();
});

describe('commands against a directory without a store', () => {
  for (const { args, input } of COMMANDS) {
    it(`'holdfast ${args.join(' ')}' on an empty directory exits 1, says how to make a store, and writes nothing`, async () => {
      const dir = join(temporary.dir, 'data');
      await mkdir(dir);
      const result = await holdfast([...args, '--data', dir], input === undefined ? {} : { input });
      assert.equal(result.code, 1);
      assert.equal(result.stdout, '');
      assert.ok(
        result.stderr.includes(`no Holdfast store in ${dir}`) &&
          result.stderr.includes(`start the server once with 'holdfast serve --data ${dir}' to create one, or pass --data`),
        result.stderr,
      );
      assert.deepEqual(await readdir(dir), []);
    });
  }

  it('a missing directory is not created', async () => {
    const dir = join(temporary.dir, 'not-mounted');
    const result = await holdfast(['user', 'list', '--data', dir]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /no Holdfast store in/);
    assert.deepEqual(await readdir(temporary.dir), []);
  });

  it('a directory of other files is refused and left alone', async () => {
    const dir = join(temporary.dir, 'photos');
    await mkdir(dir);
    await writeFile(join(dir, 'holiday.jpg'), 'not a store');
    const result = await holdfast(['status', '--data', dir]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /holds no Holdfast store/);
    assert.deepEqual(await readdir(dir), ['holiday.jpg']);
  });
});
