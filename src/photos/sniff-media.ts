// What a file is, told from its first bytes rather than from the name or the Content-Type a
// client sent: phones upload HEIC as application/octet-stream, and a ".jpg" may be anything.
// Only the formats the library shows are recognised; everything else is not media.

export type MediaKind = 'image' | 'video';

export interface SniffedMedia {
  kind: MediaKind;
  /** The media type the bytes are, whatever the upload said. */
  mediaType: string;
}

/** How many leading bytes sniffMedia needs to decide. */
export const SNIFF_BYTES = 64;

// ISO base media file format (HEIF, AVIF, MP4, MOV, 3GP) brands, by what they make a file.
const HEIC_BRANDS = new Set(['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis', 'hevm', 'hevs']);
const AVIF_BRANDS = new Set(['avif', 'avis']);
const GENERIC_HEIF_BRANDS = new Set(['mif1', 'msf1', 'miaf']);
const QUICKTIME_BRANDS = new Set(['qt  ']);
const THREE_GP_BRANDS = /^3g[p2]/;
const MP4_BRANDS = new Set(['isom', 'iso2', 'iso3', 'iso4', 'iso5', 'iso6', 'mp41', 'mp42', 'avc1', 'dash', 'M4V ', 'M4VH', 'M4VP', 'mmp4', 'MSNV', 'f4v ', 'XAVC']);
// Major brands of the same family that are neither: audio (M4A, audiobooks), Canon raw.
const NOT_MEDIA_BRANDS = new Set(['M4A ', 'M4B ', 'M4P ', 'F4A ', 'F4B ', 'crx ']);
// Old QuickTime files start straight with one of these atoms, without an ftyp.
const QUICKTIME_ATOMS = new Set(['moov', 'mdat', 'wide', 'free', 'skip', 'pnot']);

function ascii(bytes: Uint8Array, start: number, length: number): string {
  return String.fromCharCode(...bytes.subarray(start, start + length));
}

function startsWith(bytes: Uint8Array, prefix: readonly number[], at = 0): boolean {
  return prefix.every((byte, index) => bytes[at + index] === byte);
}

function isoBrands(bytes: Uint8Array): string[] | null {
  if (bytes.length < 12 || ascii(bytes, 4, 4) !== 'ftyp') return null;
  const boxSize = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0);
  const end = Math.min(boxSize, bytes.length);
  const brands = [ascii(bytes, 8, 4)];
  for (let offset = 16; offset + 4 <= end; offset += 4) brands.push(ascii(bytes, offset, 4));
  return brands;
}

function sniffIsoMedia(brands: string[]): SniffedMedia | null {
  const has = (set: Set<string>): boolean => brands.some((brand) => set.has(brand));
  const [major = ''] = brands;
  if (NOT_MEDIA_BRANDS.has(major)) return null;
  // The major brand decides when it is specific; a generic HEIF brand defers to the
  // compatible brands (an AVIF is "mif1" + "avif", an iPhone HEIC "heic" + "mif1").
  if (HEIC_BRANDS.has(major)) return { kind: 'image', mediaType: 'image/heic' };
  if (AVIF_BRANDS.has(major)) return { kind: 'image', mediaType: 'image/avif' };
  if (QUICKTIME_BRANDS.has(major)) return { kind: 'video', mediaType: 'video/quicktime' };
  if (THREE_GP_BRANDS.test(major)) return { kind: 'video', mediaType: 'video/3gpp' };
  if (MP4_BRANDS.has(major)) return { kind: 'video', mediaType: 'video/mp4' };
  if (GENERIC_HEIF_BRANDS.has(major) || has(GENERIC_HEIF_BRANDS)) {
    if (has(AVIF_BRANDS)) return { kind: 'image', mediaType: 'image/avif' };
    if (has(HEIC_BRANDS)) return { kind: 'image', mediaType: 'image/heic' };
    return { kind: 'image', mediaType: 'image/heif' };
  }
  if (has(MP4_BRANDS)) return { kind: 'video', mediaType: 'video/mp4' };
  if (has(QUICKTIME_BRANDS)) return { kind: 'video', mediaType: 'video/quicktime' };
  // The rest of the family (unknown brands) is not a photo or video as far as we know.
  return null;
}

/** The image or video these bytes begin, or null for anything else. */
export function sniffMedia(bytes: Uint8Array): SniffedMedia | null {
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return { kind: 'image', mediaType: 'image/jpeg' };
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return { kind: 'image', mediaType: 'image/png' };
  if (bytes.length >= 12 && ascii(bytes, 0, 4) === 'RIFF') {
    const form = ascii(bytes, 8, 4);
    if (form === 'WEBP') return { kind: 'image', mediaType: 'image/webp' };
    if (form === 'AVI ') return { kind: 'video', mediaType: 'video/x-msvideo' };
    return null;
  }
  if (bytes.length >= 6 && (ascii(bytes, 0, 6) === 'GIF87a' || ascii(bytes, 0, 6) === 'GIF89a')) return { kind: 'image', mediaType: 'image/gif' };
  if (startsWith(bytes, [0x49, 0x49, 0x2a, 0x00]) || startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2a])) return { kind: 'image', mediaType: 'image/tiff' };
  if (startsWith(bytes, [0x1a, 0x45, 0xdf, 0xa3])) {
    // Matroska's EBML header names its DocType near the start: "webm" or "matroska".
    return { kind: 'video', mediaType: ascii(bytes, 0, bytes.length).includes('webm') ? 'video/webm' : 'video/x-matroska' };
  }
  const brands = isoBrands(bytes);
  if (brands) return sniffIsoMedia(brands);
  if (bytes.length >= 8 && QUICKTIME_ATOMS.has(ascii(bytes, 4, 4))) return { kind: 'video', mediaType: 'video/quicktime' };
  return null;
}

/** True for the HEIF family whose images are HEVC-coded, which sharp's own libheif cannot decode. */
export function isHevcImage(mediaType: string): boolean {
  return mediaType === 'image/heic' || mediaType === 'image/heif';
}

/** A guess from what the client said, used only for items not yet sniffed (listed as pending). */
export function looksLikeMedia(name: string, contentType: string | null): boolean {
  const type = contentType?.split(';')[0]?.trim().toLowerCase() ?? '';
  if (type.startsWith('image/') || type.startsWith('video/')) return true;
  return /\.(jpe?g|png|webp|gif|tiff?|heic|heif|avif|mp4|m4v|mov|3gp|webm|mkv|avi)$/i.test(name);
}
