/**
 * Java properties text, as Kafka's server.properties: `key=value` or `key: value` or `key value`, `#` and `!`
 * comments, backslash line continuation and escapes (\t \n \r \f \uXXXX, \\ and escaped separators).
 * Later duplicates win, as in java.util.Properties.
 */
export function parseProperties(text: string): Map<string, string> {
  const properties = new Map<string, string>();
  const lines = text.split(/\r\n|\r|\n/);
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i].replace(/^[ \t\f]+/, '');
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue;
    while (endsWithContinuation(line) && i + 1 < lines.length) {
      line = line.slice(0, -1) + lines[++i].replace(/^[ \t\f]+/, '');
    }
    if (endsWithContinuation(line)) line = line.slice(0, -1);
    let keyEnd = 0;
    while (keyEnd < line.length && !'=: \t\f'.includes(line[keyEnd])) {
      keyEnd += line[keyEnd] === '\\' ? 2 : 1;
    }
    const key = unescapeProperty(line.slice(0, Math.min(keyEnd, line.length)));
    let rest = line.slice(keyEnd).replace(/^[ \t\f]*/, '');
    if (rest.startsWith('=') || rest.startsWith(':')) rest = rest.slice(1).replace(/^[ \t\f]*/, '');
    properties.set(key, unescapeProperty(rest));
  }
  return properties;
}

function endsWithContinuation(line: string): boolean {
  let backslashes = 0;
  for (let i = line.length - 1; i >= 0 && line[i] === '\\'; i--) backslashes++;
  return backslashes % 2 === 1;
}

function unescapeProperty(text: string): string {
  return text.replace(/\\(u[0-9a-fA-F]{4}|.)/g, (_, escaped: string) => {
    if (escaped.length === 5) return String.fromCharCode(Number.parseInt(escaped.slice(1), 16));
    switch (escaped) {
      case 't':
        return '\t';
      case 'n':
        return '\n';
      case 'r':
        return '\r';
      case 'f':
        return '\f';
      default:
        return escaped;
    }
  });
}
