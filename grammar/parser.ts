// The .mtl parser: a Chevrotain CstParser with error recovery, so editors get a tree even for
// broken input. One instance is reused (Chevrotain parsers are costly to build).
import { CstParser, type CstNode, type IToken, type ILexingError, type IRecognitionException } from "chevrotain";
import * as T from "./tokens";

/** Thrown out of the parser once it has saved `maxErrors` errors: recovery from 100k errors takes minutes. */
class TooManyErrors extends Error {}

class MtlParser extends CstParser {
  maxErrors = Infinity;

  constructor() {
    super(T.allTokens as never, { recoveryEnabled: true, maxLookahead: 3, nodeLocationTracking: "onlyOffset" });
    this.performSelfAnalysis();
  }

  // Chevrotain's hook for every recognition error (recovery included).
  SAVE_ERROR(error: IRecognitionException): IRecognitionException {
    if (this.errors.length >= this.maxErrors) throw new TooManyErrors();
    return (
      CstParser.prototype as unknown as { SAVE_ERROR(e: IRecognitionException): IRecognitionException }
    ).SAVE_ERROR.call(this, error);
  }

  /** Calls and indexing must start on the line their callee ends on: `x = a` then `[b] = c` is two statements. */
  private sameLine = (): boolean => this.LA(1).startLine === this.LA(0).endLine;

  public program = this.RULE("program", () => {
    this.MANY(() =>
      this.OR([
        { ALT: () => this.SUBRULE(this.importDecl) },
        { ALT: () => this.SUBRULE(this.blockDecl) },
        { ALT: () => this.SUBRULE(this.modelDecl) },
      ]),
    );
  });

