// The SDK's Server-Sent Events reader, fed the way a network feeds it: in chunks that split
// lines, line endings and UTF-8 characters anywhere.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readEventStream, type StreamEvent } from '../../client/event-stream.ts';

function streamOf(chunks: (string | Uint8Array)[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(typeof chunk === 'string' ? encoder.encode(chunk) : chunk);
      controller.close();
    },
  });
}

async function collect(chunks: (string | Uint8Array)[]): Promise<StreamEvent[]> {
  const events: StreamEvent[] = [];
  for await (const event of readEventStream(streamOf(chunks))) events.push(event);
  return events;
}

describe('event stream reader', () => {
  it('reads the server’s events, skips heartbeats and keeps the last id', async () => {
    const events = await collect([
      'event: hello\ndata: {"storeId":"s","generation":1}\n\n',
      ': heartbeat\n\n',
      'event: change\nid: 121\ndata: {"sequence":121}\n\n',
      'event: shutdown\ndata: {}\n\n',
    ]);
    assert.deepEqual(events, [
      { event: 'hello', data: '{"storeId":"s","generation":1}', id: null },
      { event: 'change', data: '{"sequence":121}', id: '121' },
      { event: 'shutdown', data: '{}', id: '121' },
    ]);
  });

  it('reads events whose lines, CRLF endings and UTF-8 characters are split across chunks', async () => {
    const bytes = new TextEncoder().encode('event: change\r\ndata: Zoë\r\ndata: two\r\n\r\nevent: x\rdata: y\r\r');
    const events = await collect(Array.from(bytes, (byte) => new Uint8Array([byte])));
    assert.deepEqual(events, [
      { event: 'change', data: 'Zoë\ntwo', id: null },
      { event: 'x', data: 'y', id: null },
    ]);
  });

  it('dispatches nothing for an event without data, or cut off before its blank line', async () => {
    assert.deepEqual(await collect(['event: lonely\n\n', 'event: cut\ndata: half']), []);
  });
});
