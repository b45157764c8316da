// The photos the tests upload, made here rather than downloaded: real JPEG, PNG, WebP and
// AVIF files encoded by sharp with real EXIF blocks (capture time, camera, GPS), a HEIC
// container as an iPhone writes it (ftyp "heic", an HEVC image item, an Exif item) whose
// image data no decoder here can read, an MP4 header, and a JPEG cut in half.
import sharp, { type Sharp } from 'sharp';

export interface PhotoSpec {
  width: number;
  height: number;
  color: { r: number; g: number; b: number };
  /** "YYYY:MM:DD HH:MM:SS", as cameras write it. */
  takenAt?: string;
  offset?: string;
  make?: string;
  model?: string;
  /** Degrees, minutes, seconds as EXIF rationals, e.g. "52/1 31/1 1200/100". */
  gps?: { latitude: string; latitudeRef: 'N' | 'S'; longitude: string; longitudeRef: 'E' | 'W' };
  orientation?: number;
}

function exifOf(spec: PhotoSpec): Record<string, Record<string, string>> {
  const ifd0: Record<string, string> = {};
  const exif: Record<string, string> = {};
  const gps: Record<string, string> = {};
  if (spec.make) ifd0.Make = spec.make;
  if (spec.model) ifd0.Model = spec.model;
  if (spec.takenAt) exif.DateTimeOriginal = spec.takenAt;
  if (spec.offset) exif.OffsetTimeOriginal = spec.offset;
  if (spec.gps) {
    gps.GPSLatitudeRef = spec.gps.latitudeRef;
    gps.GPSLatitude = spec.gps.latitude;
    gps.GPSLongitudeRef = spec.gps.longitudeRef;
    gps.GPSLongitude = spec.gps.longitude;
  }
  return { IFD0: ifd0, IFD2: exif, IFD3: gps };
}

function canvas(spec: PhotoSpec): Sharp {
  // Two colours, so a wrong rotation or crop would show in the pixels.
  const half = Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${spec.width}" height="${spec.height}"><rect width="${spec.width}" height="${spec.height}" fill="rgb(${spec.color.r},${spec.color.g},${spec.color.b})"/><rect width="${Math.ceil(spec.width / 2)}" height="${spec.height}" fill="#ffffff"/></svg>`,
  );
  return sharp(half);
}

function withMetadata(image: Sharp, spec: PhotoSpec): Sharp {
  const withOrientation = spec.orientation ? image.withMetadata({ orientation: spec.orientation }) : image;
  return withOrientation.withExif(exifOf(spec));
}

export const jpeg = (spec: PhotoSpec): Promise<Buffer> => withMetadata(canvas(spec).jpeg({ quality: 85 }), spec).toBuffer();
export const png = (spec: PhotoSpec): Promise<Buffer> => withMetadata(canvas(spec).png(), spec).toBuffer();
export const webp = (spec: PhotoSpec): Promise<Buffer> => withMetadata(canvas(spec).webp({ quality: 80 }), spec).toBuffer();
export const avif = (spec: PhotoSpec): Promise<Buffer> => withMetadata(canvas(spec).avif({ quality: 50, effort: 0 }), spec).toBuffer();

/** The first half of a JPEG: its EXIF survives, its picture does not. */
export async function truncatedJpeg(spec: PhotoSpec): Promise<Buffer> {
  const whole = await jpeg(spec);
  return whole.subarray(0, Math.floor(whole.length / 2));
}

const u8 = (n: number): Buffer => Buffer.from([n]);
const u16 = (n: number): Buffer => {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
};
const u32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};
const box = (type: string, ...payload: Buffer[]): Buffer => {
  const body = Buffer.concat(payload);
  return Buffer.concat([u32(8 + body.length), Buffer.from(type, 'latin1'), body]);
};
const fullBox = (type: string, version: number, ...payload: Buffer[]): Buffer => box(type, u8(version), Buffer.alloc(3), ...payload);

/**
 * A HEIF file laid out as an iPhone's: ftyp "heic" (compatible mif1, heic), a meta box
 * with a primary hvc1 image item and an Exif item, and an mdat holding both. The HEVC
 * bitstream is not a real one: nothing on this server could decode it anyway, which is
 * the case under test; the Exif item is real and readable.
 */
