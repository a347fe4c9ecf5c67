import { Arguments } from '../arguments.js';
import type { CommandDefinition, CommandGroup } from '../command.js';

const describe: CommandDefinition = {
  kind: 'command',
  path: ['cluster', 'describe'],
  summary: 'the cluster id, the controller and the brokers',
  options: { json: { type: 'boolean', description: 'print JSON' } },
  examples: [
    { command: 'sluice cluster describe', description: 'who is in the cluster' },
    {
      command: 'sluice -b broker1:9092 cluster describe --json',
      description: 'as JSON, asking a given broker',
    },
  ],
  async run(context, input) {
    const a = new Arguments(this, input);
    a.positionals();
    const cluster = await context.connect();
    const out = context.output;
    if (a.boolean('json')) {
      await out.json(cluster);
      return;
    }
    await out.line(`${out.style('bold', 'Cluster id:')} ${cluster.clusterId ?? '(none)'}`);
    await out.line(
      `${out.style('bold', 'Controller:')} ${cluster.controllerId < 0 ? 'none' : cluster.controllerId}`,
    );
    await out.line(`${out.style('bold', 'Brokers:')} ${cluster.brokers.length}`);
    await out.line(
      out.table(
        ['ID', 'HOST', 'PORT', 'RACK', 'ROLE'],
        cluster.brokers.map((broker) => [
          String(broker.nodeId),
          broker.host,
          String(broker.port),
          broker.rack ?? '-',
          broker.nodeId === cluster.controllerId ? out.style('green', 'controller') : '-',
        ]),
      ),
    );
  },
};

export const clusterGroup: CommandGroup = {
  kind: 'group',
  name: 'cluster',
  summary: 'describe the cluster',
  commands: [describe],
  examples: [{ command: 'sluice cluster describe', description: 'the cluster id, controller and brokers' }],
};
