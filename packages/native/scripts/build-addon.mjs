// Builds the Node-API addon (binding.gyp) with node-gyp: `node-gyp rebuild`, run as this package's
// install script. It never downloads anything: when no nodedir is configured (npm_config_nodedir) and the
// running Node.js ships its headers (<prefix>/include/node), node-gyp is pointed at them.
//
// A failed build does not fail the install: @sluice/protocol and @sluice/log then use their JavaScript
// CRC-32C and record walk, and this prints why and how to build the addon later. SLUICE_NATIVE=off skips
// the build.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const packageDirectory = path.dirname(path.dirname(fileURLToPath(import.meta.url)));

function warn(message) {
  process.stderr.write(`@sluice/native: ${message}\n`);
}

/** The prefix of the running Node.js if it ships the headers node-gyp needs, else null. */
function localNodeDirectory() {
  const prefix = path.dirname(path.dirname(process.execPath));
  const headers = path.join(prefix, 'include', 'node');
  return existsSync(path.join(headers, 'node_api.h')) && existsSync(path.join(headers, 'common.gypi'))
    ? prefix
    : null;
}

function nodeGypCommand() {
  // npm and pnpm name the node-gyp they bundle in npm_config_node_gyp, and put it on PATH.
  // Run by hand, fall back to the one npm bundles beside this Node.js, then to node-gyp on PATH.
  const bundledWithNpm = path.join(
    path.dirname(path.dirname(process.execPath)),
    'lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js',
  );
  for (const script of [process.env.npm_config_node_gyp, bundledWithNpm]) {
    if (script && existsSync(script)) return { command: process.execPath, prefix: [script] };
  }
  return { command: 'node-gyp', prefix: [] };
}

function main() {
  if (process.env.SLUICE_NATIVE === 'off') {
    warn('SLUICE_NATIVE=off, the addon is not built');
    return;
  }
  const args = ['rebuild', '--loglevel=warn'];
  const nodeDirectory = process.env.npm_config_nodedir ? null : localNodeDirectory();
  if (nodeDirectory !== null) args.push(`--nodedir=${nodeDirectory}`);
  const { command, prefix } = nodeGypCommand();
  const result = spawnSync(command, [...prefix, ...args], { cwd: packageDirectory, stdio: 'inherit' });
  if (result.status === 0) return;
  const reason = result.error
    ? result.error.message
    : `node-gyp exited with ${result.status ?? result.signal}`;
  warn(
    `the addon did not build (${reason}); Sluice runs on its JavaScript CRC-32C and record walk. ` +
      'To build it: install a C compiler, make and python3, then run `pnpm --filter @sluice/native build:addon`.',
  );
}

main();
