// Real JPEGs for file-tree tests, made with sharp from a seed: the same seed makes the same
// bytes, so a failure replays. Noise compresses badly, so the pixel count sets the size:
// roughly 20 to 200 KB each.
import sharp from 'sharp';
import { createRandom } from '../seeded-random.ts';

export interface GeneratedPhoto {
  /** Where it goes in the tree: "2024-03/IMG_0042.jpg". */
  path: string;
  bytes: Buffer;
}

/** Photo `index` of a library; `edit` > 0 makes another version of the same photo. */
export async function generatePhoto(seed: number, index: number, edit = 0): Promise<GeneratedPhoto> {
  const random = createRandom(seed * 1_000_003 + index * 101 + edit);
  // 180 × 135 to 560 × 420 pixels of noise: about 20 KB to 200 KB at quality 90.
  const width = 180 + Math.floor(random.next() * 380) + edit * 7;
  const height = Math.round((width * 3) / 4);
  const pixels = Buffer.alloc(width * height * 3);
  random.fill(pixels);
  const bytes = await sharp(pixels, { raw: { width, height, channels: 3 } }).jpeg({ quality: 90 }).toBuffer();
  const month = String((index % 4) + 1).padStart(2, '0');
  return { path: `2024-${month}/IMG_${String(index).padStart(4, '0')}.jpg`, bytes };
}
