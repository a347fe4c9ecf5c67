import type { Summary } from '@sluice/test-support';
import { type BenchReport, cellFigures } from '../results.js';
import { TARGETS } from '../targets.js';
import { formatNumber } from './table.js';

const WIDTH_PX = 1100;
const LABEL_WIDTH_PX = 180;
const BAR_AREA_PX = 560;
const ROW_HEIGHT_PX = 24;
const PANEL_GAP_PX = 28;
const COLOURS: Record<string, string> = {
  sluice: '#1f77b4',
  'sluice-rdkafka': '#6baed6',
  rabbitmq: '#ff7f0e',
  nats: '#2ca02c',
  redis: '#d62728',
};

interface Bar {
  readonly id: string;
  readonly label: string;
  readonly value: Summary | null;
  readonly text: string;
}

interface Panel {
  readonly title: string;
  /** Latencies span four orders of magnitude between systems: drawn on a log scale from LOG_FLOOR. */
  readonly logScale?: boolean;
  readonly bars: readonly Bar[];
  /** A dashed line at the target, with its label. */
  readonly target?: { readonly value: number; readonly label: string };
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The left edge of a log-scale panel, ms. */
const LOG_FLOOR = 0.1;

function milliseconds(value: number): string {
  return formatNumber(value, value >= 100 ? 0 : 2);
}

function compact(value: number): string {
  if (value >= 1e6) return `${formatNumber(value / 1e6, 2)}M`;
  if (value >= 1e3) return `${formatNumber(value / 1e3, 0)}k`;
  return formatNumber(value, value < 10 ? 2 : 0);
}

function panels(report: BenchReport): Panel[] {
  const systems = report.systems.filter((system) => !system.skipped);
  const result: Panel[] = [];
  for (const size of report.options.sizesBytes) {
    const figures = systems.map((system) => ({ system, figures: cellFigures(system.cells[size]) }));
    for (const operation of ['produce', 'consume'] as const) {
      const target =
        operation === 'produce' && size === 100
          ? { value: TARGETS.produce100RecordsPerSecond, label: 'target 1M/s' }
          : operation === 'consume' && size === 100
            ? { value: TARGETS.consume100RecordsPerSecond, label: 'target 2M/s' }
            : operation === 'produce' && size === 1024
              ? { value: (TARGETS.produce1KiBMBps * 1e6) / 1024, label: 'target 400 MB/s' }
              : undefined;
      result.push({
        title: `${operation} throughput, ${size}-byte records (records/s; whiskers: min–max of ${report.options.rounds} rounds)`,
        target,
        bars: figures.map(({ system, figures: cell }) => {
          const records =
            operation === 'produce' ? cell.produceRecordsPerSecond : cell.consumeRecordsPerSecond;
          const megabytes = operation === 'produce' ? cell.produceMBps : cell.consumeMBps;
          return {
            id: system.id,
            label: system.label,
            value: records,
            text:
              records && megabytes
                ? `${compact(records.median)}/s · ${formatNumber(megabytes.median, 1)} MB/s`
                : 'failed',
          };
        }),
      });
    }
    const rate = report.options.ratesPerSecond[0];
    if (rate !== undefined) {
      result.push({
        title: `end-to-end latency p99 at ${formatNumber(rate)} records/s, ${size}-byte records (ms, log scale, lower is better)`,
        logScale: true,
        target:
          rate === TARGETS.latencyRatePerSecond
            ? { value: TARGETS.latencyP99Ms, label: 'target 10 ms' }
            : undefined,
        bars: figures.map(({ system, figures: cell }) => {
          const latency = cell.latency.find((entry) => entry.ratePerSecond === rate);
          return {
            id: system.id,
            label: system.label,
            value: latency?.p99Ms ?? null,
            text: latency
              ? `p99 ${milliseconds(latency.p99Ms.median)} ms, p50 ${milliseconds(latency.p50Ms.median)} ms${latency.sustained ? '' : ` (only ${compact(latency.achievedRate.median)}/s)`}`
              : 'failed',
          };
        }),
      });
    }
  }
  return result;
}

/** A bar chart of the run as a standalone SVG document (no scripts, no external resources). */
export function renderSvgChart(report: BenchReport): string {
  const parts: string[] = [];
  let y = 84;
  for (const panel of panels(report)) {
    const scaleMax =
      Math.max(1e-9, ...panel.bars.map((bar) => bar.value?.max ?? 0), panel.target?.value ?? 0) * 1.05;
    const x = panel.logScale
      ? (value: number) =>
          LABEL_WIDTH_PX +
          (Math.log10(Math.max(value, LOG_FLOOR) / LOG_FLOOR) /
            Math.log10(Math.max(scaleMax, LOG_FLOOR * 10) / LOG_FLOOR)) *
            BAR_AREA_PX
      : (value: number) => LABEL_WIDTH_PX + (value / scaleMax) * BAR_AREA_PX;
    parts.push(`<text x="10" y="${y}" font-size="14" font-weight="bold">${escapeXml(panel.title)}</text>`);
    y += 10;
    const top = y;
    for (const bar of panel.bars) {
      const colour = COLOURS[bar.id] ?? '#888';
      parts.push(
        `<text x="${LABEL_WIDTH_PX - 8}" y="${y + 16}" font-size="12" text-anchor="end">${escapeXml(bar.label)}</text>`,
      );
      if (bar.value) {
        const width = x(bar.value.median) - LABEL_WIDTH_PX;
        parts.push(
          `<rect x="${LABEL_WIDTH_PX}" y="${y + 4}" width="${width.toFixed(1)}" height="${ROW_HEIGHT_PX - 8}" fill="${colour}"/>`,
        );
        const middle = y + ROW_HEIGHT_PX / 2;
        parts.push(
          `<line x1="${x(bar.value.min).toFixed(1)}" x2="${x(bar.value.max).toFixed(1)}" y1="${middle}" y2="${middle}" stroke="#222" stroke-width="1.2"/>`,
          `<line x1="${x(bar.value.min).toFixed(1)}" x2="${x(bar.value.min).toFixed(1)}" y1="${middle - 4}" y2="${middle + 4}" stroke="#222"/>`,
          `<line x1="${x(bar.value.max).toFixed(1)}" x2="${x(bar.value.max).toFixed(1)}" y1="${middle - 4}" y2="${middle + 4}" stroke="#222"/>`,
        );
      }
      parts.push(
        `<text x="${LABEL_WIDTH_PX + BAR_AREA_PX + 10}" y="${y + 16}" font-size="12">${escapeXml(bar.text)}</text>`,
      );
      y += ROW_HEIGHT_PX;
    }
    if (panel.target) {
      const targetX = x(panel.target.value).toFixed(1);
      parts.push(
        `<line x1="${targetX}" x2="${targetX}" y1="${top}" y2="${y}" stroke="#000" stroke-dasharray="5,4"/>`,
        `<text x="${targetX}" y="${y + 12}" font-size="11" text-anchor="middle">${escapeXml(panel.target.label)}</text>`,
      );
    }
    y += PANEL_GAP_PX;
  }
  const machine = report.machine;
  const header = [
    `<text x="10" y="24" font-size="18" font-weight="bold">Sluice and its peers on one machine, one run${report.options.quick ? ' (quick smoke run)' : ''}</text>`,
    `<text x="10" y="44" font-size="12">${escapeXml(`${machine.cpuModel}, ${machine.cores} cores, node ${machine.node}, load ${machine.loadAtStart.join(' ')}; ${formatNumber(report.options.records)} records per run; ${report.startedAt}`)}</text>`,
  ];
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH_PX}" height="${y + 10}" viewBox="0 0 ${WIDTH_PX} ${y + 10}" font-family="sans-serif" role="img" aria-labelledby="title">`,
    `<title id="title">Throughput and latency of Sluice, RabbitMQ, NATS JetStream and Redis Streams measured in one run</title>`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    ...header,
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}
