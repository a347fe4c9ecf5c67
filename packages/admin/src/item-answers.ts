import { ErrorCode, kafkaErrorAt, partitionLocation, partitionsByTopic } from '@sluice/network';

/**
 * Reading a broker's answer item by item. Admin requests name many items (topics, partitions, resources,
 * groups) and the response answers each with an error code of its own; an item the response leaves out
 * gets UNKNOWN_SERVER_ERROR ("no answer"), one with an error code gets that error located at the item
 * (`topics/orders`, `topics/orders/partitions/3`, `groups/billing`), with the broker's message if it sent
 * one, and the others their value.
 */

/** What a response says about one item. */
export interface ItemAnswer {
  readonly errorCode: number;
  readonly errorMessage?: string | null;
}

/** Each item's outcome from its answer: `outcomeOf` its answer, or the located error. */
export function outcomesOf<Item, Answer extends ItemAnswer, Outcome>(
  items: readonly Item[],
  answerOf: (item: Item) => Answer | undefined,
  locationOf: (item: Item) => string,
  outcomeOf: (answer: Answer, item: Item) => Outcome,
): Map<Item, Outcome | Error> {
  const outcomes = new Map<Item, Outcome | Error>();
  for (const item of items) {
    const answer = answerOf(item);
    if (answer === undefined) {
      outcomes.set(item, kafkaErrorAt(ErrorCode.UNKNOWN_SERVER_ERROR, locationOf(item), 'no answer'));
    } else if (answer.errorCode !== 0) {
      outcomes.set(item, kafkaErrorAt(answer.errorCode, locationOf(item), answer.errorMessage));
    } else {
      outcomes.set(item, outcomeOf(answer, item));
    }
  }
  return outcomes;
}

/** The answer about one partition in a response's topics (ListOffsets, DeleteRecords, OffsetCommit, ...). */
export function partitionAnswer<Answer extends { readonly partitionIndex: number }>(
  topics: readonly { readonly name: string | null; readonly partitions: readonly Answer[] }[],
  topic: string,
  partition: number,
): Answer | undefined {
  return topics
    .find((candidate) => candidate.name === topic)
    ?.partitions.find((candidate) => candidate.partitionIndex === partition);
}

/**
 * Each partition item's outcome from a response's topics (`outcomesOf` with `partitionAnswer`), errors
 * located at `<locationPrefix>topics/<topic>/partitions/<partition>`.
 */
export function partitionOutcomesOf<
  Item extends { readonly topic: string; readonly partition: number },
  Answer extends ItemAnswer & { readonly partitionIndex: number },
  Outcome,
>(
  items: readonly Item[],
  topics: readonly { readonly name: string | null; readonly partitions: readonly Answer[] }[],
  locationPrefix: string,
  outcomeOf: (answer: Answer, item: Item) => Outcome,
): Map<Item, Outcome | Error> {
  return outcomesOf(
    items,
    (item) => partitionAnswer(topics, item.topic, item.partition),
    (item) => `${locationPrefix}${partitionLocation(item.topic, item.partition)}`,
    outcomeOf,
  );
}

/** A request's topics: each topic of `items` once, with the entries `partitionOf` makes of its items. */
export function requestTopics<Item extends { readonly topic: string }, Partition>(
  items: readonly Item[],
  partitionOf: (item: Item) => Partition,
): { name: string; partitions: Partition[] }[] {
  return [...partitionsByTopic(items, partitionOf)].map(([name, partitions]) => ({ name, partitions }));
}
