import * as sluiceBroker from '@sluice/broker';
import { kcatUnavailableReason, startSluiceBroker } from '@sluice/test-support';
import { startedForSuite } from '@sluice/test-support/vitest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  eventually,
  type GroupMember,
  startGroupMember,
} from '../../../packages/admin/test/kcat-group-member.js';
import { runCli, startCli } from './run-cli.js';

/** FindCoordinator, JoinGroup, DescribeGroups, ListGroups, DeleteGroups: what these tests need the broker to serve. */
const GROUP_API_KEYS = [10, 11, 15, 16, 42];
const servesGroups = GROUP_API_KEYS.every((key) =>
  sluiceBroker.brokerHandlers().some((handler) => handler.api.apiKey === key),
);
const skipReason =
  kcatUnavailableReason() ?? (servesGroups ? null : 'the Sluice broker does not serve the group APIs yet');
if (skipReason !== null) console.error(`skipping sluice groups tests: ${skipReason}`);

interface GroupReport {
  groupId: string;
  state: string;
  members: { clientId: string; assignment: { topic: string; partitions: number[] }[] | null }[];
  partitions: {
    topic: string;
    partition: number;
    committedOffset: number | null;
    logEndOffset: number;
    lag: number | null;
  }[];
  totalLag: number;
}

