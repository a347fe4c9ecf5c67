import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const distIndex = join(dirname(fileURLToPath(import.meta.url)), '../dist/index.js');

describe('the system clock', () => {
  it('keeps the process alive while an awaited retry backoff runs', () => {
    // Nothing but the backoff is pending: with an unref'd timer Node would exit with code 13 (an unsettled
    // top-level await) before the wait ends.
    const script = `
      import { sleep, systemClock } from ${JSON.stringify(distIndex)};
      const started = Date.now();
      await sleep(systemClock, 300);
      console.log('waited', Date.now() - started >= 290);
    `;
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(result.status).toBe(0);
    expect(result.stdout.trim()).toBe('waited true');
  });
});
