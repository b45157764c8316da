// Server-Sent Events read from a fetch response's body, a chunk at a time, so the SDK follows
// GET /api/v1/sync/events the same way in a browser and on Node (EventSource cannot send an
// Authorization header, and Node has none). The parsing follows the HTML standard's
// "event stream interpretation": lines end in CRLF, LF or CR; a blank line dispatches; a
// line starting with ":" is a comment (the server's heartbeat).

export interface StreamEvent {
  event: string;
  data: string;
  id: string | null;
}

/** Yields each event of the stream until it ends; `onBytes` hears of every chunk (heartbeats too). */
export async function* readEventStream(body: ReadableStream<Uint8Array>, onBytes: () => void = () => {}): AsyncGenerator<StreamEvent> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let event = '';
  let data: string[] = [];
  let id: string | null = null;
  let afterCR = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      onBytes();
      buffer += decoder.decode(value, { stream: true });
      // A line that ended in CR at the end of the last chunk: an LF starting this one is its CRLF's second half.
      if (afterCR && buffer !== '') {
        if (buffer.startsWith('\n')) buffer = buffer.slice(1);
        afterCR = false;
      }
      for (;;) {
        const end = buffer.search(/\r\n|\n|\r/);
        if (end === -1) break;
        const line = buffer.slice(0, end);
        const crlf = buffer.startsWith('\r\n', end);
        if (!crlf && buffer[end] === '\r' && end === buffer.length - 1) afterCR = true;
        buffer = buffer.slice(end + (crlf ? 2 : 1));
        if (line === '') {
          if (data.length > 0) yield { event: event || 'message', data: data.join('\n'), id };
          event = '';
          data = [];
          continue;
        }
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon === -1 ? line : line.slice(0, colon);
        let text = colon === -1 ? '' : line.slice(colon + 1);
        if (text.startsWith(' ')) text = text.slice(1);
        if (field === 'event') event = text;
        else if (field === 'data') data.push(text);
        else if (field === 'id') id = text;
      }
    }
  } finally {
    // Leaving early (the caller stopped, or a read failed) must not leave the body open.
    await reader.cancel().catch(() => undefined);
  }
}
