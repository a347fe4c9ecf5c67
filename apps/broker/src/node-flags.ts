/**
 * The Node flags the broker's executable starts with: its first line is
 * `#!/usr/bin/env -S node <BROKER_NODE_FLAGS>`, so running `dist/main.js` (or the `sluice-broker` bin)
 * applies them.
 *
 * `--initial-old-space-size`: V8 counts the ArrayBuffers allocated since the last full collection
 * (socket reads, fetch responses: the broker's whole traffic) against the old generation's allocation
 * limit, and a small heap gets a small limit. A broker with a few MB of live objects moving 50 MB/s
 * therefore ran a full mark-compact about every 100 ms, each stopping its event loop for 5-10 ms with
 * incremental marking's finalisation, which set its tail latency. A floor under the old generation's size
 * removes those collections; garbage ArrayBuffers are still freed by the young-generation collections.
 * Kafka's start script sets the JVM's initial heap (-Xms) for the same reason.
 */
export const BROKER_NODE_FLAGS: readonly string[] = ['--initial-old-space-size=64'];

/** The flags of BROKER_NODE_FLAGS this process was started without (any value of a flag counts). */
export function missingNodeFlags(execArgv: readonly string[] = process.execArgv): string[] {
  return BROKER_NODE_FLAGS.filter((flag) => {
    const name = flag.split('=')[0];
    return !execArgv.some((given) => given === flag || given.startsWith(`${name}=`));
  });
}
