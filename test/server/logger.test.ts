import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLogger } from '../../src/server/logger.ts';

test('the logger redacts credential headers and any field named like a secret, at any usual depth', () => {
  const lines: string[] = [];
  const log = createLogger('info', (line) => lines.push(line));
  log.info(
    {
      req: { headers: { authorization: 'Basic c2VjcmV0', cookie: 'session=abc', 'proxy-authorization': 'Basic eHl6' } },
      password: 'hunter2-hunter2',
      user: { token: 'hf_tok_secret', name: 'alice' },
      result: { credential: { secret: 'app-secret-value' } },
    },
    'something happened',
  );
  const [line] = lines;
  assert.ok(line);
  for (const secret of ['c2VjcmV0', 'session=abc', 'eHl6', 'hunter2-hunter2', 'hf_tok_secret', 'app-secret-value']) {
    assert.ok(!line.includes(secret), `logged: ${secret}`);
  }
  const entry = JSON.parse(line) as { level: string; user: { name: string } };
  assert.equal(entry.level, 'info');
  assert.equal(entry.user.name, 'alice');
});
