// vCard and iCalendar as a tree of components and content lines (RFC 6350 §3.2, RFC 5545
// §3.1), kept close to the bytes: every property remembers its raw (folded) text, so a
// merge writes back exactly the lines each side sent.

export interface ContentLine {
  /** Upper-cased group.name plus its parameters sorted: what a merge matches lines by. */
  key: string;
  /** Upper-cased property name without its group. */
  name: string;
  /** The line unfolded: what lines are compared by. */
  unfolded: string;
  /** The line as sent, folds and line breaks included. */
  raw: string;
}

export interface LineComponent {
  name: string;
  begin: string;
  end: string;
  lines: ContentLine[];
  children: LineComponent[];
}

/** Splits a parameter list at semicolons outside double quotes. */
function splitOutsideQuotes(text: string, separator: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  for (const char of text) {
    if (char === '"') quoted = !quoted;
    if (char === separator && !quoted) {
      parts.push(current);
      current = '';
    } else current += char;
  }
  parts.push(current);
  return parts;
}

function headOf(unfolded: string): string {
  let quoted = false;
  for (let i = 0; i < unfolded.length; i += 1) {
    const char = unfolded[i];
    if (char === '"') quoted = !quoted;
    if (char === ':' && !quoted) return unfolded.slice(0, i);
  }
  return unfolded;
}

export function lineOf(unfolded: string, raw: string): ContentLine {
  const [nameWithGroup = '', ...params] = splitOutsideQuotes(headOf(unfolded), ';');
  const upper = nameWithGroup.toUpperCase();
  const name = upper.includes('.') ? upper.slice(upper.indexOf('.') + 1) : upper;
  const sortedParams = params
    .map((param) => {
      const eq = param.indexOf('=');
      return eq < 0 ? param.toUpperCase() : `${param.slice(0, eq).toUpperCase()}=${param.slice(eq + 1)}`;
    })
    .sort();
  return { key: [upper, ...sortedParams].join(';'), name, unfolded, raw };
}

/** Parses content lines into components; null if BEGIN and END do not pair up. */
export function parseContentLines(text: string): LineComponent[] | null {
  const physical = text.replace(/\r?\n$/, '').split(/\r?\n/);
  const logical: Array<{ unfolded: string; raw: string }> = [];
  for (const line of physical) {
    const last = logical[logical.length - 1];
    if ((line.startsWith(' ') || line.startsWith('\t')) && last) {
      last.unfolded += line.slice(1);
      last.raw += `\r\n${line}`;
    } else if (line.length > 0) logical.push({ unfolded: line, raw: line });
  }
  const roots: LineComponent[] = [];
  const stack: LineComponent[] = [];
  for (const { unfolded, raw } of logical) {
    const line = lineOf(unfolded, raw);
    const value = unfolded.slice(unfolded.indexOf(':') + 1).trim().toUpperCase();
    if (line.name === 'BEGIN') {
      const component: LineComponent = { name: value, begin: raw, end: `END:${value}`, lines: [], children: [] };
      (stack[stack.length - 1]?.children ?? roots).push(component);
      stack.push(component);
    } else if (line.name === 'END') {
      const open = stack.pop();
      if (!open || open.name !== value) return null;
      open.end = raw;
    } else {
      const open = stack[stack.length - 1];
      if (!open) return null;
      open.lines.push(line);
    }
  }
  return stack.length === 0 ? roots : null;
}

export function serializeComponent(component: LineComponent): string {
  return [component.begin, ...component.lines.map((line) => line.raw), ...component.children.map(serializeComponent), component.end].join('\r\n');
}

/** A component's whole text, unfolded: how two copies of one are compared. */
export function componentText(component: LineComponent): string {
  return [component.name, ...component.lines.map((line) => line.unfolded), ...component.children.map(componentText)].join('\n');
}
