import { readFileSync } from 'node:fs';

/**
 * The Node flags a script's first line asks for: `#!/usr/bin/env -S node --flag ...` gives `['--flag', ...]`;
 * any other first line gives none. Lets a test or benchmark that starts `node <script>` (to add its own Node
 * flags, or to be portable) start it as running the script itself would.
 */
export function nodeFlagsOf(scriptPath: string): string[] {
  const firstLine = readFileSync(scriptPath, 'utf8').split('\n', 1)[0];
  const match = /^#!\s*\S*env\s+-S\s+node((?:\s+\S+)*)\s*$/.exec(firstLine);
  return match ? match[1].trim().split(/\s+/).filter(Boolean) : [];
}
