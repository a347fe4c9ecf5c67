import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@sluice/test-support';
import { debianPackageVersion } from '../machine.js';
import {
  removeTrackedDirectory,
  type StartedProcess,
  startProcess,
  trackDirectory,
  waitUntil,
} from '../processes.js';
import type { RunningServer } from './server.js';

const RABBITMQ_SERVER = '/usr/lib/rabbitmq/bin/rabbitmq-server';
const STARTUP_TIMEOUT_MS = 120_000;

/**
 * One RabbitMQ node (Debian's rabbitmq-server, run directly, not as the system service): its own node name,
 * AMQP, distribution and epmd ports on 127.0.0.1, its own config file, cookie, Mnesia and log directories,
 * no plugins. Its epmd is started here too (in the foreground, on its own port), so nothing outlives stop().
 */
export async function startRabbitmqServer(): Promise<RunningServer> {
  const dataDir = trackDirectory(mkdtempSync(join(tmpdir(), 'sluice-bench-rabbitmq-')));
  const [amqpPort, distributionPort, epmdPort] = [await freePort(), await freePort(), await freePort()];
  const nodeName = `sluicebench${process.pid}x${amqpPort}@localhost`;
  mkdirSync(join(dataDir, 'mnesia'));
  mkdirSync(join(dataDir, 'log'));
  writeFileSync(
    join(dataDir, 'rabbitmq.conf'),
    [
      `listeners.tcp.1 = 127.0.0.1:${amqpPort}`,
      'loopback_users.guest = true',
      // The harness publishes a million records at once: let memory, not a low default, decide flow control.
      'vm_memory_high_watermark.relative = 0.4',
      'disk_free_limit.absolute = 1GB',
      '',
    ].join('\n'),
  );
  writeFileSync(join(dataDir, 'enabled_plugins'), '[].\n');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HOME: dataDir, // the Erlang cookie goes here
    RABBITMQ_NODENAME: nodeName,
    RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
    RABBITMQ_NODE_PORT: String(amqpPort),
    RABBITMQ_DIST_PORT: String(distributionPort),
    RABBITMQ_CONFIG_FILE: join(dataDir, 'rabbitmq.conf'),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(dataDir, 'enabled_plugins'),
    RABBITMQ_MNESIA_BASE: join(dataDir, 'mnesia'),
    RABBITMQ_LOG_BASE: join(dataDir, 'log'),
    RABBITMQ_PID_FILE: join(dataDir, 'rabbitmq.pid'),
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: '-kernel inet_dist_use_interface {127,0,0,1}',
    ERL_EPMD_PORT: String(epmdPort),
    ERL_EPMD_ADDRESS: '127.0.0.1',
  };
  const epmd = startProcess('epmd', 'epmd', ['-port', String(epmdPort), '-address', '127.0.0.1'], { env });
  let rabbit: StartedProcess | undefined;
  try {
    await waitUntil('epmd', () => tcpReachable(epmdPort), 10_000);
    rabbit = startProcess('rabbitmq-server', RABBITMQ_SERVER, [], { env });
    const server = rabbit;
    await Promise.race([
      waitUntil('RabbitMQ', () => amqpReachable(amqpPort), STARTUP_TIMEOUT_MS),
      server.exited.then((code) => {
        throw new Error(`rabbitmq-server exited with ${code}:\n${server.recentOutput.join('\n')}`);
      }),
    ]);
  } catch (error) {
    await rabbit?.stop();
    await epmd.stop();
    removeTrackedDirectory(dataDir);
    throw error;
  }
  const server = rabbit;
  return {
    endpoint: `amqp://guest:guest@127.0.0.1:${amqpPort}`,
    version: debianPackageVersion('rabbitmq-server') ?? 'unknown',
    pid: server.pid,
    dataDir,
    async stop() {
      await server.stop(30_000);
      await epmd.stop();
      removeTrackedDirectory(dataDir);
    },
  };
}

function tcpReachable(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      resolve();
    });
    socket.on('error', reject);
  });
}

/** Resolves once the AMQP listener answers a protocol header with its connection.start. */
function amqpReachable(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port }, () => {
      socket.write(Buffer.from([0x41, 0x4d, 0x51, 0x50, 0, 0, 9, 1]));
    });
    socket.setTimeout(2_000, () => {
      socket.destroy();
      reject(new Error('no answer'));
    });
    socket.once('data', (chunk: Buffer) => {
      socket.destroy();
      if (chunk[0] === 1) resolve();
      else reject(new Error('unexpected answer'));
    });
    socket.on('error', reject);
  });
}
