/**
 * Keys in code point order, which is the byte order of their UTF-8 encoding: the order etcd returns keys
 * in. Plain `<` on JavaScript strings compares UTF-16 code units and disagrees for characters above U+FFFF
 * against U+E000..U+FFFF; `compareKeys` corrects for that.
 */
export function compareKeys(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let index = 0; index < length; index++) {
    const left = a.charCodeAt(index);
    const right = b.charCodeAt(index);
    if (left !== right) return codePointRank(left) - codePointRank(right);
  }
  return a.length - b.length;
}

/** Maps a UTF-16 code unit so that surrogates (characters above U+FFFF) sort after U+E000..U+FFFF. */
function codePointRank(unit: number): number {
  if (unit < 0xd800) return unit;
  return unit < 0xe000 ? unit + 0x2000 : unit - 0x800;
}

/**
 * A sorted array of distinct keys with binary search: prefix ranges in O(log n + matches). Inserts and
 * removals shift the array (a memmove), fine for the tens of thousands of keys a cluster holds.
 */
export class SortedKeys {
  /** Strictly increasing by `compareKeys`. */
  private readonly keys: string[] = [];

  get size(): number {
    return this.keys.length;
  }

  insert(key: string): void {
    const index = this.lowerBound(key);
    if (this.keys[index] === key) return;
    this.keys.splice(index, 0, key);
  }

  remove(key: string): void {
    const index = this.lowerBound(key);
    if (this.keys[index] === key) this.keys.splice(index, 1);
  }

  /** Keys starting with `prefix`, in order. A copy: the set may change while the caller uses it. */
  withPrefix(prefix: string): string[] {
    const matches: string[] = [];
    for (let index = this.lowerBound(prefix); index < this.keys.length; index++) {
      const key = this.keys[index];
      if (!key.startsWith(prefix)) break;
      matches.push(key);
    }
    return matches;
  }

  /** Index of the first key not less than `key`. */
  private lowerBound(key: string): number {
    let low = 0;
    let high = this.keys.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (compareKeys(this.keys[middle], key) < 0) low = middle + 1;
      else high = middle;
    }
    return low;
  }
}
