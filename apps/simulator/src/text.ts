/** Text of a chat message or Responses input `content`: a string, or parts whose text parts are joined with "\n". */
export function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  let out = '';
  let first = true;
  for (const part of content) {
    const type = part !== null && typeof part === 'object' ? (part as { type?: unknown }).type : undefined;
    if (type === 'text' || type === 'input_text') {
      const text = (part as { text?: unknown }).text;
      if (typeof text === 'string') {
        out = first ? text : `${out}\n${text}`;
        first = false;
      }
    }
  }
  return out;
}

/** Whitespace-separated words; a hand loop avoids allocating a split array per request. */
export function countWords(text: string): number {
  let n = 0;
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    if (isSpaceCode(text.charCodeAt(i))) inWord = false;
    else if (!inWord) {
      inWord = true;
      n++;
    }
  }
  return n;
}

/** Same set as the regex class \s, without a regex call per character. */
function isSpaceCode(c: number): boolean {
  if (c <= 32) return c === 32 || (c >= 9 && c <= 13);
  if (c < 160) return false;
  return (
    c === 160 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 ||
    c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff
  );
}

/**
 * One piece per word with the preceding whitespace attached (trailing whitespace goes to the
 * last piece), so joining the pieces reproduces `text` exactly.
 */
export function splitWords(text: string): string[] {
  const pieces: string[] = [];
  let start = 0;
  let i = 0;
  while (i < text.length) {
    while (i < text.length && isSpaceCode(text.charCodeAt(i))) i++;
    if (i >= text.length) break;
    while (i < text.length && !isSpaceCode(text.charCodeAt(i))) i++;
    pieces.push(text.slice(start, i));
    start = i;
  }
  if (start < text.length) {
    const tail = text.slice(start);
    const last = pieces.pop();
    pieces.push(last === undefined ? tail : last + tail);
  }
  return pieces;
}
