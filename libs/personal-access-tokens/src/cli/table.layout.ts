/** Styles a painter may apply; a painter for a stream that is not a terminal returns the text as is. */
export type Style = 'bold' | 'dim' | 'green' | 'yellow' | 'red';
export type Painter = (style: Style | undefined, text: string) => string;
export const noPaint: Painter = (_style, text) => text;

/** One column of a table: how to read its cell from a row, and how it gives way when the terminal is narrow. */
export interface Column<R> {
  header: string;
  /** A string, or a list (scopes) that is cut as "first, second +3" when it does not fit. */
  cell: (row: R) => string | string[];
  /** The narrowest the column may be squeezed to before columns are dropped; without it, never squeezed. */
  min?: number;
  /** Columns with this are dropped, lowest first, when squeezing is not enough. */
  dropOrder?: number;
  /** Where a squeezed cell loses characters: its end (names, ids) or its middle (dotted action names). */
  ellipsis?: 'end' | 'middle';
  style?: (row: R) => Style | undefined;
}

const GAP = 2;
const ELLIPSIS = '…';
const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
// East Asian Wide and Fullwidth blocks, and emoji: two columns each in a terminal.
const WIDE =
  /^[\u{1100}-\u{115F}\u{231A}\u{231B}\u{2329}\u{232A}\u{2E80}-\u{303E}\u{3041}-\u{33FF}\u{3400}-\u{4DBF}\u{4E00}-\u{9FFF}\u{A000}-\u{A4CF}\u{A960}-\u{A97F}\u{AC00}-\u{D7A3}\u{F900}-\u{FAFF}\u{FE10}-\u{FE19}\u{FE30}-\u{FE6F}\u{FF00}-\u{FF60}\u{FFE0}-\u{FFE6}\u{1F300}-\u{1F64F}\u{1F900}-\u{1F9FF}\u{20000}-\u{3FFFD}]/u;
const ZERO_WIDTH = /^[\p{Mn}\p{Me}\p{Cf}]+$/u;
// Controls and bidirectional overrides in text from the service must not move the cursor or reorder a line.
const UNPRINTABLE = /[\p{Cc}\u2028\u2029\u202A-\u202E\u2066-\u2069]/gu;

/** The text with tabs as spaces and every other control character (and bidi override) as U+FFFD. */
export function printable(text: string): string {
  return text.replace(/\t/g, ' ').replace(UNPRINTABLE, '\uFFFD');
}

function graphemeWidth(grapheme: string): number {
  if (ZERO_WIDTH.test(grapheme)) return 0;
  if (WIDE.test(grapheme) || grapheme.includes('\uFE0F')) return 2;
  return 1;
}

/** The columns `text` takes in a terminal. */
export function displayWidth(text: string): number {
  let width = 0;
  for (const { segment } of segmenter.segment(text)) width += graphemeWidth(segment);
  return width;
}

/** The longest start of `text` that fits in `width` columns (at least one character, so that callers move on). */
export function headOf(text: string, width: number): string {
  let head = '';
  let used = 0;
  for (const { segment } of segmenter.segment(text)) {
    used += graphemeWidth(segment);
    if (used > width && head) break;
    head += segment;
    if (used >= width) break;
  }
  return head;
}

/** `text` cut to at most `width` columns, with an ellipsis where it lost characters. */
export function truncate(text: string, width: number, where: 'end' | 'middle' = 'end'): string {
  if (displayWidth(text) <= width) return text;
  if (width <= 1) return width === 1 ? ELLIPSIS : '';
  const graphemes = [...segmenter.segment(text)].map(({ segment }) => segment);
  const take = (from: string[], columns: number): string[] => {
    const kept: string[] = [];
    let used = 0;
    for (const grapheme of from) {
      used += graphemeWidth(grapheme);
      if (used > columns) break;
      kept.push(grapheme);
    }
    return kept;
  };
  const room = width - 1;
  if (where === 'end') return take(graphemes, room).join('') + ELLIPSIS;
  const head = take(graphemes, Math.ceil(room / 2));
  const tail = take([...graphemes].reverse(), room - displayWidth(head.join(''))).reverse();
  return head.join('') + ELLIPSIS + tail.join('');
}

/** `text` padded with spaces to `width` columns. */
export function pad(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - displayWidth(text)));
}

/** A list in at most `width` columns: as many items as fit, then how many more ("audit:read, user:read +2"). */
export function fitList(items: string[], width: number): string {
  const joined = items.join(', ');
  if (displayWidth(joined) <= width) return joined;
  for (let kept = items.length - 1; kept >= 1; kept--) {
    const text = `${items.slice(0, kept).join(', ')} +${items.length - kept}`;
    if (displayWidth(text) <= width) return text;
  }
  const more = items.length > 1 ? ` +${items.length - 1}` : '';
  return displayWidth(more) + 2 <= width ? truncate(items[0], width - displayWidth(more)) + more : truncate(joined, width);
}

