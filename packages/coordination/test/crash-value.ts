/** The value the crash writer puts under /crash/<round>/<index>: its own name, repeated to vary the size. */
export function crashValue(round: string, index: number): string {
  return `${round}/${index}/`.repeat(1 + (index % 17));
}
