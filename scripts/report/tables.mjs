// Plain-text tables for the terminal summary (console.table cannot write to stderr).

/** rows: objects; columns: [[header, row => value]]. Numbers right-aligned. */
export function formatTable(rows, columns) {
  const cells = rows.map((row) => columns.map(([, get]) => {
    const v = get(row);
    return v === null || v === undefined ? '–' : String(v);
  }));
  const headers = columns.map(([h]) => h);
  const widths = headers.map((h, c) => Math.max(h.length, ...cells.map((r) => r[c].length)));
  const numeric = columns.map((_, c) => cells.every((r) => r[c] === '–' || /^[-+]?[\d.,]+[%×]?$/.test(r[c])));
  const pad = (text, c) => (numeric[c] ? text.padStart(widths[c]) : text.padEnd(widths[c]));
  const line = (r) => r.map(pad).join('  ');
  return [line(headers), widths.map((w) => '─'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
}

export const fixed = (digits) => (v) => (v === null || v === undefined ? null : Number(v).toFixed(digits));
