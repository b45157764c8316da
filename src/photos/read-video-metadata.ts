// When a video was recorded and how big it is, from its ISO base media boxes (MP4, MOV,
// 3GP: what phones record): the movie header's creation time (UTC, seconds since 1904)
// and the first visual track's size, turned by its matrix (a phone held upright records
// landscape pixels and a 90° matrix). The file is read as a stream: the media data is
// skipped, only the movie box (moov) is kept, wherever it sits.
import type { PhotoMetadata } from './read-photo-metadata.ts';

const MAX_MOOV_BYTES = 64 * 1024 * 1024;
const SECONDS_1904_TO_1970 = 2_082_844_800;

/** Reads exact byte counts from a stream of chunks. */
class ByteReader {
  private buffered: Buffer = Buffer.alloc(0);
  private readonly chunks: AsyncIterator<Uint8Array>;
  private done = false;

  constructor(source: AsyncIterable<Uint8Array>) {
    this.chunks = source[Symbol.asyncIterator]();
  }

  private async fill(bytes: number): Promise<boolean> {
    while (this.buffered.length < bytes && !this.done) {
      const next = await this.chunks.next();
      if (next.done) this.done = true;
      else this.buffered = Buffer.concat([this.buffered, Buffer.from(next.value)]);
    }
    return this.buffered.length >= bytes;
  }

  async read(bytes: number): Promise<Buffer | null> {
    if (!(await this.fill(bytes))) return null;
    const out = this.buffered.subarray(0, bytes);
    this.buffered = this.buffered.subarray(bytes);
    return out;
  }

  async skip(bytes: number): Promise<boolean> {
    let left = bytes;
    while (left > 0) {
      if (this.buffered.length === 0 && !(await this.fill(1))) return false;
      const step = Math.min(left, this.buffered.length);
      this.buffered = this.buffered.subarray(step);
      left -= step;
    }
    return true;
  }

  /** Stops reading the source early. */
  async close(): Promise<void> {
    await this.chunks.return?.();
  }
}

interface Box {
  type: string;
  body: Buffer;
}

function childBoxes(data: Buffer): Box[] {
  const boxes: Box[] = [];
  let offset = 0;
  while (offset + 8 <= data.length) {
    let size = data.readUInt32BE(offset);
    const type = data.toString('latin1', offset + 4, offset + 8);
    let header = 8;
    if (size === 1 && offset + 16 <= data.length) {
      size = Number(data.readBigUInt64BE(offset + 8));
      header = 16;
    } else if (size === 0) {
      size = data.length - offset;
    }
    if (size < header || offset + size > data.length) break;
    boxes.push({ type, body: data.subarray(offset + header, offset + size) });
    offset += size;
  }
  return boxes;
}

async function findMoov(reader: ByteReader): Promise<Buffer | null> {
  for (;;) {
    const head = await reader.read(8);
    if (!head) return null;
    let size = head.readUInt32BE(0);
    const type = head.toString('latin1', 4, 8);
    let header = 8;
    if (size === 1) {
      const large = await reader.read(8);
      if (!large) return null;
      size = Number(large.readBigUInt64BE(0));
      header = 16;
    }
    // A box that runs to the end of the file: in practice only the media data does that.
    if (size === 0) return null;
    if (size < header) return null;
    if (type === 'moov') return size - header <= MAX_MOOV_BYTES ? reader.read(size - header) : null;
    if (!(await reader.skip(size - header))) return null;
  }
}

function creationTime(mvhd: Buffer): number | null {
  if (mvhd.length < 12) return null;
  const version = mvhd.readUInt8(0);
  const seconds = version === 1 ? Number(mvhd.readBigUInt64BE(4)) : mvhd.readUInt32BE(4);
  // Zero (and anything before 1970) means the recorder did not set it.
  if (seconds <= SECONDS_1904_TO_1970) return null;
  return (seconds - SECONDS_1904_TO_1970) * 1000;
}

function trackSize(tkhd: Buffer): { width: number; height: number; turned: boolean } | null {
  const version = tkhd.readUInt8(0);
  // The matrix starts after the times, track id, duration and the reserved fields.
  const matrixAt = version === 1 ? 52 : 40;
  if (tkhd.length < matrixAt + 36 + 8) return null;
  const width = tkhd.readUInt32BE(matrixAt + 36) / 65536;
  const height = tkhd.readUInt32BE(matrixAt + 40) / 65536;
  if (width < 1 || height < 1) return null;
  // a, b of the matrix: a rotation by ±90° has a = 0 and b = ±1.
  const a = tkhd.readInt32BE(matrixAt);
  const b = tkhd.readInt32BE(matrixAt + 4);
  return { width: Math.round(width), height: Math.round(height), turned: a === 0 && b !== 0 };
}

export async function readVideoMetadata(source: AsyncIterable<Uint8Array>): Promise<Partial<PhotoMetadata>> {
  const reader = new ByteReader(source);
  let moov: Buffer | null;
  try {
    moov = await findMoov(reader);
  } finally {
    await reader.close();
  }
  if (!moov) return {};
  const boxes = childBoxes(moov);
  const mvhd = boxes.find((box) => box.type === 'mvhd');
  const at = mvhd ? creationTime(mvhd.body) : null;
  let size: { width: number; height: number; turned: boolean } | null = null;
  for (const trak of boxes.filter((box) => box.type === 'trak')) {
    const tkhd = childBoxes(trak.body).find((box) => box.type === 'tkhd');
    size = tkhd ? trackSize(tkhd.body) : null;
    if (size) break;
  }
  return {
    ...(at === null ? {} : { takenAt: new Date(at).toISOString().replace('.000Z', 'Z'), takenAtMs: at }),
    ...(size === null ? {} : size.turned ? { width: size.height, height: size.width } : { width: size.width, height: size.height }),
  };
}
