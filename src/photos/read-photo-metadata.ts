// What a photo says about itself: when it was taken (with the camera's UTC offset when it
// recorded one), its size as shown (after the EXIF orientation), the camera, and where.
// EXIF is read with exifr; sharp supplies the EXIF block of formats exifr does not parse
// (WebP, AVIF) and the pixel size of everything it can open. A damaged file yields what
// could be read: a truncated JPEG still has its EXIF at the front.
// exifr ships a CommonJS bundle whose named exports Node cannot see: take the whole object.
import exifr from 'exifr';
import sharp, { type Metadata } from 'sharp';

export interface PhotoMetadata {
  takenAt: string | null;
  takenAtMs: number | null;
  width: number | null;
  height: number | null;
  orientation: number | null;
  make: string | null;
  model: string | null;
  latitude: number | null;
  longitude: number | null;
}

const EXIF_OPTIONS = {
  tiff: true,
  exif: true,
  gps: true,
  ifd1: false,
  xmp: false,
  icc: false,
  iptc: false,
  jfif: false,
  ihdr: true,
  // Raw values: a capture time as the camera wrote it ("2024:05:01 10:20:30"), not a Date
  // placed in this server's time zone; the orientation as its number.
  reviveValues: false,
  translateValues: false,
} as const;

type ExifFields = Record<string, unknown>;

const EXIF_HEADER = Buffer.from('Exif\0\0', 'latin1');

async function exifFrom(bytes: Buffer, sharpExif: Buffer | undefined): Promise<ExifFields> {
  // exifr's own parsers first (JPEG, PNG, HEIC, TIFF); then the block sharp found.
  const attempts: Buffer[] = [bytes];
  if (sharpExif && sharpExif.length > 0) {
    attempts.push(sharpExif.subarray(0, EXIF_HEADER.length).equals(EXIF_HEADER) ? sharpExif.subarray(EXIF_HEADER.length) : sharpExif);
  }
  for (const input of attempts) {
    try {
      const fields = (await exifr.parse(input, EXIF_OPTIONS)) as ExifFields | undefined;
      if (fields && Object.keys(fields).some((key) => key !== 'errors')) return fields;
    } catch {
      // "Unknown file format" and friends: try the next source, or go without EXIF.
    }
  }
  return {};
}

const text = (value: unknown): string | null => {
  if (typeof value !== 'string') return null;
  const trimmed = value.replace(/\0+$/, '').trim();
  return trimmed === '' ? null : trimmed;
};

const positiveInteger = (value: unknown): number | null => (typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : null);

/** "2024:05:01 10:20:30" and "+02:00" to an ISO 8601 time and its sort key. */
export function captureTime(dateTime: unknown, offset: unknown): { takenAt: string; takenAtMs: number } | null {
  const raw = text(dateTime);
  const match = raw === null ? null : /^(\d{4})[:-](\d{2})[:-](\d{2})[ T](\d{2}):(\d{2}):(\d{2})/.exec(raw);
  if (!match) return null;
  const [, year, month, day, hour, minute, second] = match.map(Number) as [number, number, number, number, number, number, number];
  if (year < 1800 || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return null;
  const local = `${match[1]}-${match[2]}-${match[3]}T${match[4]}:${match[5]}:${match[6]}`;
  const wallClockMs = Date.UTC(year, month - 1, day, hour, minute, second);
  const zone = text(offset);
  const zoneMatch = zone === null ? null : /^([+-])(\d{2}):(\d{2})$/.exec(zone);
  if (!zoneMatch) return { takenAt: local, takenAtMs: wallClockMs };
  const sign = zoneMatch[1] === '-' ? -1 : 1;
  const offsetMs = sign * (Number(zoneMatch[2]) * 60 + Number(zoneMatch[3])) * 60_000;
  return { takenAt: `${local}${zone}`, takenAtMs: wallClockMs - offsetMs };
}

function coordinate(value: unknown, limit: number): number | null {
  return typeof value === 'number' && Number.isFinite(value) && Math.abs(value) <= limit ? value : null;
}

export async function readPhotoMetadata(bytes: Buffer): Promise<PhotoMetadata> {
  let pixels: Metadata | null = null;
  try {
    pixels = await sharp(bytes).metadata();
  } catch {
    // A format sharp cannot open here (HEIC with HEVC) or a damaged header: EXIF may still say.
  }
  const exif = await exifFrom(bytes, pixels?.exif);
  const time =
    captureTime(exif.DateTimeOriginal, exif.OffsetTimeOriginal) ??
    captureTime(exif.CreateDate, exif.OffsetTimeDigitized) ??
    null;
  const orientation = positiveInteger(exif.Orientation) ?? positiveInteger(pixels?.orientation);
  const turned = orientation !== null && orientation >= 5 && orientation <= 8;

  let width = positiveInteger(pixels?.autoOrient?.width);
  let height = positiveInteger(pixels?.autoOrient?.height);
  if (width === null || height === null) {
    const rawWidth = positiveInteger(exif.ExifImageWidth) ?? positiveInteger(exif.ImageWidth);
    const rawHeight = positiveInteger(exif.ExifImageHeight) ?? positiveInteger(exif.ImageHeight);
    [width, height] = turned ? [rawHeight, rawWidth] : [rawWidth, rawHeight];
  }

  const latitude = coordinate(exif.latitude, 90);
  const longitude = coordinate(exif.longitude, 180);
  return {
    takenAt: time?.takenAt ?? null,
    takenAtMs: time?.takenAtMs ?? null,
    width,
    height,
    orientation,
    make: text(exif.Make),
    model: text(exif.Model),
    latitude: latitude !== null && longitude !== null ? latitude : null,
    longitude: latitude !== null && longitude !== null ? longitude : null,
  };
}
