// Live notification: Server-Sent Events tell a device its user's changes moved on.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startHarness, type Harness } from '../server/harness.ts';
import { newRevision, syncClient } from './sync-client.ts';

interface SseEvent {
  event: string;
  data: Record<string, unknown>;
}

/** Reads an event stream, handing each event to `waiters` in turn. */
function openEvents(url: string, authorization: string) {
  const controller = new AbortController();
  const events: SseEvent[] = [];
  let comments = 0;
  let notify: () => void = () => undefined;
  let ended = false;
  const done = (async () => {
    const response = await fetch(url, { headers: { authorization }, signal: controller.signal });
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/event-stream/);
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          if (block.startsWith(':')) comments += 1;
          else {
            const event = /^event: (.*)$/m.exec(block)?.[1] ?? 'message';
            const data = JSON.parse(/^data: (.*)$/m.exec(block)?.[1] ?? '{}') as Record<string, unknown>;
            events.push({ event, data });
          }
          notify();
        }
      }
    } catch (error) {
      if (!controller.signal.aborted) throw error;
    }
    ended = true;
    notify();
  })();
  const next = async (predicate: (event: SseEvent) => boolean, what: string): Promise<SseEvent> => {
    const deadline = Date.now() + 5000;
    for (;;) {
      const found = events.find(predicate);
      if (found) return found;
      if (ended) throw new Error(`the stream ended before ${what}`);
      if (Date.now() > deadline) throw new Error(`no ${what} within 5 s`);
      await new Promise<void>((resolve) => {
        notify = resolve;
        setTimeout(resolve, 100);
      });
    }
  };
  return { events, next, done, close: () => controller.abort(), comments: () => comments, ended: () => ended };
}

describe('sync events', () => {
  let server: Harness;
  before(async () => {
    server = await startHarness();
  });
  after(() => server.close());

  test('a write by another client arrives as a change event with the new sequence; another user\'s writes do not', async () => {
    const stream = openEvents(`${server.url}/api/v1/sync/events`, server.bearer.alice);
    const hello = await stream.next((e) => e.event === 'hello', 'hello');
    assert.equal(hello.data.storeId, (await server.store.identity()).storeId);

    await syncClient(server.url, server.bearer.bob).push([newRevision({ item: 'bob.vcf', text: 'BEGIN:VCARD\r\nVERSION:4.0\r\nUID:b\r\nFN:Bob\r\nEND:VCARD\r\n' })]);
    // Alice's own write, from another device (over CardDAV's sibling, the REST API).
    const put = await fetch(`${server.url}/api/v1/collections/contacts/items/ada.vcf`, {
      method: 'PUT',
      headers: { authorization: server.appPassword.alice, 'content-type': 'text/vcard' },
      body: 'BEGIN:VCARD\r\nVERSION:4.0\r\nUID:a\r\nFN:Ada\r\nEND:VCARD\r\n',
    });
    assert.equal(put.status, 201);
    const sequence = Number(((await put.json()) as { revision: { seq: number } }).revision.seq);
    const change = await stream.next((e) => e.event === 'change', 'change event');
    assert.equal(change.data.sequence, sequence);
    assert.equal(stream.events.filter((e) => e.event === 'change').length, 1, 'Bob\'s write was not announced to Alice');
    stream.close();
    await stream.done;
  });
});

describe('sync events and shutdown', () => {
  test('closing the server ends open event streams with a shutdown event instead of waiting for them', async () => {
    const server = await startHarness();
    const stream = openEvents(`${server.url}/api/v1/sync/events`, server.bearer.alice);
    await stream.next((e) => e.event === 'hello', 'hello');
    // Without the stream being ended, close would wait for it forever.
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      server.close().then(() => 'closed'),
      new Promise<string>((resolve) => {
        timer = setTimeout(() => resolve('still open'), 10_000);
      }),
    ]);
    clearTimeout(timer);
    assert.equal(outcome, 'closed', 'the server did not close while an event stream was open');
    await stream.done;
    assert.ok(stream.ended());
    assert.ok(stream.events.some((e) => e.event === 'shutdown'));
  });

  test('an idle stream gets heartbeats', async () => {
    const server = await startHarness({ syncHeartbeatMs: 50 });
    try {
      const stream = openEvents(`${server.url}/api/v1/sync/events`, server.bearer.alice);
      await stream.next((e) => e.event === 'hello', 'hello');
      const deadline = Date.now() + 5000;
      while (stream.comments() < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      assert.ok(stream.comments() >= 2, `only ${stream.comments()} heartbeats`);
      stream.close();
      await stream.done;
    } finally {
      await server.close();
    }
  });
});