export async function heic(spec: PhotoSpec): Promise<Buffer> {
  // The Exif block sharp writes starts "Exif\0\0"; in HEIF it is preceded by the offset to the TIFF header.
  const exifBlock = (await sharp({ create: { width: 8, height: 8, channels: 3, background: '#000' } }).jpeg().withExif(exifOf(spec)).toBuffer().then((b) => sharp(b).metadata())).exif;
  if (!exifBlock) throw new Error('sharp wrote no EXIF');
  const exifItem = Buffer.concat([u32(6), exifBlock]);
  const hevcData = Buffer.concat([u32(12), Buffer.from('not hevc data', 'latin1').subarray(0, 12)]);

  const ftyp = box('ftyp', Buffer.from('heic', 'latin1'), u32(0), Buffer.from('mif1heic', 'latin1'));
  const meta = (imageOffset: number, exifOffset: number): Buffer =>
    fullBox(
      'meta',
      0,
      fullBox('hdlr', 0, u32(0), Buffer.from('pict', 'latin1'), Buffer.alloc(12), u8(0)),
      fullBox('pitm', 0, u16(1)),
      fullBox(
        'iinf',
        0,
        u16(2),
        fullBox('infe', 2, u16(1), u16(0), Buffer.from('hvc1', 'latin1'), u8(0)),
        fullBox('infe', 2, u16(2), u16(0), Buffer.from('Exif', 'latin1'), u8(0)),
      ),
      fullBox(
        'iloc',
        0,
        u8(0x44), // offset and length sizes: 4 bytes each
        u8(0x00), // no base offset, no index
        u16(2),
        u16(1), u16(0), u16(1), u32(imageOffset), u32(hevcData.length),
        u16(2), u16(0), u16(1), u32(exifOffset), u32(exifItem.length),
      ),
      box(
        'iprp',
        box('ipco', box('hvcC', Buffer.alloc(23)), fullBox('ispe', 0, u32(spec.width), u32(spec.height))),
        fullBox('ipma', 0, u32(1), u16(1), u8(2), u8(0x81), u8(0x02)),
      ),
    );
  const headerLength = ftyp.length + meta(0, 0).length + 8;
  const mdat = box('mdat', hevcData, exifItem);
  return Buffer.concat([ftyp, meta(headerLength, headerLength + hevcData.length), mdat]);
}

const i32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
};

function matrix(turned: boolean): Buffer {
  const one = 0x10000;
  const values = turned ? [0, one, 0, -one, 0, 0, 0, 0, 0x40000000] : [one, 0, 0, 0, one, 0, 0, 0, 0x40000000];
  return Buffer.concat(values.map(i32));
}

export interface VideoSpec {
  /** When the recording started (the movie header keeps whole seconds, UTC). */
  recordedAt?: Date;
  width: number;
  height: number;
  /** Recorded with the phone upright: landscape pixels and a 90° matrix, as iPhones do. */
  turned?: boolean;
}

/**
 * An MP4 laid out as phones record it when they write the movie box last: ftyp (isom),
 * the media data, then moov with the movie header (mvhd: creation time) and one video
 * track header (tkhd: size and matrix). The frames are not real ones.
 */
export function mp4(spec: VideoSpec = { width: 1920, height: 1080 }): Buffer {
  const created = spec.recordedAt ? Math.floor(spec.recordedAt.getTime() / 1000) + 2_082_844_800 : 0;
  const ftyp = box('ftyp', Buffer.from('isom', 'latin1'), u32(512), Buffer.from('isomiso2avc1mp41', 'latin1'));
  const mvhd = fullBox('mvhd', 0, u32(created), u32(created), u32(1000), u32(5000), u32(0x10000), u16(0x100), Buffer.alloc(10), matrix(false), Buffer.alloc(24), u32(2));
  const tkhd = fullBox(
    'tkhd',
    0,
    u32(created), u32(created), u32(1), u32(0), u32(5000), Buffer.alloc(8),
    u16(0), u16(0), u16(0), u16(0),
    matrix(spec.turned ?? false),
    u32(spec.width * 0x10000), u32(spec.height * 0x10000),
  );
  const moov = box('moov', mvhd, box('trak', tkhd));
  return Buffer.concat([ftyp, box('free'), box('mdat', Buffer.alloc(256 * 1024, 7)), moov]);
}
