import { ValidationArguments } from 'class-validator';

/** C0 and C1 controls (Unicode Cc). */
const CONTROLS = '\\u0000-\\u001f\\u007f-\\u009f';
/**
 * The format characters (Unicode Cf) of the Basic Multilingual Plane: soft hyphen, Arabic and
 * Syriac marks, zero-width spaces and joiners, bidi embeddings, overrides and isolates, word
 * joiner, invisible operators, the byte-order mark, interlinear annotations. Written as explicit
 * ranges, not `\p{Cf}`, so that every JSON Schema validator reads the documented pattern the way
 * the server does (ECMA-262 with or without the `u` flag, Python's `re`). Characters beyond the
 * BMP are not listed: no pattern written with `\u` escapes reads them alike in all of those, and
 * the astral ones (tags, among them) are also what flag emoji are made of.
 */
const FORMAT_CHARACTERS =
  '\\u00ad\\u0600-\\u0605\\u061c\\u06dd\\u070f\\u0890\\u0891\\u08e2\\u180e\\u200b-\\u200f\\u202a-\\u202e\\u2060-\\u206f\\ufeff\\ufff9-\\ufffb';

/** A token name: no control character and no invisible or bidi formatting character (no look-alike names). */
export const TOKEN_NAME_PATTERN = new RegExp(`^[^${CONTROLS}${FORMAT_CHARACTERS}]*$`);

/** A description: no control character but newline and tab (NUL, ESC sequences, CR are terminal tricks). */
export const TOKEN_DESCRIPTION_PATTERN = /^[^\u0000-\u0008\u000b-\u001f\u007f-\u009f]*$/;

const HAS_CONTROL = new RegExp(`[${CONTROLS}]`);

/** The reason a name fails TOKEN_NAME_PATTERN, in words a person can act on. */
export function tokenNameMessage({ value }: ValidationArguments): string {
  return typeof value === 'string' && HAS_CONTROL.test(value)
    ? 'name must not contain control characters'
    : 'name must not contain invisible or bidirectional formatting characters (such as U+200B or U+202E)';
}

export const TOKEN_DESCRIPTION_MESSAGE = 'description must not contain control characters other than newline and tab';
