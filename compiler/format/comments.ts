// Attaches every comment to a neighbouring token by offset, so the printer can emit it when it
// emits that token. A comment on the same line as the token before it trails that token
// (`x = 1 // note`); any other comment leads the token after it (or the end of the file).
import type { IToken } from "chevrotain";

export interface Comment {
  readonly token: IToken;
  readonly isLine: boolean;
  /** Line breaks between the previous token or comment and this comment. */
  readonly newlinesBefore: number;
  /** No line break between this comment and the next token or comment. */
  sameLineAsNext: boolean;
}

export interface CommentMap {
  /** Comments after a token on the line where it ends. */
  readonly after: Map<IToken, Comment[]>;
  /** Comments between the previous token's line and a token. */
  readonly before: Map<IToken, Comment[]>;
  /** Comments after the last token. */
  readonly tail: Comment[];
  /** Line breaks between the previous token or comment and each token. */
  readonly newlinesBefore: Map<IToken, number>;
  /** Whether any comment starts inside [start, end). */
  hasCommentWithin(start: number, end: number): boolean;
}

const LINE_BREAK = /\r\n|\r|\n/g;
export const countNewlines = (s: string): number => s.match(LINE_BREAK)?.length ?? 0;

const end = (t: IToken): number => t.startOffset + t.image.length;

export function attachComments(text: string, tokens: readonly IToken[], comments: readonly IToken[]): CommentMap {
  const after = new Map<IToken, Comment[]>();
  const before = new Map<IToken, Comment[]>();
  const newlinesBefore = new Map<IToken, number>();
  const all = [...tokens.map((t) => ({ t, comment: false })), ...comments.map((t) => ({ t, comment: true }))];
  all.sort((a, b) => a.t.startOffset - b.t.startOffset);

  let lastEnd = 0;
  let prevToken: IToken | undefined;
  let trailing = false; // still on the line where prevToken ends
  let pending: Comment[] = [];
  let lastComment: Comment | undefined;
  for (const { t, comment } of all) {
    const nl = countNewlines(text.slice(lastEnd, t.startOffset));
    if (lastComment) lastComment.sameLineAsNext = nl === 0;
    lastComment = undefined;
    if (nl > 0) trailing = false;
    if (comment) {
      const c: Comment = { token: t, isLine: t.image.startsWith("//"), newlinesBefore: nl, sameLineAsNext: false };
      if (trailing && prevToken) push(after, prevToken, c);
      else pending.push(c);
      if (countNewlines(t.image) > 0) trailing = false;
      lastComment = c;
    } else {
      if (pending.length) before.set(t, pending);
      pending = [];
      newlinesBefore.set(t, nl);
      prevToken = t;
      trailing = true;
    }
    lastEnd = end(t);
  }

  const starts = comments.map((c) => c.startOffset).sort((a, b) => a - b);
  const hasCommentWithin = (start: number, stop: number): boolean => {
    let lo = 0;
    let hi = starts.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (starts[mid] < start) lo = mid + 1;
      else hi = mid;
    }
    return lo < starts.length && starts[lo] < stop;
  };
  return { after, before, tail: pending, newlinesBefore, hasCommentWithin };
}

function push(map: Map<IToken, Comment[]>, key: IToken, c: Comment): void {
  const list = map.get(key);
  if (list) list.push(c);
  else map.set(key, [c]);
}
