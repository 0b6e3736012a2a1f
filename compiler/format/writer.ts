// A line-oriented text sink that knows where comments go. The printer decides structure (which
// tokens, which spaces, where lines break); the writer weaves in the comments attached to each
// token as it is written, and breaks lines that a `//` comment ends.
import type { IToken } from "chevrotain";
import type { Comment, CommentMap } from "./comments";

export const INDENT = 2;
export const CONTINUATION = 4;

export class Writer {
  private done: string[] = [];
  private line = "";
  indent = 0;
  /** A `//` comment ended the line: the next token starts a continuation line. */
  private mustBreak = false;
  /** A block comment was written: the next token is separated from it by a space. */
  private spaceNext = false;
  private pendingSpace = false;

  constructor(
    private readonly comments: CommentMap,
    /** Tokens whose leading comments were already written as whole lines. */
    private readonly leadingDone: Set<IToken> = new Set(),
    /** Trailing comments of this token are left out (a trial layout measures without them). */
    private readonly skipAfter?: IToken,
  ) {}

  /** A writer that continues from this one's current line without changing it, for trial layouts. */
  fork(skipAfter?: IToken): Writer {
    const w = new Writer(this.comments, this.leadingDone, skipAfter);
    w.line = this.line;
    w.indent = this.indent;
    w.mustBreak = this.mustBreak;
    w.spaceNext = this.spaceNext;
    w.pendingSpace = this.pendingSpace;
    return w;
  }

  get continuation(): number {
    return this.indent + CONTINUATION;
  }

  /** Lines written so far (the current one included); multi-line block comments count as several. */
  lines(): string[] {
    return [...this.done, this.line].join("\n").split(/\r\n|\r|\n/);
  }

  atLineStart(): boolean {
    return this.line.trim() === "";
  }

  /** Ends the current line unless it is empty, and starts the next at `indent` columns. */
  freshLine(indent = this.indent): void {
    if (!this.atLineStart()) this.done.push(this.line.trimEnd());
    this.line = " ".repeat(indent);
    this.mustBreak = false;
    this.spaceNext = false;
    this.pendingSpace = false;
  }

  /** One empty line before the current (empty) line; never two in a row, never at the top. */
  blankLine(): void {
    if (this.done.length > 0 && this.done[this.done.length - 1] !== "") this.done.push("");
  }

  /** Asks for a space before whatever is written next (ignored at the start of a line). */
  space(): void {
    this.pendingSpace = true;
  }

  get mustBreakPending(): boolean {
    return this.mustBreak;
  }

  token(t: IToken): void {
    if (!this.leadingDone.has(t)) this.inlineLeading(this.comments.before.get(t));
    this.write(t.image, !/^[)\],.]$/.test(t.image));
    if (t !== this.skipAfter) for (const c of this.comments.after.get(t) ?? []) this.comment(c, false);
  }

  /**
   * Writes the comments before an item's first token as whole lines at the item's indentation,
   * keeping one blank line wherever the source had at least one. Call at the start of a line.
   * For a closing brace (`closing`), no blank line is kept between the comments and the brace.
   */
  leading(t: IToken, allowBlank: boolean, closing = false): void {
    this.leadingDone.add(t);
    const cs = this.comments.before.get(t) ?? [];
    this.commentLines(cs, allowBlank);
    const gap = this.comments.newlinesBefore.get(t) ?? 0;
    if (cs.length && gap > 0) this.freshLine();
    if (!closing && gap >= 2 && (allowBlank || cs.length > 0) && this.atLineStart()) this.blankLine();
  }

  /** Comments after the last token, as whole lines. */
  tail(cs: readonly Comment[], allowBlank: boolean): void {
    this.commentLines(cs, allowBlank);
  }

  /** Each comment on a line of its own, unless it shared a line with the previous one in the source. */
  private commentLines(cs: readonly Comment[], allowBlank: boolean): void {
    cs.forEach((c, i) => {
      if (i === 0 || c.newlinesBefore > 0) {
        this.freshLine();
        if (c.newlinesBefore >= 2 && (allowBlank || i > 0)) this.blankLine();
      }
      this.comment(c, true);
    });
  }

  text(): string {
    this.freshLine(0);
    while (this.done.length && this.done[this.done.length - 1] === "") this.done.pop();
    return this.done.length ? this.done.join("\n") + "\n" : "";
  }

  /** Comments between two tokens of one item: each starts a line if it did in the source. */
  private inlineLeading(cs: readonly Comment[] | undefined): void {
    for (const c of cs ?? []) {
      if (c.newlinesBefore > 0 || this.mustBreak)
        this.freshLine(this.atLineStart() ? this.line.length : this.continuation);
      this.comment(c, true);
    }
  }

  private comment(c: Comment, leading: boolean): void {
    this.pendingSpace = true;
    this.write(c.token.image, true);
    if (c.isLine || (leading && !c.sameLineAsNext)) this.mustBreak = true;
    else this.spaceNext = true;
  }

  private write(s: string, spaceAfterComment: boolean): void {
    if (this.mustBreak) this.freshLine(this.continuation);
    const wantSpace = this.pendingSpace || (this.spaceNext && spaceAfterComment);
    if (wantSpace && !this.atLineStart() && !/[([]$/.test(this.line)) this.line += " ";
    this.line += s;
    this.pendingSpace = false;
    this.spaceNext = false;
  }
}
