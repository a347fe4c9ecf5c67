import type { Summary } from '@sluice/test-support';

export function formatNumber(value: number, digits = 0): string {
  return value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

/** "1,234,567 (1,100,000–1,300,000)": the median with the rounds' range. */
export function formatSummary(summary: Summary | null, digits = 0): string {
  if (!summary) return '–';
  if (summary.samples.length === 1) return formatNumber(summary.median, digits);
  return `${formatNumber(summary.median, digits)} (${formatNumber(summary.min, digits)}–${formatNumber(summary.max, digits)})`;
}

/** A table as markdown, or padded plain text for a terminal. */
export function renderTable(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  style: 'markdown' | 'terminal',
): string {
  if (style === 'markdown') {
    const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
    return [line(headers), line(headers.map(() => '---')), ...rows.map(line)].join('\n');
  }
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => cell.padEnd(widths[column]))
      .join('  ')
      .trimEnd();
  return [line(headers), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.map(line)].join('\n');
}
