#!/usr/bin/env python3
"""RTL mutants of rtl/*.sv, all in one build, selected at run time.

Every mutation site (the right-hand side of an assignment, or the condition of an `if`) is
rewritten as a chain `(mut_id == K1) ? <mutant 1> : ... : <original>`, where `mx_pkg::mut_id`
is a package variable the top module reads from the plusarg `+MUT=K` (0, the default, is the
unmutated design). One Verilator build then runs every mutant.

Mutation operators (each mutant changes one token, or negates one condition):
  op    binary operator swapped (+ -, & |, ^ |, && ||, == !=, < <=, > >=, << >>, * +)
  unary `~`, `!` or unary `-` removed
  const literal +1 / -1 (sized literals keep their width), '0 <-> '1, 1'b0 <-> 1'b1
  slice constant bit index -1, part-select [h:l] narrowed from the top or the bottom
  cond  `if` condition or `?:` condition negated
Widths and signedness of every mutant equal the original's (no cast or $signed is touched,
slices only narrow), so the chain evaluates the original arm exactly as before: MUT=0 is
asserted to pass every suite (mutation/rtl/run.sh).

Usage: mutate.py OUT_DIR          writes OUT_DIR/*.sv (all mutants) and OUT_DIR/mutants.tsv
       mutate.py --single K OUT   writes OUT/*.sv with only mutant K applied, as plain code
"""

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FILES = ["mx_pkg.sv", "mx_dot_mul.sv", "mx_dot_align.sv", "mx_dot_add.sv", "mx_dot_acc.sv",
         "mx_dot_round.sv", "mx_dot.sv"]

TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<sized>\d+'[sS]?[dDhHbB][0-9a-fA-F_]+)
  | (?P<fill>'[01])
  | (?P<int>\d+)
  | (?P<id>[A-Za-z_$][A-Za-z0-9_$]*(?:::[A-Za-z_][A-Za-z0-9_]*)?)
  | (?P<op><<<|>>>|===|!==|==|!=|<=|>=|&&|\|\||<<|>>|\+:|-:|\|=|&=|\^=|\+\+|--|[-+*/%&|^~!<>?:=(){}\[\],;.'#@])
""", re.X)

BINARY = {"+": "-", "-": "+", "&": "|", "|": "&", "^": "|", "&&": "||", "||": "&&",
          "==": "!=", "!=": "==", "<": "<=", "<=": "<", ">": ">=", ">=": ">", "<<": ">>",
          ">>": "<<", "*": "+"}
# Tokens after which + - & | are unary.
UNARY_BEFORE = {None, "(", ",", "?", ":", "{", "=", "<=", "|=", "&=", "!", "~", "&&", "||",
                "==", "!=", "<", ">", ">=", "+", "-", "*", "&", "|", "^", "<<", ">>", "["}
SKIP_LINE = {"localparam", "parameter", "typedef", "for", "return", "function", "endfunction",
             "module", "endmodule", "package", "endpackage", "input", "output", "import",
             "always_ff", "always_comb", "unique", "case", "endcase", "logic", "int",
             "dec_t", "fmt_info_t", "acc_t", "flags_t", "ctrl_t", "specials_e", "fmt_e"}


def tokens(text):
    out, pos = [], 0
    while pos < len(text):
        m = TOKEN.match(text, pos)
        if not m:
            raise SystemExit(f"mutate.py: cannot tokenise {text[pos:pos + 30]!r}")
        if m.lastgroup != "ws":
            out.append((m.lastgroup, m.group(), m.start(), m.end()))
        pos = m.end()
    return out


def sized_variants(tok):
    m = re.fullmatch(r"(\d+)'([sS]?)([dDhHbB])([0-9a-fA-F_]+)", tok)
    w, s, base, digits = int(m.group(1)), m.group(2), m.group(3).lower(), m.group(4)
    radix = {"d": 10, "h": 16, "b": 2}[base]
    v = int(digits.replace("_", ""), radix)
    fmt = {"d": lambda x: str(x), "h": lambda x: format(x, "x"), "b": lambda x: format(x, "b")}
    out = []
    for nv in (v + 1, v - 1):
        if 0 <= nv < (1 << w):
            out.append(f"{w}'{s}{m.group(3)}{fmt[base](nv)}")
    return out


def span_mutants(text, toks):
    """Mutants of an expression: (operator class, description, new text)."""
    out = []
    depth_sq = 0
    # Tokens of a parenthesised cast width, `(W + 1)'(x)`: never mutated (the width would change).
    in_cast, stack = set(), []
    for i, (_, t, _, _) in enumerate(toks):
        if t == "(":
            stack.append(i)
        elif t == ")" and stack:
            o = stack.pop()
            if i + 1 < len(toks) and toks[i + 1][1] == "'":
                in_cast.update(range(o, i + 1))
    for i, (kind, t, s, e) in enumerate(toks):
        if i in in_cast:
            continue
        prev = toks[i - 1][1] if i else None
        nxt = toks[i + 1][1] if i + 1 < len(toks) else None
        if t == "[":
            depth_sq += 1
        elif t == "]":
            depth_sq -= 1

        def sub(new, cls, what):
            out.append((cls, what, text[:s] + new + text[e:]))

        if kind == "op":
            unary = prev in UNARY_BEFORE
            if t in ("~", "!"):
                sub("", "unary", f"remove {t}")
            elif t == "-" and unary:
                sub("", "unary", "remove unary -")
            elif t in BINARY and not unary and depth_sq == 0:
                sub(BINARY[t], "op", f"{t} -> {BINARY[t]}")
        elif kind == "sized":
            if nxt == "'":
                continue
            for nv in sized_variants(t):
                sub(nv, "const", f"{t} -> {nv}")
        elif kind == "fill":
            nv = "'1" if t == "'0" else "'0"
            sub(nv, "const", f"{t} -> {nv}")
        elif kind == "int":
            if nxt == "'":
                continue  # a cast's width
            v = int(t)
            if depth_sq == 0:
                for nv in (v + 1, v - 1):
                    if nv >= 0:
                        sub(str(nv), "const", f"{t} -> {nv}")
            elif prev == "[" and nxt == "]" and v > 0:
                sub(str(v - 1), "slice", f"[{t}] -> [{v - 1}]")
            elif prev == "[" and nxt == ":":
                lo = toks[i + 2]
                if lo[0] == "int" and toks[i + 3][1] == "]" and v > int(lo[1]):
                    sub(str(v - 1), "slice", f"[{t}:{lo[1]}] -> [{v - 1}:{lo[1]}]")
                    out.append(("slice", f"[{t}:{lo[1]}] -> [{t}:{int(lo[1]) + 1}]",
                                text[:lo[2]] + str(int(lo[1]) + 1) + text[lo[3]:]))
        # Ternary conditions: from the start of the enclosing group to the `?`.
        if t == "?":
            d, j = 0, i - 1
            while j >= 0:
                tj = toks[j][1]
                if tj in (")", "]", "}"):
                    d += 1
                elif tj in ("(", "[", "{"):
                    if d == 0:
                        break
                    d -= 1
                elif d == 0 and tj in (",", ":", "?"):
                    break
                j -= 1
            cs, ce = toks[j + 1][2], s
            cond = text[cs:ce].rstrip()
            out.append(("cond", f"negate ?: condition {cond}",
                        text[:cs] + f"!({cond}) " + text[ce:]))
    return out


def nocomment(line):
    """The line with a trailing // comment blanked (offsets kept)."""
    k = line.find("//")
    return line if k < 0 else line[:k] + " " * (len(line) - k)


def statements(src):
    """Logical lines (continuations joined while parentheses are open): (start, end, text)."""
    lines = src.split("\n")
    pos, i = 0, 0
    offs = []
    for ln in lines:
        offs.append(pos)
        pos += len(ln) + 1
    while i < len(lines):
        start, j = i, i
        body = nocomment(lines[i])
        while body.count("(") > body.count(")") and j + 1 < len(lines):
            j += 1
            body += "\n" + nocomment(lines[j])
        yield start, j, offs[start], body
        i = j + 1


def sites(src):
    """Mutation sites of one file: (line, kind, start, end) spans in src; kind rhs or cond."""
    out = []
    for ln, _, off, body in statements(src):
        toks = tokens(body)
        if not toks or toks[0][1] in SKIP_LINE or toks[-1][1] not in (";", "begin", ")"):
            continue
        i = 0
        while i < len(toks) and toks[i][1] in ("end", "else", "begin"):
            i += 1
        if i < len(toks) and toks[i][1] == "assign":
            i += 1
        # A case label `Name:`
        if i + 1 < len(toks) and toks[i][0] == "id" and toks[i + 1][1] == ":":
            i += 2
        if i < len(toks) and toks[i][1] == "if":
            d, j = 0, i + 1
            while True:
                if toks[j][1] == "(":
                    d += 1
                elif toks[j][1] == ")":
                    d -= 1
                    if d == 0:
                        break
                j += 1
            out.append((ln, "cond", off + toks[i + 2][2], off + toks[j][2]))
            i = j + 1
        while i < len(toks) and toks[i][1] in ("begin",):
            i += 1
        if i >= len(toks) or toks[i][0] != "id" or toks[i][1] in SKIP_LINE:
            continue
        # LHS up to the first assignment operator at depth 0.
        d, j = 0, i
        while j < len(toks):
            t = toks[j][1]
            if t in ("(", "[", "{"):
                d += 1
            elif t in (")", "]", "}"):
                d -= 1
            elif d == 0 and t in ("=", "<=", "|=", "&="):
                break
            elif t == ";":
                j = len(toks)
                break
            j += 1
        if j >= len(toks):
            continue
        k = j + 1
        while toks[k][1] != ";":
            k += 1
        out.append((ln, "rhs", off + toks[j + 1][2], off + toks[k - 1][3]))
    return out


def main():
    args = sys.argv[1:]
    single = None
    if args and args[0] == "--single":
        single, args = int(args[1]), args[2:]
    if len(args) != 1:
        raise SystemExit(__doc__)
    out_dir = Path(args[0])
    out_dir.mkdir(parents=True, exist_ok=True)
    mid = 0
    table = []
    for name in FILES:
        src = (ROOT / "rtl" / name).read_text()
        ref = "mut_id" if name == "mx_pkg.sv" else "mx_pkg::mut_id"
        edits = []  # (start, end, replacement), in file order
        for ln, kind, s, e in sites(src):
            orig = src[s:e]
            ms = span_mutants(orig, tokens(orig))
            # Negating `!x` is the same mutant as removing the `!`.
            if kind == "cond" and not (orig.startswith("!") and any(t == orig[1:] for *_, t in ms)):
                ms.append(("cond", "negate if condition", f"!({orig})"))
            if not ms:
                continue
            arms = []
            for cls, what, text in ms:
                mid += 1
                table.append((mid, name, ln + 1, cls, what))
                arms.append((mid, text))
            if single is not None:
                for m, text in arms:
                    if m == single:
                        edits.append((s, e, text))
            else:
                chain = "".join(f"({ref} == {m}) ? ({text}) : " for m, text in arms)
                edits.append((s, e, f"{chain}({orig})"))
        for s, e, rep in reversed(edits):
            src = src[:s] + rep + src[e:]
        if name == "mx_pkg.sv" and single is None:
            src = src.replace("package mx_pkg;",
                              "package mx_pkg;\n  int unsigned mut_id;  // the mutant: +MUT=K, 0 none", 1)
        if name == "mx_dot.sv" and single is None:
            src = src.replace("  ctrl_t ctrl;", "  initial begin\n"
                              "    if (!$value$plusargs(\"MUT=%d\", mx_pkg::mut_id)) mx_pkg::mut_id = 0;\n"
                              "  end\n\n  ctrl_t ctrl;", 1)
        (out_dir / name).write_text(src)
    with open(out_dir / "mutants.tsv", "w") as f:
        f.write("id\tfile\tline\tclass\tmutation\n")
        for row in table:
            f.write("\t".join(str(x) for x in row) + "\n")
    print(f"mutate.py: {mid} mutants in {out_dir}", file=sys.stderr)


if __name__ == "__main__":
    main()