  private importDecl = this.RULE("importDecl", () => {
    this.CONSUME(T.Import);
    this.CONSUME(T.LCurly);
    this.MANY_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.importSpec) });
    this.CONSUME(T.RCurly);
    this.CONSUME(T.From);
    this.CONSUME(T.StringLiteral);
  });

  private importSpec = this.RULE("importSpec", () => {
    this.CONSUME(T.Identifier, { LABEL: "name" });
    this.OPTION(() => {
      this.CONSUME(T.As);
      this.CONSUME2(T.Identifier, { LABEL: "alias" });
    });
  });

  private blockDecl = this.RULE("blockDecl", () => {
    this.CONSUME(T.Block);
    this.CONSUME(T.Identifier, { LABEL: "name" });
    this.CONSUME(T.LParen);
    this.MANY_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.paramDecl) });
    this.CONSUME(T.RParen);
    this.OPTION(() => {
      this.CONSUME(T.Arrow);
      this.SUBRULE(this.typeRef, { LABEL: "returns" });
    });
    this.SUBRULE(this.body);
  });

  private paramDecl = this.RULE("paramDecl", () => {
    this.CONSUME(T.Identifier, { LABEL: "name" });
    this.OPTION(() => {
      this.CONSUME(T.Colon);
      this.SUBRULE(this.typeRef);
    });
    this.OPTION2(() => {
      this.CONSUME(T.Equals);
      this.SUBRULE(this.expression, { LABEL: "default" });
    });
  });

  /** int, float, bool, string, tensor, and lists of them: int[], tensor[]. */
  private typeRef = this.RULE("typeRef", () => {
    this.CONSUME(T.Identifier, { LABEL: "name" });
    this.MANY(() => {
      this.CONSUME(T.LBracket);
      this.CONSUME(T.RBracket);
    });
  });

  private body = this.RULE("body", () => {
    this.CONSUME(T.LCurly);
    this.MANY(() => this.SUBRULE(this.statement));
    this.CONSUME(T.RCurly);
  });

  private statement = this.RULE("statement", () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.returnStmt) },
      { ALT: () => this.SUBRULE(this.forStmt) },
      { ALT: () => this.SUBRULE(this.repeatStmt) },
      { ALT: () => this.SUBRULE(this.ifStmt) },
      { ALT: () => this.SUBRULE(this.groupStmt) },
      { ALT: () => this.SUBRULE(this.assignStmt) },
    ]);
  });

  private assignStmt = this.RULE("assignStmt", () => {
    this.SUBRULE(this.target);
    this.CONSUME(T.Equals);
    this.SUBRULE(this.expression, { LABEL: "value" });
  });

  /** `x` or `[a, b, c]` (destructuring a list of outputs). */
  private target = this.RULE("target", () => {
    this.OR([
      { ALT: () => this.CONSUME(T.Identifier, { LABEL: "name" }) },
      {
        ALT: () => {
          this.CONSUME(T.LBracket);
          this.AT_LEAST_ONE_SEP({ SEP: T.Comma, DEF: () => this.CONSUME2(T.Identifier, { LABEL: "names" }) });
          this.CONSUME(T.RBracket);
        },
      },
    ]);
  });

  private returnStmt = this.RULE("returnStmt", () => {
    this.CONSUME(T.Return);
    this.SUBRULE(this.expression, { LABEL: "value" });
  });

  private forStmt = this.RULE("forStmt", () => {
    this.CONSUME(T.For);
    this.CONSUME(T.Identifier, { LABEL: "variable" });
    this.CONSUME(T.In);
    this.SUBRULE(this.expression, { LABEL: "iterable" });
    this.SUBRULE(this.body);
  });

  private repeatStmt = this.RULE("repeatStmt", () => {
    this.CONSUME(T.Repeat);
    this.SUBRULE(this.expression, { LABEL: "count" });
    this.SUBRULE(this.body);
  });

  private ifStmt = this.RULE("ifStmt", () => {
    this.CONSUME(T.If);
    this.SUBRULE(this.expression, { LABEL: "condition" });
    this.SUBRULE(this.body, { LABEL: "then" });
    this.OPTION(() => {
      this.CONSUME(T.Else);
      this.OR([
        { ALT: () => this.SUBRULE(this.ifStmt, { LABEL: "elseIf" }) },
        { ALT: () => this.SUBRULE2(this.body, { LABEL: "else" }) },
      ]);
    });
  });

  private groupStmt = this.RULE("groupStmt", () => {
    this.CONSUME(T.Group);
    this.CONSUME(T.Identifier, { LABEL: "name" });
    this.SUBRULE(this.body);
  });

  private modelDecl = this.RULE("modelDecl", () => {
    this.CONSUME(T.Model);
    this.CONSUME(T.Identifier, { LABEL: "name" });
    this.CONSUME(T.LCurly);
    this.MANY(() =>
      this.OR([
        { ALT: () => this.SUBRULE(this.inputDecl) },
        { ALT: () => this.SUBRULE(this.widthsDecl) },
        { ALT: () => this.SUBRULE(this.divisorDecl) },
        { ALT: () => this.SUBRULE(this.encoderDecl) },
        { ALT: () => this.SUBRULE(this.taskDecl) },
        { ALT: () => this.SUBRULE(this.budgetDecl) },
        { ALT: () => this.SUBRULE(this.preferDecl) },
        { ALT: () => this.SUBRULE(this.trainDecl) },
        { ALT: () => this.SUBRULE(this.assignStmt) },
      ]),
    );
    this.CONSUME(T.RCurly);
  });

  /** `input image: f32[N, 3, 224, 224]`, optionally `as image(mean: [...], std: [...])` */
  private inputDecl = this.RULE("inputDecl", () => {
    this.CONSUME(T.Input);
    this.CONSUME(T.Identifier, { LABEL: "name" });
    this.CONSUME(T.Colon);
    this.CONSUME2(T.Identifier, { LABEL: "dtype" });
    this.CONSUME(T.LBracket);
    this.AT_LEAST_ONE_SEP({
      SEP: T.Comma,
      DEF: () =>
        this.OR([
          { ALT: () => this.CONSUME3(T.Identifier, { LABEL: "dims" }) },
          { ALT: () => this.CONSUME(T.NumberLiteral, { LABEL: "dims" }) },
        ]),
    });
    this.CONSUME(T.RBracket);
    this.OPTION(() => {
      this.CONSUME(T.As);
      this.SUBRULE(this.expression, { LABEL: "preprocess" });
    });
  });

  private widthsDecl = this.RULE("widthsDecl", () => {
    this.CONSUME(T.Widths);
    this.AT_LEAST_ONE_SEP({ SEP: T.Comma, DEF: () => this.CONSUME(T.NumberLiteral, { LABEL: "values" }) });
  });

  private divisorDecl = this.RULE("divisorDecl", () => {
    this.CONSUME(T.Divisor);
    this.CONSUME(T.NumberLiteral, { LABEL: "value" });
  });

  private encoderDecl = this.RULE("encoderDecl", () => {
    this.CONSUME(T.Encoder);
    this.SUBRULE(this.target);
    this.CONSUME(T.Equals);
    this.SUBRULE(this.expression, { LABEL: "value" });
  });

  private taskDecl = this.RULE("taskDecl", () => {
    this.CONSUME(T.Task);
    this.CONSUME(T.Identifier, { LABEL: "name" });
    this.CONSUME(T.LCurly);
    this.MANY(() =>
      this.OR([
        { ALT: () => this.SUBRULE(this.headClause) },
        { ALT: () => this.SUBRULE(this.decodeClause) },
        { ALT: () => this.SUBRULE(this.lossClause) },
        { ALT: () => this.SUBRULE(this.metricClause) },
      ]),
    );
    this.CONSUME(T.RCurly);
  });

  private headClause = this.RULE("headClause", () => {
    this.CONSUME(T.Head);
    this.SUBRULE(this.expression, { LABEL: "value" });
  });

  private decodeClause = this.RULE("decodeClause", () => {
    this.CONSUME(T.Decode);
    this.SUBRULE(this.expression, { LABEL: "value" });
  });

  /** `loss cross_entropy` or `loss cross_entropy(ignore: 255)` */
  private lossClause = this.RULE("lossClause", () => {
    this.CONSUME(T.Loss);
    this.CONSUME(T.Identifier, { LABEL: "name" });
    this.OPTION({ GATE: this.sameLine, DEF: () => this.SUBRULE(this.callSuffix, { LABEL: "args" }) });
  });

  private metricClause = this.RULE("metricClause", () => {
    this.CONSUME(T.Metric);
    this.CONSUME(T.Identifier, { LABEL: "name" });
  });

  /** `budget macs <= 60%`, `budget params <= 5M`, `budget latency <= 12ms` */
  private budgetDecl = this.RULE("budgetDecl", () => {
    this.CONSUME(T.Budget);
    this.CONSUME(T.Identifier, { LABEL: "metric" });
    this.CONSUME(T.LtEq);
    this.SUBRULE(this.expression, { LABEL: "value" });
  });

  /** `prefer semseg: 0.5, depth: 0.3` */
  private preferDecl = this.RULE("preferDecl", () => {
    this.CONSUME(T.Prefer);
    this.AT_LEAST_ONE_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.preferEntry) });
  });

  private preferEntry = this.RULE("preferEntry", () => {
    this.CONSUME(T.Identifier, { LABEL: "task" });
    this.CONSUME(T.Colon);
    this.SUBRULE(this.expression, { LABEL: "value" });
  });

  /**
   * `train { optimizer sgd(lr: 0.1) epochs 10 distill outputs: 1.0, features: 0.5 }`: each setting
   * is a name and one or more arguments. Setting names are identifiers, not keywords, so they stay
   * usable as names elsewhere; the elaborator knows them.
   */
  private trainDecl = this.RULE("trainDecl", () => {
    this.CONSUME(T.Train);
    this.CONSUME(T.LCurly);
    this.MANY(() => this.SUBRULE(this.trainSetting));
    this.CONSUME(T.RCurly);
  });

  private trainSetting = this.RULE("trainSetting", () => {
    this.CONSUME(T.Identifier, { LABEL: "name" });
    this.AT_LEAST_ONE_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.argument) });
  });

  // Expressions, loosest first: ternary < pipe < binary operators (|| < && < equality < comparison
  // < range < + - < * /, resolved in cst-to-ast) < unary < postfix.

  public expression = this.RULE("expression", () => {
    this.SUBRULE(this.pipeExpr, { LABEL: "condition" });
    this.OPTION(() => {
      this.CONSUME(T.Question);
      this.SUBRULE(this.expression, { LABEL: "then" });
      this.CONSUME(T.Colon);
      this.SUBRULE2(this.expression, { LABEL: "else" });
    });
  });

  private pipeExpr = this.RULE("pipeExpr", () => {
    this.SUBRULE(this.binaryExpr, { LABEL: "operands" });
    this.MANY(() => {
      this.CONSUME(T.Pipe);
      this.SUBRULE2(this.binaryExpr, { LABEL: "operands" });
    });
  });

  /**
   * All binary operators in one flat rule (operands and operators alternate); precedence is
   * applied when building the AST. One rule instead of eight precedence levels makes parsing
   * several times faster, since every leaf no longer descends through a rule per level.
   */
  private binaryExpr = this.RULE("binaryExpr", () => {
    this.SUBRULE(this.unaryExpr, { LABEL: "operands" });
    this.MANY(() => {
      this.CONSUME(T.BinaryOperator, { LABEL: "operators" });
      this.SUBRULE2(this.unaryExpr, { LABEL: "operands" });
    });
  });

  private unaryExpr = this.RULE("unaryExpr", () => {
    this.OR([
      {
        ALT: () => {
          this.OR2([
            { ALT: () => this.CONSUME(T.Minus, { LABEL: "operator" }) },
            { ALT: () => this.CONSUME(T.Bang, { LABEL: "operator" }) },
            { ALT: () => this.CONSUME(T.Fixed, { LABEL: "operator" }) },
          ]);
          this.SUBRULE(this.unaryExpr, { LABEL: "operand" });
        },
      },
      { ALT: () => this.SUBRULE(this.postfixExpr, { LABEL: "operand" }) },
    ]);
  });

  private postfixExpr = this.RULE("postfixExpr", () => {
    this.SUBRULE(this.primary);
    // The gate sits on the loop itself: Chevrotain decides to iterate from the next token alone.
    this.MANY({
      GATE: () => this.LA(1).tokenType === T.Dot || this.sameLine(),
      DEF: () =>
        this.OR([
          { ALT: () => this.SUBRULE(this.callSuffix, { LABEL: "suffixes" }) },
          { ALT: () => this.SUBRULE(this.indexSuffix, { LABEL: "suffixes" }) },
          { ALT: () => this.SUBRULE(this.memberSuffix, { LABEL: "suffixes" }) },
        ]),
    });
    this.OPTION(() => {
      this.CONSUME(T.As);
      this.SUBRULE(this.labelPath);
    });
  });

  private callSuffix = this.RULE("callSuffix", () => {
    this.CONSUME(T.LParen);
    this.MANY_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.argument) });
    this.CONSUME(T.RParen);
  });

  private argument = this.RULE("argument", () => {
    this.OPTION({
      GATE: () => this.LA(2).tokenType === T.Colon,
      DEF: () => {
        this.CONSUME(T.Identifier, { LABEL: "name" });
        this.CONSUME(T.Colon);
      },
    });
    this.SUBRULE(this.expression, { LABEL: "value" });
  });

  private indexSuffix = this.RULE("indexSuffix", () => {
    this.CONSUME(T.LBracket);
    this.SUBRULE(this.expression, { LABEL: "index" });
    this.CONSUME(T.RBracket);
  });

  private memberSuffix = this.RULE("memberSuffix", () => {
    this.CONSUME(T.Dot);
    this.CONSUME(T.Identifier, { LABEL: "name" });
  });

  /** A layer label: `as conv1`, `as layer1.0`, `as (i)` (computed). */
  private labelPath = this.RULE("labelPath", () => {
    this.AT_LEAST_ONE_SEP({ SEP: T.Dot, DEF: () => this.SUBRULE(this.labelPart, { LABEL: "parts" }) });
  });

  private labelPart = this.RULE("labelPart", () => {
    this.OR([
      { ALT: () => this.CONSUME(T.Identifier, { LABEL: "name" }) },
      { ALT: () => this.CONSUME(T.NumberLiteral, { LABEL: "index" }) },
      {
        ALT: () => {
          this.CONSUME(T.LParen);
          this.SUBRULE(this.expression, { LABEL: "computed" });
          this.CONSUME(T.RParen);
        },
      },
    ]);
  });

  private primary = this.RULE("primary", () => {
    this.OR([
      { ALT: () => this.CONSUME(T.NumberLiteral, { LABEL: "number" }) },
      { ALT: () => this.CONSUME(T.StringLiteral, { LABEL: "string" }) },
      { ALT: () => this.CONSUME(T.True, { LABEL: "bool" }) },
      { ALT: () => this.CONSUME(T.False, { LABEL: "bool" }) },
      { ALT: () => this.CONSUME(T.Identifier, { LABEL: "name" }) },
      {
        ALT: () => {
          this.CONSUME(T.LParen);
          this.SUBRULE(this.expression, { LABEL: "inner" });
          this.CONSUME(T.RParen);
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.LBracket, { LABEL: "list" });
          this.MANY_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE2(this.expression, { LABEL: "items" }) });
          this.CONSUME(T.RBracket);
        },
      },
    ]);
  });
}