/**
 * Lays rows out in `width` columns at most: columns at their natural width when they fit; else the
 * widest squeezable one is squeezed (to its `min`), then droppable columns go, lowest `dropOrder`
 * first; as a last resort every column is squeezed further. No line is ever wider than `width`.
 */
export function renderTable<R>(columns: Column<R>[], rows: R[], width: number, paint: Painter = noPaint): string[] {
  const cells = rows.map((row) => columns.map((column) => column.cell(row)));
  const text = (cell: string | string[]) => printable(Array.isArray(cell) ? cell.join(', ') : cell);
  const natural = columns.map((column, index) => Math.max(displayWidth(column.header), ...cells.map((row) => displayWidth(text(row[index])))));
  let shown = columns.map((_column, index) => index);
  let widths = layout(shown, natural, columns, width);
  while (!widths) {
    const droppable = shown.filter((index) => columns[index].dropOrder !== undefined);
    if (!droppable.length) break;
    const dropped = droppable.reduce((lowest, index) => (columns[index].dropOrder! < columns[lowest].dropOrder! ? index : lowest));
    shown = shown.filter((index) => index !== dropped);
    widths = layout(shown, natural, columns, width);
  }
  const final = widths ?? squeezeAll(shown, natural, width);
  // A cut list ("audit:read +3") may be narrower than its column: the column shrinks to it.
  shown.forEach((index, position) => {
    const lists = cells.map((row) => row[index]).filter((cell): cell is string[] => Array.isArray(cell));
    if (lists.length < cells.length || !lists.length) return;
    const used = Math.max(displayWidth(columns[index].header), ...lists.map((cell) => displayWidth(fitList(cell.map(printable), final[position]))));
    final[position] = Math.min(final[position], used);
  });
  const line = (render: (index: number, columnWidth: number) => string) =>
    shown.map((index, position) => render(index, final[position])).join(' '.repeat(GAP)).trimEnd();
  const header = line((index, columnWidth) => paint('bold', pad(truncate(columns[index].header, columnWidth), columnWidth)));
  const body = rows.map((row, rowIndex) =>
    line((index, columnWidth) => {
      const cell = cells[rowIndex][index];
      const fitted = Array.isArray(cell)
        ? fitList(cell.map(printable), columnWidth)
        : truncate(printable(cell), columnWidth, columns[index].ellipsis);
      return paint(columns[index].style?.(row), fitted) + ' '.repeat(columnWidth - displayWidth(fitted));
    }),
  );
  return [header, ...body];
}

/** Widths for the `shown` columns within `width`, squeezing squeezable ones to their `min`; undefined if they cannot fit. */
function layout<R>(shown: number[], natural: number[], columns: Column<R>[], width: number): number[] | undefined {
  const widths = shown.map((index) => natural[index]);
  const floor = shown.map((index, position) => Math.min(widths[position], columns[index].min ?? widths[position]));
  return squeeze(widths, floor, width);
}

function squeezeAll(shown: number[], natural: number[], width: number): number[] {
  const widths = shown.map((index) => natural[index]);
  return squeeze(widths, widths.map(() => 1), width) ?? widths.map(() => 1);
}

/** Takes a column at a time from the widest column above its floor until the row fits. */
function squeeze(widths: number[], floor: number[], width: number): number[] | undefined {
  let total = widths.reduce((sum, columnWidth) => sum + columnWidth, 0) + GAP * (widths.length - 1);
  while (total > width) {
    let widest = -1;
    widths.forEach((columnWidth, position) => {
      if (columnWidth > floor[position] && (widest < 0 || columnWidth >= widths[widest])) widest = position;
    });
    if (widest < 0) return undefined;
    widths[widest]--;
    total--;
  }
  return widths;
}

/** `text` in lines of at most `width` columns, broken at spaces (and inside words longer than a line). */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of printable(text).split(' ')) {
    let rest = word;
    while (displayWidth(rest) > width) {
      if (line) lines.push(line);
      line = '';
      const head = headOf(rest, width);
      lines.push(head);
      rest = rest.slice(head.length);
    }
    const candidate = line ? `${line} ${rest}` : rest;
    if (displayWidth(candidate) <= width) line = candidate;
    else {
      lines.push(line);
      line = rest;
    }
  }
  lines.push(line);
  return lines;
}

/** Label and value pairs, the values wrapped to the room left of `width`. */
export function renderFields(fields: Array<[label: string, value: string]>, width: number, paint: Painter = noPaint): string[] {
  const labelWidth = Math.max(...fields.map(([label]) => displayWidth(label))) + GAP;
  const room = Math.max(10, width - labelWidth);
  return fields.flatMap(([label, value]) =>
    wrap(value, room).map((line, index) => (index === 0 ? paint('dim', pad(label, labelWidth)) : ' '.repeat(labelWidth)) + line),
  );
}
