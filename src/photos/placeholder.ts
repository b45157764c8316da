// What a thumbnail or preview request gets when there is no picture to show: an SVG that
// says why, so a person looking at the grid knows the original is safe and what is missing.
import { VARIANT_SIZE, type Variant } from './derived-files.ts';

export type PlaceholderReason = 'heic' | 'video' | 'failed' | 'unsupported';

const MESSAGES: Record<PlaceholderReason, [string, string]> = {
  heic: ['No preview for HEIC yet', 'The original is stored as uploaded'],
  video: ['Video', 'No preview yet; the original is stored'],
  failed: ['This image could not be read', 'The original is stored as uploaded'],
  unsupported: ['No preview for this format', 'The original is stored as uploaded'],
};

const escapeXml = (value: string): string => value.replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`);

export function placeholderSvg(reason: PlaceholderReason, variant: Variant): Buffer {
  const size = VARIANT_SIZE[variant];
  const [title, detail] = MESSAGES[reason];
  // Drawn on a 256-unit square and scaled by the viewBox, so the text fits at either size.
  return Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}" viewBox="0 0 256 256" role="img" aria-label="${escapeXml(title)}">` +
      '<rect width="256" height="256" fill="#e8e8e8"/>' +
      '<rect x="88" y="70" width="80" height="60" rx="6" fill="none" stroke="#888" stroke-width="6"/>' +
      '<circle cx="128" cy="100" r="14" fill="none" stroke="#888" stroke-width="6"/>' +
      `<text x="128" y="168" font-family="sans-serif" font-size="15" text-anchor="middle" fill="#333">${escapeXml(title)}</text>` +
      `<text x="128" y="190" font-family="sans-serif" font-size="11" text-anchor="middle" fill="#555">${escapeXml(detail)}</text>` +
      '</svg>',
    'utf8',
  );
}