export const parser = new MtlParser();
export type { MtlParser };

export interface ParseOptions {
  /** Deepest nesting of (), [] and {} parsed; deeper input is not parsed (the parser recurses per level). */
  maxNesting?: number;
  /** Parse errors after which the parser stops. */
  maxErrors?: number;
}

export interface ParseOutput {
  cst: CstNode;
  tokens: IToken[];
  comments: IToken[];
  lexErrors: ILexingError[];
  parseErrors: IRecognitionException[];
  /** The opening bracket that went past maxNesting, when one did (the CST is then empty). */
  tooDeep?: IToken;
  /** True when parsing stopped at maxErrors (the CST is then empty). */
  gaveUp?: boolean;
}

const OPENERS = new Set(["LParen", "LBracket", "LCurly"]);
const CLOSERS = new Set(["RParen", "RBracket", "RCurly"]);

function tooDeep(tokens: IToken[], max: number): IToken | undefined {
  let depth = 0;
  for (const t of tokens) {
    const name = t.tokenType.name;
    if (OPENERS.has(name) && ++depth > max) return t;
    if (CLOSERS.has(name) && depth > 0) depth--;
  }
  return undefined;
}

function emptyProgram(): CstNode {
  parser.input = [];
  return parser.program();
}

/** Lexes and parses one source text. Never throws for bad input: errors come back as values. */
export function parseText(text: string, opts: ParseOptions = {}): ParseOutput {
  const lexed = T.mtlLexer.tokenize(text);
  const base = { tokens: lexed.tokens, comments: (lexed.groups.comments ?? []) as IToken[], lexErrors: lexed.errors };
  const deep = opts.maxNesting === undefined ? undefined : tooDeep(lexed.tokens, opts.maxNesting);
  if (deep) return { ...base, cst: emptyProgram(), parseErrors: [], tooDeep: deep };
  parser.maxErrors = opts.maxErrors ?? Infinity;
  parser.input = lexed.tokens;
  try {
    const cst = parser.program();
    return { ...base, cst, parseErrors: [...parser.errors] };
  } catch (e) {
    if (!(e instanceof TooManyErrors)) throw e;
    const parseErrors = [...parser.errors];
    return { ...base, cst: emptyProgram(), parseErrors, gaveUp: true };
  } finally {
    parser.maxErrors = Infinity;
  }
}
