/** What a spreadsheet runs as a formula when a cell starts with it (OWASP "CSV injection"). */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * One CSV field: RFC 4180 quoting, and a leading `'` for anything a spreadsheet would run as a
 * formula, so that a token named `=HYPERLINK(...)` opens as text. Shared by the server's audit
 * export and the page's token exports (browser code: no Node API here).
 *
 * @example
 * [id, name, createdAt].map(csvField).join(',')
 */
export function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  let text = value instanceof Date ? value.toISOString() : typeof value === 'object' ? JSON.stringify(value) : String(value);
  if (FORMULA_START.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
