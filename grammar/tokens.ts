// Every token of the .mtl language. Keywords come before Identifier and use `longer_alt`
// so that `model2` or `inputs` lex as identifiers.
import { createToken, Lexer, type TokenType } from "chevrotain";

// A UTF-8 byte order mark (U+FEFF) some editors put first is white space too.
export const WhiteSpace = createToken({ name: "WhiteSpace", pattern: /[ \t\r\n\uFEFF]+/, group: Lexer.SKIPPED });
export const LineComment = createToken({ name: "LineComment", pattern: /\/\/[^\n\r]*/, group: "comments" });
export const BlockComment = createToken({
  name: "BlockComment",
  pattern: /\/\*[\s\S]*?\*\//,
  group: "comments",
  line_breaks: true,
});

export const Identifier = createToken({ name: "Identifier", pattern: /[A-Za-z_][A-Za-z0-9_]*/ });

const keywordWords: string[] = [];
const keyword = (word: string): TokenType => {
  keywordWords.push(word);
  return createToken({
    name: word[0].toUpperCase() + word.slice(1),
    pattern: new RegExp(word),
    longer_alt: Identifier,
  });
};

export const Import = keyword("import");
export const From = keyword("from");
export const Model = keyword("model");
export const Block = keyword("block");
export const Input = keyword("input");
export const Widths = keyword("widths");
export const Divisor = keyword("divisor");
export const Encoder = keyword("encoder");
export const Task = keyword("task");
export const Head = keyword("head");
export const Decode = keyword("decode");
export const Loss = keyword("loss");
export const Metric = keyword("metric");
export const Budget = keyword("budget");
export const Prefer = keyword("prefer");
export const Train = keyword("train");
export const Return = keyword("return");
export const For = keyword("for");
export const In = keyword("in");
export const Repeat = keyword("repeat");
export const If = keyword("if");
export const Else = keyword("else");
export const Group = keyword("group");
export const Fixed = keyword("fixed");
export const As = keyword("as");
export const True = keyword("true");
export const False = keyword("false");

/** Numbers may carry a unit suffix: 2.5G, 300M, 5K, 1.5T, 60%, 12ms. */
export const NumberLiteral = createToken({
  name: "NumberLiteral",
  pattern: /\d+(?:\.\d+)?(?:[eE][+-]?\d+)?(?:ms|%|[KMGT](?![A-Za-z0-9_]))?/,
});
export const StringLiteral = createToken({ name: "StringLiteral", pattern: /"[^"\\\n\r]*(?:\\.[^"\\\n\r]*)*"/ });

/** Category of every binary operator, so the parser matches them with one token type. */
export const BinaryOperator = createToken({ name: "BinaryOperator", pattern: Lexer.NA });
const op = (name: string, pattern: RegExp): TokenType => createToken({ name, pattern, categories: BinaryOperator });

export const Pipe = createToken({ name: "Pipe", pattern: /\|>/ });
export const OrOr = op("OrOr", /\|\|/);
export const AndAnd = op("AndAnd", /&&/);
export const EqEq = op("EqEq", /==/);
export const NotEq = op("NotEq", /!=/);
export const LtEq = op("LtEq", /<=/);
export const GtEq = op("GtEq", />=/);
export const Arrow = createToken({ name: "Arrow", pattern: /->/ });
export const DotDot = op("DotDot", /\.\./);
export const Lt = op("Lt", /</);
export const Gt = op("Gt", />/);
export const Equals = createToken({ name: "Equals", pattern: /=/ });
export const Plus = op("Plus", /\+/);
export const Minus = op("Minus", /-/);
export const Star = op("Star", /\*/);
export const Slash = op("Slash", /\//);
export const Bang = createToken({ name: "Bang", pattern: /!/ });
export const Question = createToken({ name: "Question", pattern: /\?/ });
export const Colon = createToken({ name: "Colon", pattern: /:/ });
export const Comma = createToken({ name: "Comma", pattern: /,/ });
export const Dot = createToken({ name: "Dot", pattern: /\./ });
export const LParen = createToken({ name: "LParen", pattern: /\(/ });
export const RParen = createToken({ name: "RParen", pattern: /\)/ });
export const LCurly = createToken({ name: "LCurly", pattern: /\{/ });
export const RCurly = createToken({ name: "RCurly", pattern: /\}/ });
export const LBracket = createToken({ name: "LBracket", pattern: /\[/ });
export const RBracket = createToken({ name: "RBracket", pattern: /\]/ });

export const keywords: readonly TokenType[] = [
  Import,
  From,
  Model,
  Block,
  Input,
  Widths,
  Divisor,
  Encoder,
  Task,
  Head,
  Decode,
  Loss,
  Metric,
  Budget,
  Prefer,
  Train,
  Return,
  For,
  In,
  Repeat,
  If,
  Else,
  Group,
  Fixed,
  As,
  True,
  False,
];

/** Keyword spellings, for editors and "did you mean" suggestions. */
export const keywordNames: readonly string[] = keywordWords;

export const allTokens: readonly TokenType[] = [
  WhiteSpace,
  LineComment,
  BlockComment,
  ...keywords,
  Identifier,
  NumberLiteral,
  StringLiteral,
  BinaryOperator,
  Pipe,
  OrOr,
  AndAnd,
  EqEq,
  NotEq,
  LtEq,
  GtEq,
  Arrow,
  DotDot,
  Lt,
  Gt,
  Equals,
  Plus,
  Minus,
  Star,
  Slash,
  Bang,
  Question,
  Colon,
  Comma,
  Dot,
  LParen,
  RParen,
  LCurly,
  RCurly,
  LBracket,
  RBracket,
];

export const mtlLexer = new Lexer(allTokens as TokenType[], { positionTracking: "full", ensureOptimizations: true });
