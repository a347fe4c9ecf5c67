import { describe, expect, it } from 'vitest';
import { renderMarkdownReport } from './markdown-report.js';
import { syntheticReport, syntheticRun } from './report-fixture.js';
import { throughputTable } from './summary-tables.js';
import { renderSvgChart } from './svg-chart.js';

const report = syntheticReport([
  syntheticRun('sluice', {
    100: {
      produce: [800_000, 750_000, 900_000],
      consume: [2_500_000, 2_400_000, 2_600_000],
      p99Ms: [6, 7, 30],
    },
    1024: {
      produce: [300_000, 310_000, 320_000],
      consume: [900_000, 950_000, 1_000_000],
      p99Ms: [12, 14, 13],
    },
  }),
  syntheticRun('rabbitmq', {
    100: {
      produce: [20_000, 21_000, 22_000],
      consume: [30_000, 31_000, 32_000],
      p99Ms: [40, 41, 42],
      achieved: 21_000,
    },
    1024: {
      produce: [10_000, 11_000, 12_000],
      consume: [20_000, 21_000, 22_000],
      p99Ms: [50, 51, 52],
      achieved: 11_000,
    },
  }),
]);

describe('the reports', () => {
  it('show each figure as the median of the rounds with their range', () => {
    const table = throughputTable(report, 'markdown');
    expect(table).toContain('| 100 B | Sluice (own client) | 800,000 (750,000–900,000) | 80.0 (75.0–90.0) |');
    expect(table).toContain('| 1024 B | RabbitMQ | 11,000 (10,000–12,000) |');
  });

  it("state the targets, the shortfalls, the ratios to the peers and each system's durability", () => {
    const markdown = renderMarkdownReport(report, 'chart.svg');
    expect(markdown).toContain('short by 20% (0.80× the target)');
    expect(markdown).toContain('| produce 100 B | 38.10× |');
    expect(markdown).toContain('publisher confirms on a durable queue');
    expect(markdown).toContain('(not sustained)');
    expect(markdown).toContain('![chart](chart.svg)');
  });

  it('draw bars in proportion to the medians, with the target line and escaped text', () => {
    const svg = renderSvgChart(report);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg).toContain('Test CPU &lt;x&gt;');
    const widths = [...svg.matchAll(/<rect x="180" y="\d+" width="([\d.]+)"/g)].map((match) =>
      Number(match[1]),
    );
    // First panel: produce 100 B, Sluice then RabbitMQ.
    expect(widths[0] / widths[1]).toBeCloseTo(800_000 / 21_000, 0);
    expect(svg).toContain('target 1M/s');
    expect(svg).toContain('target 10 ms');
    expect(svg).toContain('(only 21k/s)');
  });
});
