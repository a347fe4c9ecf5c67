import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { nodeFlagsOf } from './node-flags.js';

describe('nodeFlagsOf', () => {
  const directory = mkdtempSync(join(tmpdir(), 'sluice-node-flags-'));
  afterAll(() => rmSync(directory, { recursive: true, force: true }));
  const script = (name: string, firstLine: string) => {
    const path = join(directory, name);
    writeFileSync(path, `${firstLine}\nconsole.log(1);\n`);
    return path;
  };

  it('reads the flags of an env -S shebang', () => {
    expect(nodeFlagsOf(script('a.js', '#!/usr/bin/env -S node --initial-old-space-size=64'))).toEqual([
      '--initial-old-space-size=64',
    ]);
    expect(nodeFlagsOf(script('b.js', '#!/usr/bin/env -S node --a=1  --b'))).toEqual(['--a=1', '--b']);
  });

  it('gives no flags for a plain shebang or none', () => {
    expect(nodeFlagsOf(script('c.js', '#!/usr/bin/env node'))).toEqual([]);
    expect(nodeFlagsOf(script('d.js', '#!/usr/bin/env -S node'))).toEqual([]);
    expect(nodeFlagsOf(script('e.js', 'import x from "y";'))).toEqual([]);
  });
});
