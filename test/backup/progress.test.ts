// The restore's progress: a bar redrawn in place on a terminal, plain lines otherwise,
// with an estimate of the time left from the rate so far.
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { describe as describeProgress, progressOutput } from '../../src/cli/backup-progress.ts';

function capture(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  let text = '';
  stream.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
  return { stream, text: () => text };
}

test('the bar shows the share done and estimates the time left from the rate so far', () => {
  assert.equal(
    describeProgress({ phase: 'blobs', doneBytes: 25 * 1024 * 1024, totalBytes: 100 * 1024 * 1024 }, 10),
    'restoring blobs [########......................] 25% 25.0 MiB of 100.0 MiB, about 30 s left',
  );
  assert.match(describeProgress({ phase: 'metadata', doneBytes: 0, totalBytes: 10 }, 0), /0% 0 bytes of 10 bytes$/);
  assert.match(describeProgress({ phase: 'checking', doneBytes: 10, totalBytes: 10 }, 3), /checking every hash \[#{30}\] 100%/);
});

test('on a terminal the bar is redrawn in place and ends its line when done', async () => {
  const out = capture();
  const progress = progressOutput(out.stream, true, () => 0);
  progress.report({ phase: 'metadata', doneBytes: 1, totalBytes: 4 });
  progress.report({ phase: 'metadata', doneBytes: 2, totalBytes: 4 });
  progress.done();
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(out.text().split('\r').length, 3);
  assert.ok(out.text().endsWith('\n'));
  assert.equal(out.text().split('\n').length, 2);
});

test('in a pipe or a log it writes plain lines, one per phase and at most one every two seconds', async () => {
  const out = capture();
  let now = 0;
  const progress = progressOutput(out.stream, false, () => now);
  for (let i = 0; i < 10; i += 1) progress.report({ phase: 'metadata', doneBytes: i, totalBytes: 100 });
  now = 2500;
  progress.report({ phase: 'metadata', doneBytes: 50, totalBytes: 100 });
  progress.report({ phase: 'blobs', doneBytes: 60, totalBytes: 100 });
  progress.done();
  await new Promise((resolve) => setImmediate(resolve));
  const lines = out.text().trimEnd().split('\n');
  assert.equal(lines.length, 3);
  assert.ok(!out.text().includes('\r'));
});