describe.skipIf(skipReason !== null)('sluice groups and consume --group against a Sluice broker', () => {
  const broker = startedForSuite(() => startSluiceBroker(sluiceBroker));
  let member: GroupMember | undefined;
  const sluice = (...args: string[]) => runCli(['--bootstrap-server', broker.bootstrap, ...args]);
  /** `sluice groups reset-offsets dash ...args` */
  const resetDash = (...args: string[]) => sluice('groups', 'reset-offsets', 'dash', ...args);
  const report = async (group: string): Promise<GroupReport> => {
    const result = await sluice('groups', 'describe', group, '--json');
    expect(result.code).toBe(0);
    return (JSON.parse(result.stdout) as GroupReport[])[0];
  };

  beforeAll(async () => {
    expect((await sluice('topics', 'create', 'clicks', '--partitions', '2')).code).toBe(0);
    const lines = Array.from({ length: 20 }, (_, i) => `user-${i % 4}:click-${i}`).join('\n');
    const produced = await runCli(['--bootstrap-server', broker.bootstrap, 'produce', 'clicks', '-K', ':'], {
      input: lines,
    });
    expect(produced.code).toBe(0);
    member = startGroupMember(broker.bootstrap, 'dash', ['clicks'], 'dash-client');
    await member.waitForValues(20);
    await eventually(
      async () =>
        (await report('dash')).totalLag === 0 &&
        (await report('dash')).partitions.every((row) => row.committedOffset !== null),
      'kcat committing',
    );
  });

  afterAll(async () => {
    await member?.stop();
  });

  it('lists groups with their state and members', async () => {
    const listed = await sluice('groups', 'list');
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/GROUP\s+STATE\s+MEMBERS\s+TYPE\s+COORDINATOR/);
    expect(listed.stdout).toMatch(/\ndash\s+Stable\s+1\s+consumer\s+1\n/);
    expect(JSON.parse((await sluice('groups', 'list', '--json')).stdout)).toContainEqual({
      groupId: 'dash',
      state: 'Stable',
      members: 1,
      protocolType: 'consumer',
      coordinator: 1,
    });
  });

  it('describes members, their assignments, and offsets with lag per partition', async () => {
    const text = await sluice('groups', 'describe', 'dash');
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(
      /^Group dash: Stable, 1 member\(s\), assignor (range|roundrobin), coordinator 1, total lag 0/,
    );
    expect(text.stdout).toMatch(
      /TOPIC\s+PARTITION\s+CURRENT-OFFSET\s+LOG-END-OFFSET\s+LAG\s+CONSUMER-ID\s+HOST\s+CLIENT-ID/,
    );
    expect(text.stdout).toMatch(/\nclicks\s+0\s+\d+\s+\d+\s+0\s+\S+\s+\S+\s+dash-client\n/);
    expect(text.stdout).toContain('clicks:0,1');

    const json = await report('dash');
    expect(json.members).toEqual([
      expect.objectContaining({
        clientId: 'dash-client',
        assignment: [{ topic: 'clicks', partitions: [0, 1] }],
      }),
    ]);
    expect(json.partitions.reduce((sum, row) => sum + row.logEndOffset, 0)).toBe(20);
  });

  it('refuses to reset a group that has members, saying to stop them', async () => {
    const result = await resetDash('--topic', 'clicks', '--to-earliest', '--execute');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('NON_EMPTY_GROUP at groups/dash');
    expect(result.stderr).toContain("stop the group's consumers");
  });

  describe('once the group is empty', () => {
    beforeAll(async () => {
      await member?.stop();
      member = undefined;
      await eventually(async () => (await report('dash')).state === 'Empty', 'the group becoming Empty');
      const late = await runCli(['--bootstrap-server', broker.bootstrap, 'produce', 'clicks', '-p', '1'], {
        input: 'late-1\nlate-2\nlate-3\n',
      });
      expect(late.code).toBe(0);
    });

    it('shows the lag of records produced since', async () => {
      const json = await report('dash');
      expect(json.state).toBe('Empty');
      expect(json.members).toEqual([]);
      expect(json.totalLag).toBe(3);
      expect(json.partitions.find((row) => row.partition === 1)?.lag).toBe(3);
    });

    it('previews a reset without changing anything, then applies it', async () => {
      const preview = await resetDash('--topic', 'clicks', '--to-earliest');
      expect(preview.code).toBe(0);
      expect(preview.stdout).toMatch(/GROUP\s+TOPIC\s+PARTITION\s+PREVIOUS-OFFSET\s+NEW-OFFSET/);
      expect(preview.stdout).toMatch(/\ndash\s+clicks\s+1\s+\d+\s+0\n/);
      expect(preview.stderr).toContain('Dry run: nothing was changed');
      expect((await report('dash')).totalLag).toBe(3);

      const applied = await resetDash('--topic', 'clicks', '--to-earliest', '--execute');
      expect(applied.code).toBe(0);
      expect(applied.stderr).toContain('Committed 2 offsets for group dash.');
      expect((await report('dash')).totalLag).toBe(23);
    });

    it('shifts by N, resets to a time, to latest, and to an offset of one partition', async () => {
      const shifted = await resetDash('--all-topics', '--shift-by', '2', '--execute', '--json');
      expect(JSON.parse(shifted.stdout).partitions.map((row: { offset: number }) => row.offset)).toEqual([
        2, 2,
      ]);
      expect((await report('dash')).totalLag).toBe(19);

      const back = await resetDash('--all-topics', '--shift-by', '-5', '--execute', '--json');
      expect(JSON.parse(back.stdout).partitions.map((row: { offset: number }) => row.offset)).toEqual([0, 0]);

      expect((await resetDash('--topic', 'clicks', '--to-datetime', '-1h', '--execute')).code).toBe(0);
      expect((await report('dash')).totalLag).toBe(23);
      expect((await resetDash('--topic', 'clicks', '--to-latest', '--execute')).code).toBe(0);
      expect((await report('dash')).totalLag).toBe(0);
      expect((await resetDash('--topic', 'clicks:1', '--to-offset', '1', '--execute')).code).toBe(0);
      const partition1 = (await report('dash')).partitions.find((row) => row.partition === 1)!;
      expect(partition1.committedOffset).toBe(1);
    });

    it('deletes a group, and says when there is no such group', async () => {
      const deleted = await sluice('groups', 'delete', 'dash');
      expect(deleted.code).toBe(0);
      expect(deleted.stdout).toBe('Deleted group dash.\n');
      expect((await sluice('groups', 'list')).stdout).not.toMatch(/\ndash\s/);
      const again = await sluice('groups', 'delete', 'dash');
      expect(again.code).toBe(1);
      expect(again.stderr).toMatch(/GROUP_ID_NOT_FOUND|NOT_COORDINATOR|COORDINATOR/);
    });
  });

  /** Every value in the topic, read without a group. */
  const everything = async () =>
    (await sluice('consume', 'clicks', '-B', '-e')).stdout.split('\n').filter(Boolean);

  it('consume --group reads from the committed offsets and commits exactly what it printed', async () => {
    const total = (await everything()).length;
    const first = await sluice(
      'consume',
      'clicks',
      '--group',
      'readers',
      '--from-beginning',
      '--max-messages',
      '5',
    );
    expect(first.code).toBe(0);
    expect(first.stdout.split('\n').filter(Boolean)).toHaveLength(5);
    const afterFirst = await report('readers');
    expect(afterFirst.partitions.reduce((sum, row) => sum + (row.committedOffset ?? 0), 0)).toBe(5);

    const rest = await sluice('consume', 'clicks', '--group', 'readers', '--from-beginning', '--exit');
    expect(rest.code).toBe(0);
    const all = [...first.stdout.split('\n'), ...rest.stdout.split('\n')].filter(Boolean);
    expect(all).toHaveLength(total);
    expect(new Set(all).size).toBe(total);
    expect((await report('readers')).totalLag).toBe(0);

    const nothing = await sluice('consume', 'clicks', '--group', 'readers', '--exit');
    expect(nothing.stdout).toBe('');
  });

  it("deletes a group's offsets of some partitions", async () => {
    const deleted = await sluice('groups', 'delete-offsets', 'readers', '--topic', 'clicks:0');
    expect(deleted.code).toBe(0);
    expect(deleted.stdout).toBe('Deleted the offsets of 1 partition(s) for group readers.\n');
    const rows = (await report('readers')).partitions;
    expect(rows.map((row) => row.partition)).toEqual([1]);
  });

  it('consume --group shares the partitions between two members', async () => {
    const total = (await everything()).length;
    const pairMember = () =>
      startCli([
        '--bootstrap-server',
        broker.bootstrap,
        'consume',
        'clicks',
        '--group',
        'pair',
        '--from-beginning',
      ]);
    const [one, two] = [pairMember(), pairMember()];
    try {
      await eventually(async () => {
        const json = await report('pair');
        return json.state === 'Stable' && json.members.length === 2 && json.totalLag === 0;
      }, 'two members sharing the partitions and reading everything');
      const json = await report('pair');
      expect(json.members.map((entry) => entry.assignment?.[0]?.partitions.length)).toEqual([1, 1]);
      const printed = [...one.stdout().split('\n'), ...two.stdout().split('\n')].filter(Boolean);
      expect(printed.length).toBeGreaterThanOrEqual(total);
      expect(new Set(printed).size).toBe(total);
    } finally {
      expect(await one.stop('SIGTERM')).toBe(0);
      expect(await two.stop('SIGTERM')).toBe(0);
    }
  });

  it('refuses --offset with --group, pointing to reset-offsets', async () => {
    const result = await sluice('consume', 'clicks', '--group', 'x', '--offset', '3');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('sluice groups reset-offsets');
  });
});
