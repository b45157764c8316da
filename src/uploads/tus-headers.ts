// Reads the tus 1.0.0 request headers strictly: a header that is malformed is refused with
// a message that names it, before anything is written. Values are never guessed at.
import type { IncomingHttpHeaders } from 'node:http';
import { nameProblem } from '../protocols/rest/names.ts';
import { TusError } from './tus-errors.ts';

export const TUS_VERSION = '1.0.0';
export const CHECKSUM_ALGORITHMS = { sha1: 20, sha256: 32 } as const;
export type ChecksumAlgorithm = keyof typeof CHECKSUM_ALGORITHMS;
export const OFFSET_OCTET_STREAM = 'application/offset+octet-stream';

const MAX_PATH_DEPTH = 32;
const SHA256_HEX = /^[0-9a-f]{64}$/;
// RFC 9110 token "/" token, then optional parameters.
const MEDIA_TYPE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+\/[!#$%&'*+.^_`|~0-9A-Za-z-]+(\s*;[\u0020-\u007e]*)?$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const METADATA_KEY = /^[\u0021-\u002b\u002d-\u007e]+$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** "upload-length" → "Upload-Length", as the spec and client docs write it. */
const display = (name: string) => name.replace(/(^|-)([a-z])/g, (_, dash: string, letter: string) => dash + letter.toUpperCase());

function single(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  if (Array.isArray(value)) throw new TusError('bad-upload-request', `The ${display(name)} header was sent more than once; send it once.`);
  return value;
}

/** Every request but OPTIONS names the protocol version it speaks (tus core). */
export function checkTusResumable(headers: IncomingHttpHeaders): void {
  const version = single(headers, 'tus-resumable');
  if (version === TUS_VERSION) return;
  const said = version === undefined ? 'does not send Tus-Resumable' : `asks for tus version "${version}"`;
  throw new TusError('unsupported-tus-version', `The request ${said}; this server speaks tus ${TUS_VERSION}: send "Tus-Resumable: ${TUS_VERSION}".`, {
    'tus-version': TUS_VERSION,
  });
}

function byteCount(headers: IncomingHttpHeaders, name: string): number {
  const text = single(headers, name);
  if (text === undefined) throw new TusError('bad-upload-request', `The ${display(name)} header is missing; send it as a whole number of bytes.`);
  // At most 15 digits: every such number is exact in a double.
  if (!/^\d{1,15}$/.test(text)) throw new TusError('bad-upload-request', `The ${display(name)} header "${text.slice(0, 40)}" is not a whole number of bytes.`);
  return Number(text);
}

export function uploadLength(headers: IncomingHttpHeaders, maxUploadBytes: number): number {
  if (single(headers, 'upload-defer-length') !== undefined) {
    throw new TusError('bad-upload-request', 'Upload-Defer-Length is not supported: send Upload-Length with the size of the whole file.');
  }
  const length = byteCount(headers, 'upload-length');
  if (length > maxUploadBytes) {
    throw new TusError('upload-too-large', `The file is ${length} bytes; this server takes uploads of at most ${maxUploadBytes} bytes (Tus-Max-Size, the maxUploadBytes setting). Nothing was stored.`);
  }
  return length;
}

export function uploadOffset(headers: IncomingHttpHeaders): number {
  return byteCount(headers, 'upload-offset');
}

/** A declared Content-Length, if any (the body may also arrive chunked). */
export function contentLength(headers: IncomingHttpHeaders): number | undefined {
  return headers['content-length'] === undefined ? undefined : byteCount(headers, 'content-length');
}

export function checkChunkMediaType(headers: IncomingHttpHeaders): void {
  const type = single(headers, 'content-type')?.split(';')[0]?.trim().toLowerCase();
  if (type !== OFFSET_OCTET_STREAM) {
    throw new TusError('wrong-upload-media-type', `The bytes of an upload are sent with "Content-Type: ${OFFSET_OCTET_STREAM}".`);
  }
}

export interface ChunkChecksum {
  algorithm: ChecksumAlgorithm;
  digest: Buffer;
}

/** The checksum extension's Upload-Checksum: "<algorithm> <base64 digest>" of this request's bytes. */
export function uploadChecksum(headers: IncomingHttpHeaders): ChunkChecksum | undefined {
  const text = single(headers, 'upload-checksum');
  if (text === undefined) return undefined;
  const match = /^([a-z0-9-]+) (\S+)$/.exec(text.trim());
  if (!match) throw new TusError('bad-upload-request', 'The Upload-Checksum header is not "<algorithm> <base64 digest>".');
  const algorithm = match[1] ?? '';
  const encoded = match[2] ?? '';
  if (!(algorithm in CHECKSUM_ALGORITHMS)) {
    throw new TusError('bad-upload-request', `The checksum algorithm "${algorithm}" is not supported; use ${Object.keys(CHECKSUM_ALGORITHMS).join(' or ')}.`);
  }
  const size = CHECKSUM_ALGORITHMS[algorithm as ChecksumAlgorithm];
  const digest = BASE64.test(encoded) ? Buffer.from(encoded, 'base64') : undefined;
  if (digest?.length !== size) throw new TusError('bad-upload-request', `The ${algorithm} digest in Upload-Checksum is not ${size} bytes of base64.`);
  return { algorithm: algorithm as ChecksumAlgorithm, digest };
}

/** Upload-Metadata: comma-separated "key base64value" pairs, keys unique. */
export function uploadMetadata(headers: IncomingHttpHeaders): Map<string, Buffer> {
  const text = single(headers, 'upload-metadata');
  const pairs = new Map<string, Buffer>();
  if (text === undefined || text.trim() === '') return pairs;
  for (const part of text.split(',')) {
    const [key, value, ...rest] = part.trim().split(' ');
    if (key === undefined || !METADATA_KEY.test(key) || rest.length > 0) {
      throw new TusError('bad-upload-request', `Upload-Metadata is not a list of "key base64value" pairs (at "${part.trim().slice(0, 40)}").`);
    }
    if (pairs.has(key)) throw new TusError('bad-upload-request', `Upload-Metadata names "${key}" twice.`);
    if (value !== undefined && !BASE64.test(value)) throw new TusError('bad-upload-request', `The Upload-Metadata value of "${key}" is not base64.`);
    pairs.set(key, Buffer.from(value ?? '', 'base64'));
  }
  return pairs;
}

function text(metadata: Map<string, Buffer>, key: string): string | undefined {
  const bytes = metadata.get(key);
  if (bytes === undefined) return undefined;
  try {
    return utf8.decode(bytes);
  } catch {
    throw new TusError('bad-upload-request', `The Upload-Metadata value of "${key}" is not valid UTF-8.`);
  }
}

/** Where the finished file goes, what it is, and the hash the client says it has. */
export interface UploadTarget {
  /** The collection's path ("files/Camera") and the file's name in it ("IMG_0001.HEIC"). */
  collection: string;
  name: string;
  contentType: string;
  /** The whole file's SHA-256, lowercase hex, if the client gave it. */
  sha256: string | null;
}

export function uploadTarget(metadata: Map<string, Buffer>): UploadTarget {
  const path = text(metadata, 'path');
  if (path === undefined) {
    throw new TusError('bad-upload-request', 'Upload-Metadata needs "path": the folder and file name the upload becomes, e.g. "files/Camera/IMG_0001.HEIC".');
  }
  const segments = path.split('/');
  if (segments.length < 2 || segments.length > MAX_PATH_DEPTH) {
    throw new TusError('bad-upload-request', `The path "${path.slice(0, 200)}" must name a folder and a file in it ("files/IMG_0001.HEIC"), at most ${MAX_PATH_DEPTH} levels deep.`);
  }
  for (const segment of segments) {
    const problem = nameProblem(segment);
    if (problem) throw new TusError('bad-upload-request', `The path "${path.slice(0, 200)}" is not usable: the name "${segment.slice(0, 60)}" ${problem.replace(/^it /, '')}.`);
  }
  // Uppy and tus-js-client's examples send "filetype"; Holdfast's own clients "contentType".
  const contentType = text(metadata, 'contentType') ?? text(metadata, 'filetype') ?? 'application/octet-stream';
  if (contentType.length > 255 || !MEDIA_TYPE.test(contentType)) {
    throw new TusError('bad-upload-request', `The content type "${contentType.slice(0, 60)}" is not a media type such as "image/heic".`);
  }
  const sha256 = text(metadata, 'sha256') ?? null;
  if (sha256 !== null && !SHA256_HEX.test(sha256)) {
    throw new TusError('bad-upload-request', 'The "sha256" in Upload-Metadata must be the file\'s SHA-256 as 64 lowercase hex digits.');
  }
  return { collection: segments.slice(0, -1).join('/'), name: segments.at(-1) ?? '', contentType, sha256 };
}
