/**
 * A small, strict XML 1.0 well-formedness checker for the JUnit tests (no XML library is a
 * dependency, and `xmllint` is not installed on every CI runner). It rejects what real parsers
 * reject — unbalanced or mis-nested tags, unquoted or duplicate attributes, `<` in attribute
 * values, bare `&` or unknown entities, characters XML forbids, text after the root — and
 * returns the element tree so tests can assert structure.
 */

/** One parsed element. */
export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  /** Decoded character data directly inside this element. */
  text: string;
}

const NAME = /^[A-Za-z_:][-A-Za-z0-9_:.]*/;
// eslint-disable-next-line no-control-regex
const INVALID_CHAR = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/;
const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** Parses `xml` or throws an Error saying where it is not well-formed. */
export function parseXml(xml: string): XmlElement {
  let pos = 0;
  const fail = (what: string): never => {
    throw new Error(
      `not well-formed XML at offset ${pos}: ${what} (near ${JSON.stringify(xml.slice(pos, pos + 30))})`,
    );
  };
  const invalid = INVALID_CHAR.exec(xml);
  if (invalid !== null) {
    pos = invalid.index;
    fail('character not allowed in XML 1.0');
  }
  const skipSpace = (): void => {
    while (pos < xml.length && /\s/.test(xml[pos]!)) pos++;
  };
  const decode = (raw: string): string =>
    raw.replace(/&([^;]*);?/g, (match, body: string) => {
      if (!match.endsWith(';')) fail('& without ;');
      if (body in ENTITIES) return ENTITIES[body]!;
      const numeric = /^#(?:x([0-9a-fA-F]+)|([0-9]+))$/.exec(body);
      if (numeric === null) fail(`unknown entity &${body};`);
      const code =
        numeric![1] !== undefined ? parseInt(numeric![1], 16) : parseInt(numeric![2]!, 10);
      const char = String.fromCodePoint(code);
      if (INVALID_CHAR.test(char)) fail(`character reference &${body}; to a forbidden character`);
      return char;
    });
  const skipMisc = (): void => {
    for (;;) {
      skipSpace();
      if (xml.startsWith('<!--', pos)) {
        const end = xml.indexOf('-->', pos + 4);
        if (end < 0) fail('unterminated comment');
        pos = end + 3;
      } else return;
    }
  };

  if (xml.startsWith('<?xml', pos)) {
    const end = xml.indexOf('?>', pos);
    if (end < 0) fail('unterminated XML declaration');
    const declaration = xml.slice(pos, end);
    if (
      !/^<\?xml\s+version="1\.[0-9]"(\s+encoding="[A-Za-z][-A-Za-z0-9._]*")?(\s+standalone="(yes|no)")?\s*$/.test(
        declaration,
      )
    ) {
      fail('malformed XML declaration');
    }
    pos = end + 2;
  }
  skipMisc();

  const element = (): XmlElement => {
    if (xml[pos] !== '<') fail('expected <');
    pos++;
    const name = NAME.exec(xml.slice(pos))?.[0];
    if (name === undefined) return fail('expected an element name');
    pos += name.length;
    const attributes: Record<string, string> = {};
    for (;;) {
      const before = pos;
      skipSpace();
      if (xml.startsWith('/>', pos)) {
        pos += 2;
        return { name, attributes, children: [], text: '' };
      }
      if (xml[pos] === '>') {
        pos++;
        break;
      }
      if (pos === before) fail('expected whitespace before an attribute');
      const attribute = NAME.exec(xml.slice(pos))?.[0];
      if (attribute === undefined) return fail('expected an attribute name');
      if (attribute in attributes) fail(`duplicate attribute ${attribute}`);
      pos += attribute.length;
      skipSpace();
      if (xml[pos] !== '=') fail('expected =');
      pos++;
      skipSpace();
      const quote = xml[pos];
      if (quote !== '"' && quote !== "'") return fail('attribute value must be quoted');
      const end = xml.indexOf(quote, pos + 1);
      if (end < 0) fail('unterminated attribute value');
      const raw = xml.slice(pos + 1, end);
      if (raw.includes('<')) fail('< inside an attribute value');
      attributes[attribute] = decode(raw);
      pos = end + 1;
    }
    const children: XmlElement[] = [];
    let text = '';
    for (;;) {
      if (pos >= xml.length) fail(`unterminated element <${name}>`);
      if (xml.startsWith('</', pos)) {
        pos += 2;
        const closing = NAME.exec(xml.slice(pos))?.[0];
        if (closing !== name) fail(`</${closing ?? ''}> closes <${name}>`);
        pos += name.length;
        skipSpace();
        if (xml[pos] !== '>') fail('expected > after the closing tag name');
        pos++;
        return { name, attributes, children, text };
      }
      if (xml.startsWith('<!--', pos)) {
        const end = xml.indexOf('-->', pos + 4);
        if (end < 0) fail('unterminated comment');
        pos = end + 3;
      } else if (xml.startsWith('<![CDATA[', pos)) {
        const end = xml.indexOf(']]>', pos);
        if (end < 0) fail('unterminated CDATA');
        text += xml.slice(pos + 9, end);
        pos = end + 3;
      } else if (xml[pos] === '<') {
        children.push(element());
      } else {
        const next = xml.indexOf('<', pos);
        const raw = xml.slice(pos, next < 0 ? xml.length : next);
        if (raw.includes(']]>')) fail(']]> in character data');
        text += decode(raw);
        pos += raw.length;
      }
    }
  };

  const root = element();
  skipMisc();
  if (pos !== xml.length) fail('content after the root element');
  return root;
}

/** Every descendant element with this name, depth first. */
export function findAll(root: XmlElement, name: string): XmlElement[] {
  const found: XmlElement[] = [];
  const walk = (element: XmlElement): void => {
    if (element.name === name) found.push(element);
    element.children.forEach(walk);
  };
  walk(root);
  return found;
}
