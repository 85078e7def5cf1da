// data: URLs (RFC 2397) carrying a file inline, base64-encoded: how the dev phone hands a picture
// to the local provider. Nothing is fetched: the bytes are in the link.

export interface DataUrlFile {
  /** Lower-case media type without parameters ("image/png"). */
  contentType: string;
  bytes: Buffer;
}

const DATA_URL = /^data:([a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+)((?:;[a-z0-9_.+-]+=[^;,]*)*);base64,([A-Za-z0-9+/=\s_-]*)$/i;

/** The file in a base64 data: URL, or null when `url` is not one (plain-text data: URLs included). */
export function parseDataUrl(url: string): DataUrlFile | null {
  const m = DATA_URL.exec(url);
  if (!m) return null;
  return { contentType: m[1]!.toLowerCase(), bytes: Buffer.from(m[3]!, 'base64') };
}

/** A data: URL for a file (the multipart route's uploads take the same path as JSON pictures). */
export function toDataUrl(contentType: string, bytes: Buffer): string {
  return `data:${contentType};base64,${bytes.toString('base64')}`;
}

/** Size of the file a base64 data: URL holds, without decoding it. */
export function dataUrlBytes(url: string): number {
  const comma = url.indexOf(',');
  const b64 = url.slice(comma + 1).replace(/[\s=]/g, '');
  return Math.floor((b64.length * 3) / 4);
}
