// Makes a photo's preview and thumbnail with sharp: turned upright by its EXIF
// orientation, fitted inside the variant's size, transparency laid on white, as JPEG
// (what every phone and browser shows). A truncated or corrupt file throws: sharp's
// default (failOn 'warning') refuses a JPEG that ends early rather than show half of it.
import sharp from 'sharp';
import { VARIANT_SIZE, type Variant } from './derived-files.ts';

async function fitted(input: Buffer, variant: Variant): Promise<Buffer> {
  const size = VARIANT_SIZE[variant];
  return sharp(input)
    .rotate()
    .resize(size, size, { fit: 'inside', withoutEnlargement: true })
    .flatten({ background: '#ffffff' })
    .jpeg({ quality: variant === 'thumbnail' ? 75 : 82 })
    .toBuffer();
}

export async function renderVariants(original: Buffer): Promise<Record<Variant, Buffer>> {
  const preview = await fitted(original, 'preview');
  // From the preview, not the original: a fraction of the work, and the same picture.
  const thumbnail = await fitted(preview, 'thumbnail');
  return { preview, thumbnail };
}
