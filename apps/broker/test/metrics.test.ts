import { startedForSuite } from '@sluice/test-support/vitest';
import { describe, expect, it } from 'vitest';
import { kcat, startBroker } from './helpers.js';

describe('the metrics port', () => {
  const sluice = startedForSuite(() => startBroker());

  it('serves Prometheus metrics for requests, bytes, partitions, latency and connections', async () => {
    await kcat(sluice.bootstrap, ['-P', '-t', 'measured'], 'a\nb\nc\n');
    await kcat(sluice.bootstrap, ['-C', '-t', 'measured', '-o', 'beginning', '-e']);
    await kcat(sluice.bootstrap, [
      '-C',
      '-t',
      'missing-topic',
      '-X',
      'allow.auto.create.topics=false',
      '-e',
    ]).catch(() => undefined);
    const response = await fetch(`http://127.0.0.1:${sluice.broker.metricsPort}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain');
    const text = await response.text();
    expect(text).toMatch(/sluice_requests_total\{api="Produce"\} [1-9]/);
    expect(text).toMatch(/sluice_requests_total\{api="Fetch"\} [1-9]/);
    expect(text).toMatch(/sluice_bytes_in_total [1-9]/);
    expect(text).toMatch(/sluice_bytes_out_total [1-9]/);
    expect(text).toContain('sluice_partition_log_end_offset{topic="measured",partition="0"} 3');
    expect(text).toContain('sluice_partition_high_watermark{topic="measured",partition="0"} 3');
    expect(text).toMatch(/sluice_request_latency_ms_bucket\{api="Produce",le="\+Inf"\} [1-9]/);
    expect(text).toMatch(/sluice_request_latency_ms_count\{api="Fetch"\} [1-9]/);
    expect(text).toMatch(/sluice_open_connections \d+/);
    expect(text).toMatch(/sluice_records_in_total 3/);
  });

  it('answers /healthz while serving', async () => {
    const response = await fetch(`http://127.0.0.1:${sluice.broker.metricsPort}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('ok\n');
  });
});
