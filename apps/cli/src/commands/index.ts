import type { TopLevelEntry } from '../command.js';
import { clusterGroup } from './cluster.js';
import { configsGroup } from './configs.js';
import { consumeCommand } from './consume.js';
import { groupsGroup } from './groups.js';
import { perfGroup } from './perf.js';
import { produceCommand } from './produce.js';
import { topicsGroup } from './topics.js';

/** Every command, in the order the help lists them. */
export const TOP_LEVEL: readonly TopLevelEntry[] = [
  topicsGroup,
  produceCommand,
  consumeCommand,
  groupsGroup,
  clusterGroup,
  configsGroup,
  perfGroup,
];
