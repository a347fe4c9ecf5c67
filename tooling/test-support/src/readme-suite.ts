import { describe, expect, it } from 'vitest';
import { Readme } from './readme.js';
import { type Stoppable, startedForSuite } from './started-for-suite.js';

export interface ReadmeSuiteOptions<Target extends Stoppable> {
  /** The README under test, e.g. `new URL('../README.md', import.meta.url)`. */
  readonly readme: URL;
  /** What the examples run against (a broker), started before the suite's tests and stopped after them. */
  readonly start: () => Promise<Target>;
  /** A Markdown table of options whose every row the README must hold (when the package has options). */
  readonly optionTable?: () => string;
}

/**
 * The suite "the README" of a package: the README documents every row of `optionTable`, and its examples
 * type-check; then `tests` add what its examples must print when they run against the started target.
 */
export function describeReadme<Target extends Stoppable>(
  options: ReadmeSuiteOptions<Target>,
  tests: (readme: Readme, target: Target) => void,
): void {
  const readme = new Readme(options.readme);
  describe('the README', () => {
    const target = startedForSuite(options.start);
    const { optionTable } = options;
    if (optionTable) {
      it('documents the options as their table says', () => {
        expect(readme.missingTableRows(optionTable())).toEqual([]);
      });
    }

    it('has examples that type-check', async () => {
      await readme.typecheckExamples();
    });

    tests(readme, target);
  });
}
