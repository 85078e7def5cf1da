// Bidirectional-text controls in text that came from outside (an SMS, a chat display name, a
// provider's reason). U+202E (right-to-left override) shows what follows it reversed, so
// "invoice‮fdp.exe" reads "invoiceexe.pdf" and a link's visible ending can be made to lie; the
// embeddings, isolates and marks reorder text too. The chat platforms get the text without them.
// Arabic and Hebrew read correctly without them: the Unicode bidi algorithm orders letters by
// their own direction, the controls only override it.
// Platform-neutral: the Slack and Teams formatters both call it before they escape and link.

/**
 * LRE RLE PDF LRO RLO (U+202A-U+202E), LRI RLI FSI PDI (U+2066-U+2069), LRM RLM (U+200E, U+200F)
 * and the Arabic letter mark (U+061C).
 */
const BIDI_CONTROLS = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** The text with every bidirectional control character removed. */
export function withoutBidiControls(text: string): string {
  return text.replace(BIDI_CONTROLS, '');
}
