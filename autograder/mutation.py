"""Mutation testing of a chapter's tests: do they catch small, plausible mistakes?

    python -m autograder.mutation CH [--max N] [--jobs N] [--out build/mutation/CH.json]

For every solution cell of the chapter's source notebook (nbgrader `solution:
true`), the code between `### BEGIN SOLUTION` and `### END SOLUTION` is parsed
with `ast` and mutated one small change at a time:

| kind | change |
|---|---|
| `arith` | `+` <-> `-`, `*` <-> `/`, `//` -> `/`, `@` -> `*`, `**` -> `*` (also in `x += ...`) |
| `compare` | `<` <-> `<=`, `>` <-> `>=`, `==` <-> `!=`, `is` <-> `is not`, `in` <-> `not in` |
| `constant` | a number `c` -> `c + 1`, `0`; `0` -> `1`; `2` -> `1`; `-c` likewise |
| `axis` | `axis=-1` -> `axis=0` / `axis=1` (and every other choice among -1, 0, 1) |
| `flag` | any `True` / `False` flipped (`return_sequences`, `go_backwards`, `mask_zero`, `keepdims`, ...) |
| `flag-add` | a recurrent layer given `go_backwards=True` or `return_sequences=True`, an `Embedding` given `mask_zero=True` |
| `string` | a keyword string with a known alternative: `activation="softmax"` -> `"linear"` / `"sigmoid"`, `merge_mode`, `padding`, `loss` |
| `reduction` | `sum` <-> `mean`, `max` <-> `min`, `argmax` <-> `argmin`, `maximum` <-> `minimum`, `prod` -> `sum` |
| `unary` | `-x` -> `x`, `not x` -> `x` |
| `drop-keyword` | a keyword argument removed (`dtype=float`, `nodelist=...`) |
| `swap-args` | two neighbouring positional arguments of a call swapped |
| `swap-operands` | the operands of a non-commutative operator swapped (`a - b`, `a / b`, `a @ b`) |
| `swap-index` | neighbouring indices swapped (`B[:, x]` -> `B[x, :]`) |
| `unwrap` | a call replaced by its first argument (`Bidirectional(GRU(..))` -> `GRU(..)`, `Dense(..)(x)` -> `x`, `float(x)` -> `x`), `x.astype(..)` -> `x`, `x.T` -> `x` |
| `delete` | a statement replaced by `pass` |

Mutants whose cell is the same program as the original or as an earlier mutant
(same `ast.dump`) are dropped. Each mutant is the solution notebook with that
one cell replaced; all of them are graded as pseudo-students in one private
nbgrader course (`keras_patterns.grading.Grader`, the same path as `kp grade`),
after the unchanged solution (which must get full marks). A mutant is *caught*
when it loses any point, or cannot be graded at all.

The report (JSON) lists every mutant, the points each test cell lost, and the
score `caught / (mutants - equivalent)`. Survivors are examined by a person:
their verdicts (`equivalent` with a justification, or `weakness` with the
assert that kills it) live in the committed report
`autograder/mutation/<chapter>.json` and are carried over to every new run
(matched by mutant id and mutant source). `--extra-tests FILE` grades against
a temporary copy of the chapter whose test cells have extra asserts appended,
to prove that a proposed assert kills its survivors and keeps the solution's
full marks, without touching the notebook.

Not part of the `keras_patterns` package: a tool for the course's authors.
"""

from __future__ import annotations

import argparse
import ast
import concurrent.futures
import contextlib
import copy
import dataclasses
import difflib
import hashlib
import inspect
import json
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

TOOL_VERSION = 1

#: Binary operator swaps (ast class name -> replacements).
ARITH_SWAPS = {
    "Add": ["Sub"],
    "Sub": ["Add"],
    "Mult": ["Div"],
    "Div": ["Mult"],
    "FloorDiv": ["Div"],
    "MatMult": ["Mult"],
    "Pow": ["Mult"],
    "Mod": ["FloorDiv"],
}
#: Operators whose operands are worth swapping (a - b != b - a).
NON_COMMUTATIVE = ("Sub", "Div", "FloorDiv", "MatMult", "Pow", "Mod")

COMPARE_SWAPS = {
    "Lt": ["LtE"],
    "LtE": ["Lt"],
    "Gt": ["GtE"],
    "GtE": ["Gt"],
    "Eq": ["NotEq"],
    "NotEq": ["Eq"],
    "Is": ["IsNot"],
    "IsNot": ["Is"],
    "In": ["NotIn"],
    "NotIn": ["In"],
}

#: Function or method names swapped for another reduction (np.sum, x.mean, ops.max, ...).
REDUCTION_SWAPS = {
    "sum": ["mean"],
    "mean": ["sum"],
    "max": ["min"],
    "min": ["max"],
    "amax": ["amin"],
    "amin": ["amax"],
    "argmax": ["argmin"],
    "argmin": ["argmax"],
    "nansum": ["nanmean"],
    "nanmean": ["nansum"],
    "nanmax": ["nanmin"],
    "nanmin": ["nanmax"],
    "maximum": ["minimum"],
    "minimum": ["maximum"],
    "prod": ["sum"],
    "cumsum": ["cumprod"],
    "cumprod": ["cumsum"],
}

#: Keyword strings with known alternatives.
STRING_SWAPS = {
    "activation": {
        "softmax": ["linear", "sigmoid"],
        "sigmoid": ["linear", "softmax"],
        "tanh": ["linear", "sigmoid"],
        "relu": ["linear", "tanh"],
        "linear": ["relu", "softmax"],
    },
    "recurrent_activation": {"sigmoid": ["tanh"], "tanh": ["sigmoid"], "hard_sigmoid": ["tanh"]},
    "merge_mode": {
        "concat": ["sum", "ave", "mul"],
        "sum": ["concat", "mul"],
        "ave": ["sum", "concat"],
        "mul": ["sum", "concat"],
    },
    "padding": {"same": ["valid", "causal"], "valid": ["same"], "causal": ["same", "valid"]},
    "loss": {
        "sparse_categorical_crossentropy": ["categorical_crossentropy", "mse"],
        "categorical_crossentropy": ["sparse_categorical_crossentropy", "mse"],
        "binary_crossentropy": ["mse"],
        "mse": ["mae"],
        "mae": ["mse"],
        "mean_squared_error": ["mean_absolute_error"],
        "mean_absolute_error": ["mean_squared_error"],
    },
}

#: The axis values tried for an `axis=` keyword.
AXIS_CHOICES = (-1, 0, 1)

#: Flags added to a layer call that does not set them: layer name -> [(keyword, value)].
RNN_LAYERS = ("GRU", "LSTM", "SimpleRNN", "RNN", "ConvLSTM1D", "ConvLSTM2D")
FLAG_INSERTIONS = {
    **{name: [("go_backwards", True), ("return_sequences", True)] for name in RNN_LAYERS},
    "Embedding": [("mask_zero", True)],
}

KINDS = (
    "arith",
    "compare",
    "constant",
    "axis",
    "flag",
    "flag-add",
    "string",
    "reduction",
    "unary",
    "drop-keyword",
    "swap-args",
    "swap-operands",
    "swap-index",
    "unwrap",
    "delete",
)

#: Calls never replaced by their first argument (the result would only be a type error).
NO_UNWRAP = ("len", "range", "enumerate", "zip", "empty", "zeros", "ones", "full", "eye", "isinstance", "print", "Model",
             "Input", "super", "getattr", "setattr", "type")

#: Methods whose call is dropped by `unwrap` (`x.astype(bool)` -> `x`).
UNWRAP_METHODS = ("astype", "reshape", "squeeze", "ravel", "flatten", "copy", "transpose", "clip")

VERDICT_FIELDS = ("verdict", "justification", "test", "verified")
VERDICTS = ("equivalent", "weakness")


class MutationError(RuntimeError):
    """A problem with the chapter or the arguments (not with a mutant)."""


# --------------------------------------------------------------------------------------------
# Generating mutants


@dataclasses.dataclass
class Mutant:
    """One mutated solution cell."""

    id: str  # stable: "<cell>:L<line>C<col>:<kind>:<change>"
    cell: str  # the grade_id of the solution cell
    kind: str
    line: int  # 1-based line in the cell
    description: str
    original: str  # the cell's lines that changed, before
    mutated: str  # and after
    source: str  # the whole mutated cell

    @property
    def sha(self):
        return hashlib.sha256(self.source.encode()).hexdigest()[:16]


def solution_regions(source):
    """The (first, last) 1-based line numbers strictly inside each BEGIN/END SOLUTION pair."""
    regions, start = [], None
    for number, line in enumerate(source.split("\n"), 1):
        if "### BEGIN SOLUTION" in line:
            start = number + 1
        elif "### END SOLUTION" in line and start is not None:
            if number - 1 >= start:
                regions.append((start, number - 1))
            start = None
    return regions


def _dump(tree):
    return ast.dump(tree, annotate_fields=False, include_attributes=False)


def _line_offsets(source_bytes):
    offsets, pos = [0], 0
    for line in source_bytes.split(b"\n")[:-1]:
        pos += len(line) + 1
        offsets.append(pos)
    return offsets


class _Cell:
    """A solution cell's source, its tree, and a way to replace one node's text."""

    def __init__(self, grade_id, source):
        self.grade_id = grade_id
        self.source = source
        self.bytes = source.encode("utf-8")
        self.offsets = _line_offsets(self.bytes)
        self.tree = ast.parse(source)
        self.dump = _dump(self.tree)
        self.regions = solution_regions(source)
        self.bound = _bound_names(self.tree)
        self.parents = {}
        for parent in ast.walk(self.tree):
            for field, value in ast.iter_fields(parent):
                if isinstance(value, list):
                    for index, child in enumerate(value):
                        if isinstance(child, ast.AST):
                            self.parents[id(child)] = (parent, field, index)
                elif isinstance(value, ast.AST):
                    self.parents[id(value)] = (parent, field, None)

    def in_solution(self, node):
        if not hasattr(node, "lineno") or node.end_lineno is None:
            return False
        return any(a <= node.lineno and node.end_lineno <= b for a, b in self.regions)

    def inside_fstring(self, node):
        while id(node) in self.parents:
            node = self.parents[id(node)][0]
            if isinstance(node, ast.JoinedStr):
                return True
        return False

    def span(self, node):
        start = self.offsets[node.lineno - 1] + node.col_offset
        end = self.offsets[node.end_lineno - 1] + node.end_col_offset
        return start, end

    def text(self, node):
        start, end = self.span(node)
        return self.bytes[start:end].decode("utf-8")

    @contextlib.contextmanager
    def substituted(self, node, new):
        """Put `new` where `node` is in the tree (None: remove it from its list) for the duration."""
        parent, field, index = self.parents[id(node)]
        if index is None:
            setattr(parent, field, new)
        elif new is None:
            del getattr(parent, field)[index]
        else:
            getattr(parent, field)[index] = new
        try:
            yield
        finally:
            if index is None:
                setattr(parent, field, node)
            elif new is None:
                getattr(parent, field).insert(index, node)
            else:
                getattr(parent, field)[index] = node

    def expected_dump(self, node, new):
        """The dump of the whole cell with `node` replaced by `new`."""
        with self.substituted(node, new):
            return _dump(self.tree)

    def patched(self, start, end, text):
        return (self.bytes[:start] + text.encode("utf-8") + self.bytes[end:]).decode("utf-8")

    def replace(self, node, new, text=None, span=None):
        """The cell's source with `node` replaced by `new`, touching only its own text when possible.

        Returns (source, expected dump) or None when no text edit gives the expected program.
        """
        want = self.expected_dump(node, new)
        start, end = span or self.span(node)
        candidates = []
        if text is not None:
            candidates.append(text)
        if new is not None:
            candidates.append(ast.unparse(new))
            candidates.append("(" + ast.unparse(new) + ")")
        for candidate in candidates:
            source = self.patched(start, end, candidate)
            try:
                if _dump(ast.parse(source)) == want:
                    return source, want
            except SyntaxError:
                continue
        # Fall back to rewriting the enclosing statement (comments inside it are lost).
        stmt = node
        while not isinstance(stmt, ast.stmt):
            if id(stmt) not in self.parents:
                return None
            stmt = self.parents[id(stmt)][0]
        if stmt is node:
            return None
        with self.substituted(node, new):
            lines = ast.unparse(stmt).split("\n")
        indent = " " * stmt.col_offset
        text = lines[0] + "".join("\n" + indent + ln for ln in lines[1:])
        source = self.patched(*self.span(stmt), text)
        try:
            if _dump(ast.parse(source)) == want:
                return source, want
        except SyntaxError:
            pass
        return None


def _number(node):
    """The value of a numeric literal (`3`, `-1`, `1e-3`), else None (booleans are not numbers)."""
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return node.value
    if (
        isinstance(node, ast.UnaryOp)
        and isinstance(node.op, ast.USub)
        and isinstance(node.operand, ast.Constant)
        and type(node.operand.value) in (int, float)
    ):
        return -node.operand.value
    return None


def _literal(value):
    if value < 0:
        return ast.UnaryOp(op=ast.USub(), operand=ast.Constant(-value))
    return ast.Constant(value)


def _fmt_number(value):
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _constant_changes(value):
    """The new values of a numeric constant: c + 1, 0; 0 -> 1; 2 -> 1 (no repeats, never c itself)."""
    out = []
    candidates = [value + 1, type(value)(0)]
    if value == 2:
        candidates.append(type(value)(1))
    for new in candidates:
        if new != value and new not in out:
            out.append(new)
    return out


def _call_name(func):
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return None


def _bound_names(tree):
    """Names the cell binds (parameters, assignment and loop targets): values, not modules."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
    return names


def _is_function(func, bound):
    """Whether `func` names a function (`float`, `np.asarray`, `keras.layers.GRU`), not a method of a value."""
    while isinstance(func, ast.Attribute):
        func = func.value
    return isinstance(func, ast.Name) and func.id not in bound


def _changed_lines(before, after):
    """The changed lines of a cell, before and after (for the report)."""
    a, b = before.split("\n"), after.split("\n")
    old, new = [], []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag != "equal":
            old.extend(line.strip() for line in a[i1:i2])
            new.extend(line.strip() for line in b[j1:j2])
    return "\n".join(old), "\n".join(new)


@dataclasses.dataclass
class _Candidate:
    kind: str
    anchor: ast.AST  # where the change is (its line and column name the mutant)
    node: ast.AST  # the node replaced
    new: ast.AST  # its replacement
    change: str
    description: str
    text: str | None = None  # the replacement text, when not ast.unparse(new)
    span: tuple | None = None  # the byte span replaced, when not the node's own


def _keyword_removal(cell, call, keyword):
    """(text, span) that removes `keyword` and its separating comma from `call`'s source."""
    items = sorted(list(call.args) + list(call.keywords), key=lambda n: (n.lineno, n.col_offset))
    k = next(i for i, n in enumerate(items) if n is keyword)
    if k > 0:
        return "", (cell.span(items[k - 1])[1], cell.span(keyword)[1])
    if k + 1 < len(items):
        return "", (cell.span(keyword)[0], cell.span(items[k + 1])[0])
    return "", cell.span(keyword)


def _candidates(cell):
    """Yield every `_Candidate` change of the cell's solution regions."""
    for node in ast.walk(cell.tree):
        if not cell.in_solution(node) or cell.inside_fstring(node):
            continue
        parent = cell.parents.get(id(node), (None,))[0]
        # Deleted statements.
        if isinstance(node, ast.stmt) and not isinstance(node, ast.Pass):
            if not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)):
                first = cell.text(node).split("\n")[0].strip()
                yield _Candidate("delete", node, node, ast.Pass(), "pass", f"deleted `{first}`", text="pass")
        # Operators.
        if isinstance(node, (ast.BinOp, ast.AugAssign)):
            op = type(node.op).__name__
            for new_op in ARITH_SWAPS.get(op, []):
                new = copy.deepcopy(node)
                new.op = getattr(ast, new_op)()
                yield _Candidate("arith", node, node, new, f"{op}-{new_op}", f"{op} -> {new_op}")
            if isinstance(node, ast.BinOp) and op in NON_COMMUTATIVE:
                new = copy.deepcopy(node)
                new.left, new.right = new.right, new.left
                yield _Candidate("swap-operands", node, node, new, f"{op}-swap", f"operands of {op} swapped")
        # A transpose dropped, neighbouring indices swapped (`B[:, x]` -> `B[x, :]`).
        if isinstance(node, ast.Attribute) and node.attr == "T":
            yield _Candidate("unwrap", node, node, copy.deepcopy(node.value), "drop-T", "x.T -> x")
        if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Tuple):
            elts = node.slice.elts
            for i in range(len(elts) - 1):
                if _dump(elts[i]) != _dump(elts[i + 1]):
                    new = copy.deepcopy(node)
                    new.slice.elts[i], new.slice.elts[i + 1] = new.slice.elts[i + 1], new.slice.elts[i]
                    yield _Candidate("swap-index", node, node, new, f"idx{i}-{i + 1}", f"indices {i + 1} and {i + 2} swapped")
        if isinstance(node, ast.Compare):
            for i, op in enumerate(node.ops):
                name = type(op).__name__
                for new_op in COMPARE_SWAPS.get(name, []):
                    new = copy.deepcopy(node)
                    new.ops[i] = getattr(ast, new_op)()
                    yield _Candidate("compare", node, node, new, f"{name}-{new_op}", f"{name} -> {new_op}")
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.Not)) and _number(node) is None:
            name = type(node.op).__name__
            yield _Candidate("unary", node, node, copy.deepcopy(node.operand), name, f"{name.lower()} removed")
        # Numeric constants (a `-c` literal is one constant; its inner `c` is skipped).
        value = _number(node)
        inner_of_negative = isinstance(parent, ast.UnaryOp) and _number(parent) is not None
        if value is not None and not inner_of_negative:
            if isinstance(parent, ast.keyword) and parent.arg == "axis" and isinstance(value, int):
                for new_value in AXIS_CHOICES:
                    if new_value != value:
                        yield _Candidate(
                            "axis", node, node, _literal(new_value), f"{value}-{new_value}",
                            f"axis={value} -> axis={new_value}",
                        )
            for new_value in _constant_changes(value):
                old, new_text = _fmt_number(value), _fmt_number(new_value)
                yield _Candidate("constant", node, node, _literal(new_value), f"{old}-{new_text}", f"{old} -> {new_text}")
        # Booleans.
        if isinstance(node, ast.Constant) and isinstance(node.value, bool):
            where = f"{parent.arg}=" if isinstance(parent, ast.keyword) else ""
            yield _Candidate(
                "flag", node, node, ast.Constant(not node.value), f"{node.value}-{not node.value}",
                f"{where}{node.value} -> {where}{not node.value}",
            )
        if isinstance(node, ast.Call):
            name = _call_name(node.func)
            for keyword in node.keywords:
                if keyword.arg is None:
                    continue
                value = keyword.value
                # Keyword strings with a known alternative (the quotes kept).
                if isinstance(value, ast.Constant) and isinstance(value.value, str):
                    quote = cell.text(value)[:1] if cell.text(value)[:1] in "'\"" else '"'
                    for alt in STRING_SWAPS.get(keyword.arg, {}).get(value.value, []):
                        yield _Candidate(
                            "string", keyword, value, ast.Constant(alt), f"{keyword.arg}-{alt}",
                            f'{keyword.arg}="{value.value}" -> {keyword.arg}="{alt}"', text=f"{quote}{alt}{quote}",
                        )
                # A dropped keyword (not a boolean: flipping it is the same mutant, or a no-op).
                if not (isinstance(value, ast.Constant) and isinstance(value.value, bool)):
                    new = copy.deepcopy(node)
                    new.keywords = [k for k, orig in zip(new.keywords, node.keywords) if orig is not keyword]
                    text, span = _keyword_removal(cell, node, keyword)
                    yield _Candidate(
                        "drop-keyword", keyword, node, new, keyword.arg, f"keyword {keyword.arg}= removed",
                        text=text, span=span,
                    )
            # Reductions.
            if name in REDUCTION_SWAPS:
                for alt in REDUCTION_SWAPS[name]:
                    new_func = copy.deepcopy(node.func)
                    span = None
                    if isinstance(new_func, ast.Attribute):
                        new_func.attr = alt
                        end = cell.span(node.func)[1]
                        span = (end - len(name.encode()), end)
                    else:
                        new_func.id = alt
                    yield _Candidate(
                        "reduction", node.func, node.func, new_func, f"{name}-{alt}", f"{name} -> {alt}",
                        text=alt, span=span,
                    )
            # A call replaced by its first argument: a layer or wrapper skipped (`Bidirectional(GRU(..))`
            # -> `GRU(..)`, `Dense(..)(x)` -> `x`), a conversion dropped (`float(x)`, `np.asarray(x)`).
            if node.args and not isinstance(node.args[0], ast.Starred):
                if isinstance(node.func, ast.Call):
                    layer = _call_name(node.func.func) or "a layer"
                    yield _Candidate(
                        "unwrap", node, node, copy.deepcopy(node.args[0]), "skip-layer",
                        f"{layer}(...)(x) -> x: the layer skipped",
                    )
                elif (
                    name not in NO_UNWRAP
                    and _is_function(node.func, cell.bound)
                    and (not name[:1].isupper() or isinstance(node.args[0], ast.Call))
                ):
                    # Constructors are unwrapped only when they wrap a layer (`Bidirectional(GRU(..))`):
                    # `Embedding(n, 16)` -> `n` would only be a type error.
                    yield _Candidate(
                        "unwrap", node, node, copy.deepcopy(node.args[0]), "arg0", f"{name}(x, ...) -> x",
                    )
            # A transforming method dropped: `x.astype(bool)` -> `x`.
            if isinstance(node.func, ast.Attribute) and name in UNWRAP_METHODS:
                yield _Candidate(
                    "unwrap", node, node, copy.deepcopy(node.func.value), f"drop-{name}", f"x.{name}(...) -> x",
                )
            # Neighbouring positional arguments swapped.
            for i in range(len(node.args) - 1):
                a, b = node.args[i], node.args[i + 1]
                if isinstance(a, ast.Starred) or isinstance(b, ast.Starred) or _dump(a) == _dump(b):
                    continue
                new = copy.deepcopy(node)
                new.args[i], new.args[i + 1] = new.args[i + 1], new.args[i]
                yield _Candidate(
                    "swap-args", node, node, new, f"args{i}-{i + 1}",
                    f"arguments {i + 1} and {i + 2} of {name or 'a call'} swapped",
                )
            # Flags a layer does not set.
            present = {k.arg for k in node.keywords}
            for keyword, flag in FLAG_INSERTIONS.get(name, []):
                if keyword in present:
                    continue
                new = copy.deepcopy(node)
                new.keywords.append(ast.keyword(arg=keyword, value=ast.Constant(flag)))
                inner = cell.text(node)
                text = None
                if inner.endswith(")"):
                    sep = ", " if (node.args or node.keywords) else ""
                    text = inner[:-1].rstrip() + f"{sep}{keyword}={flag})"
                yield _Candidate(
                    "flag-add", node, node, new, f"{keyword}-{flag}", f"{name}(..., {keyword}={flag}) added", text=text,
                )


def cell_mutants(grade_id, source):
    """Every mutant of one solution cell (deduplicated), in a stable order."""
    try:
        cell = _Cell(grade_id, source)
    except SyntaxError as exc:
        raise MutationError(f"{grade_id}: the solution cell does not parse: {exc}") from exc
    seen = {cell.dump}
    mutants = []
    ids = set()
    for c in _candidates(cell):
        made = cell.replace(c.node, c.new, text=c.text, span=c.span)
        if made is None:
            continue
        source_new, dump = made
        if dump in seen:
            continue
        seen.add(dump)
        line = c.anchor.lineno
        base = f"{grade_id}:L{line}C{c.anchor.col_offset}:{c.kind}:{c.change}"
        mid, n = base, 1
        while mid in ids:
            n += 1
            mid = f"{base}#{n}"
        ids.add(mid)
        before, after = _changed_lines(source, source_new)
        mutants.append(Mutant(mid, grade_id, c.kind, line, c.description, before, after, source_new))
    order = {kind: i for i, kind in enumerate(KINDS)}
    mutants.sort(key=lambda m: (m.line, order[m.kind], m.id))
    return mutants


def solution_cells(nb):
    """(grade_id, source) of the notebook's solution code cells that hold a BEGIN/END SOLUTION pair."""
    out = []
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {}) or {}
        if cell.cell_type == "code" and meta.get("solution") and solution_regions(cell.source):
            out.append((meta.get("grade_id"), cell.source))
    return out


def generate_mutants(nb, cells=None):
    """Every mutant of the notebook's solution cells (or of the `cells` named), cell by cell."""
    mutants = []
    for gid, source in solution_cells(nb):
        if cells and gid not in cells:
            continue
        mutants.extend(cell_mutants(gid, source))
    return mutants


def apply_mutant(nb, mutant):
    """The notebook with the mutant's cell replaced."""
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {}) or {}
        if meta.get("grade_id") == mutant.cell:
            cell.source = mutant.source
            return nb
    raise MutationError(f"{mutant.id}: no cell {mutant.cell!r} in the notebook")


def sample(mutants, limit, seed=0):
    """At most `limit` mutants, a seeded random choice spread over every cell, in the original order."""
    if limit is None or limit >= len(mutants):
        return list(mutants)
    picked = sorted(random.Random(seed).sample(range(len(mutants)), limit))
    return [mutants[i] for i in picked]


# --------------------------------------------------------------------------------------------
# Grading


def _result_record(result):
    max_cells = dict(result.max_cells)
    cells = dict(result.cells)
    lost = {}
    for name, points in max_cells.items():
        got = cells.get(name)
        missing = points if got is None else points - got
        if missing > 1e-9 or not result.ok:
            lost[name] = round(points if not result.ok else missing, 6)
    return {
        "status": result.status,
        "score": result.score,
        "max_score": result.max_score,
        "cells": cells,
        "lost": lost,
        "error": result.error,
        "notes": list(result.notes),
        "seconds": result.seconds,
    }


def _grade_chunk(root, chapter_id, items, timeout, workdir, checkpoint=None, describe=None, jobs=None):
    """Grade (label, notebook) pairs of one chapter in one private course; returns [(label, record)].

    Each record is appended to `checkpoint` (JSON lines) as soon as it is ready,
    so that an interrupted run can be resumed.
    """
    from keras_patterns import grading
    from keras_patterns.chapters import Chapter

    chapter = Chapter(chapter_id, Path(root))
    kwargs = {"profile": "smoke", "timeout": timeout}
    if workdir is not None:
        kwargs["workdir"] = workdir
    describe = describe or {}
    out = []
    with grading.Grader(Path(root), [chapter], **kwargs) as grader:
        subs = [grading.Submission(label, chapter, nb, label=label) for label, nb in items]

        def progress(result):
            record = _result_record(result)
            if result.label.endswith("-solution"):
                state = "full marks" if not record["lost"] else "NOT FULL"
            else:
                state = "caught" if record["lost"] else "SURVIVED"
            lost = ", ".join(f"{k} -{v:g}" for k, v in record["lost"].items()) or "-"
            print(f"  {result.label}  {state:8s} {result.seconds:5.1f} s  {describe.get(result.label, '')}  lost: {lost}",
                  file=sys.stderr, flush=True)
            if checkpoint is not None:
                with open(checkpoint, "a", encoding="utf-8") as f:
                    f.write(json.dumps({"label": result.label, "record": record}) + "\n")

        grade_kwargs = {"feedback": False, "progress": progress}
        if jobs is not None:
            grade_kwargs["jobs"] = jobs
        for result in grader.grade(subs, **grade_kwargs):
            out.append((result.label, _result_record(result)))
    return out


def _grade_chunk_in_worker(args):
    return _grade_chunk(*args)


def grade_notebooks(root, chapter_id, items, timeout=None, jobs=1, checkpoint=None, describe=None):
    """Grade (label, notebook) pairs as pseudo-students of one chapter; returns {label: record}.

    With `jobs` > 1 the grading API's own parallelism is used when it has one
    (a `jobs` argument to `Grader.grade`), otherwise the items are split into
    `jobs` groups graded by separate processes, each with its own private course.
    """
    from keras_patterns import grading

    items = list(items)
    if jobs <= 1 or len(items) <= 1:
        return dict(_grade_chunk(root, chapter_id, items, timeout, None, checkpoint, describe))
    if "jobs" in inspect.signature(grading.Grader.grade).parameters:
        return dict(_grade_chunk(root, chapter_id, items, timeout, None, checkpoint, describe, jobs))
    groups = [items[i::jobs] for i in range(jobs)]
    out = {}
    with tempfile.TemporaryDirectory(prefix="kp-mutation-") as tmp:
        tasks = [
            (str(root), chapter_id, group, timeout, str(Path(tmp) / f"worker{i}"), checkpoint, describe)
            for i, group in enumerate(groups)
        ]
        with concurrent.futures.ProcessPoolExecutor(max_workers=jobs) as pool:
            for chunk in pool.map(_grade_chunk_in_worker, tasks):
                out.update(chunk)
    return out


def read_checkpoint(path):
    """{label: record} from a checkpoint file (a torn last line is ignored)."""
    out = {}
    path = Path(path)
    if not path.is_file():
        return out
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            item = json.loads(line)
        except json.JSONDecodeError:
            continue
        out[item["label"]] = item["record"]
    return out


# --------------------------------------------------------------------------------------------
# Reports


def notebook_sha(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]


def load_verdicts(path):
    """{mutant id: {verdict fields}} from an earlier report, for mutants whose source is unchanged."""
    path = Path(path)
    if not path.is_file():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    out = {}
    for m in data.get("mutants", []):
        fields = {k: m[k] for k in VERDICT_FIELDS if k in m}
        if fields:
            out[m["id"]] = dict(fields, sha=m.get("sha"))
    return out


def summarise(mutants):
    """Counts and the score from a report's mutant records (verdicts count for survivors only)."""
    total = len(mutants)
    caught = sum(1 for m in mutants if m["caught"])
    survivors = [m for m in mutants if not m["caught"]]
    equivalent = sum(1 for m in survivors if m.get("verdict") == "equivalent")
    weakness = [m for m in survivors if m.get("verdict") == "weakness"]
    unexamined = sum(1 for m in survivors if m.get("verdict") not in VERDICTS)
    killable = total - equivalent
    verified = sum(1 for m in weakness if m.get("verified"))
    by_kind = {}
    for m in mutants:
        row = by_kind.setdefault(m["kind"], {"mutants": 0, "caught": 0, "equivalent": 0})
        row["mutants"] += 1
        row["caught"] += int(bool(m["caught"]))
        row["equivalent"] += int(not m["caught"] and m.get("verdict") == "equivalent")
    return {
        "mutants": total,
        "caught": caught,
        "survived": total - caught,
        "equivalent": equivalent,
        "weakness": len(weakness),
        "unexamined": unexamined,
        "score": round(caught / killable, 4) if killable else None,
        "score_with_proposed_tests": round((caught + verified) / killable, 4) if killable else None,
        "by_kind": by_kind,
    }


def build_report(chapter_id, notebook_rel, nb_sha, mutants, results, baseline, verdicts, seconds, extra_tests=None,
                 notebooks=None):
    records = []
    for m in mutants:
        r = results.get(m.id)
        record = {
            "id": m.id,
            "cell": m.cell,
            "kind": m.kind,
            "line": m.line,
            "description": m.description,
            "original": m.original,
            "mutated": m.mutated,
            "sha": m.sha,
        }
        if r is None:
            record.update(caught=None, status="not graded")
        else:
            record.update(
                caught=bool(r["lost"]),
                lost=r["lost"],
                status=r["status"],
                seconds=r["seconds"],
            )
            if r["error"]:
                record["error"] = r["error"]
            if r["notes"]:
                record["notes"] = r["notes"]
        v = verdicts.get(m.id)
        if v and v.get("sha") == m.sha and record["caught"] is False:
            record.update({k: v[k] for k in VERDICT_FIELDS if k in v})
        elif v and v.get("sha") == m.sha and record["caught"] and v.get("verdict") == "weakness":
            # The proposed test is in the notebook now (or --extra-tests held it): keep the note.
            record["killed_by"] = v.get("test")
        records.append(record)
    graded = [r for r in records if r["caught"] is not None]
    report = {
        "tool": "autograder.mutation",
        "tool_version": TOOL_VERSION,
        "chapter": chapter_id,
        "notebook": notebook_rel,
        "notebook_sha256": nb_sha,
        "profile": "smoke",
        "baseline": baseline,
        "summary": summarise(graded),
        "seconds": round(seconds, 1),
        "notebooks_graded": notebooks if notebooks is not None else len(graded) + 1,
        "seconds_per_notebook": round(seconds / max(1, notebooks if notebooks is not None else len(graded) + 1), 2),
        "mutants": records,
    }
    if extra_tests:
        report["extra_tests"] = extra_tests
    return report


def check_verdicts(report):
    """Problems with a report's verdicts: each must be `equivalent` with a justification, or `weakness` with a test."""
    problems = []
    for m in report["mutants"]:
        verdict = m.get("verdict")
        if verdict is None:
            continue
        if m.get("caught") is not False:
            problems.append(f"{m['id']}: a verdict on a mutant that was caught")
        elif verdict not in VERDICTS:
            problems.append(f"{m['id']}: verdict must be one of {VERDICTS}, not {verdict!r}")
        elif verdict == "equivalent" and not m.get("justification"):
            problems.append(f"{m['id']}: an equivalent mutant needs a justification")
        elif verdict == "weakness":
            test = m.get("test")
            if not (isinstance(test, dict) and test.get("cell") and test.get("assert")):
                problems.append(f"{m['id']}: a weakness needs the test that kills it: {{'cell': ..., 'assert': ...}}")
    return problems


def rescore(path):
    """Recompute the summary of a report after its verdicts were edited by hand; returns the report."""
    path = Path(path)
    report = json.loads(path.read_text(encoding="utf-8"))
    problems = check_verdicts(report)
    if problems:
        raise MutationError(f"{path}:\n  " + "\n  ".join(problems))
    report["summary"] = summarise([m for m in report["mutants"] if m.get("caught") is not None])
    write_json(report, path)
    return report


def results_markdown(reports):
    """The results table and the survivors of committed reports, as Markdown (for MUTATION.md)."""
    lines = [
        "| chapter | mutants | caught | equivalent | weaknesses | unexamined | score | with proposed tests | s / notebook |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in reports:
        s = r["summary"]
        lines.append(
            f"| {r['chapter']} | {s['mutants']} | {s['caught']} | {s['equivalent']} | {s['weakness']} | "
            f"{s['unexamined']} | **{s['score']:.1%}** | {s['score_with_proposed_tests']:.1%} | {r['seconds_per_notebook']} |"
        )
    lines += [
        "",
        "Caught / mutants (equivalent ones in brackets), by kind:",
        "",
        "| kind | " + " | ".join(r["chapter"] for r in reports) + " |",
        "|---|" + "---:|" * len(reports),
    ]
    for kind in KINDS:
        cells = []
        for r in reports:
            k = r["summary"]["by_kind"].get(kind)
            cells.append("-" if k is None else f"{k['caught']}/{k['mutants']}" + (f" ({k['equivalent']})" if k["equivalent"] else ""))
        if any(c != "-" for c in cells):
            lines.append(f"| `{kind}` | " + " | ".join(cells) + " |")
    for r in reports:
        lines += ["", f"### {r['chapter']}", ""]
        survivors = [m for m in r["mutants"] if m.get("caught") is False]
        if not survivors:
            lines.append("Every mutant lost points.")
        for m in survivors:
            head = f"- `{m['id']}`: `{m['original']}` → `{m['mutated']}`"
            if m.get("verdict") == "equivalent":
                lines.append(f"{head}. **Equivalent**: {m['justification']}")
            elif m.get("verdict") == "weakness":
                proved = " (verified: kills it, the solution and the fixtures keep their points)" if m.get("verified") else ""
                lines.append(f"{head}. **Weakness**, killed by an assert in `{m['test']['cell']}`{proved}.")
            else:
                lines.append(f"{head}. **Not examined yet.**")
        proposed = {}
        for m in survivors:
            if m.get("verdict") == "weakness":
                proposed.setdefault(m["test"]["cell"], m["test"]["assert"])
        for cell, text in proposed.items():
            lines += ["", f"Assert to add at the end of the hidden tests of `{cell}`:", "", "```python", text, "```"]
    return "\n".join(lines) + "\n"


def write_json(data, path):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


# --------------------------------------------------------------------------------------------
# Extra tests (proving a proposed assert without editing the notebook)


def load_extra_tests(path):
    """{test cell grade_id: source appended to it} from a JSON file (values: a string or a list of lines)."""
    raw = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(raw, dict):
        raise MutationError(f"{path}: must map test cell grade ids to sources")
    return {k: v if isinstance(v, str) else "\n".join(v) for k, v in raw.items()}


def course_with_extra_tests(root, chapter_id, extra, dest):
    """A copy of the chapter (and the grader config) under `dest`, with `extra` appended as hidden tests."""
    import nbformat

    root, dest = Path(root), Path(dest)
    shutil.copytree(root / "solutions" / chapter_id, dest / "solutions" / chapter_id)
    config = root / "autograder" / "nbgrader_config.py"
    if config.is_file():
        (dest / "autograder").mkdir(parents=True, exist_ok=True)
        shutil.copy(config, dest / "autograder" / "nbgrader_config.py")
    fixtures = root / "autograder" / "fixtures" / f"{chapter_id}.json"
    if fixtures.is_file():
        (dest / "autograder" / "fixtures").mkdir(parents=True, exist_ok=True)
        shutil.copy(fixtures, dest / "autograder" / "fixtures" / fixtures.name)
    (dest / "pyproject.toml").write_text("# a temporary copy for autograder.mutation --extra-tests\n")
    path = dest / "solutions" / chapter_id / f"{chapter_id}.ipynb"
    nb = nbformat.read(str(path), as_version=4)
    found = set()
    for cell in nb.cells:
        gid = (cell.get("metadata", {}).get("nbgrader", {}) or {}).get("grade_id")
        if gid in extra:
            meta = cell.metadata["nbgrader"]
            if not meta.get("grade") or meta.get("solution"):
                raise MutationError(f"--extra-tests: {gid} is not a test cell")
            cell.source = cell.source.rstrip("\n") + "\n### BEGIN HIDDEN TESTS\n" + extra[gid].rstrip("\n") + "\n### END HIDDEN TESTS"
            found.add(gid)
    missing = set(extra) - found
    if missing:
        raise MutationError(f"--extra-tests: no test cells {sorted(missing)} in {chapter_id}")
    nbformat.write(nb, str(path))
    return dest


# --------------------------------------------------------------------------------------------
# Command line


def _resolve(root, name):
    from keras_patterns.chapters import ChapterError, list_chapters, resolve_chapter

    try:
        return resolve_chapter(name, list_chapters(root))
    except ChapterError as exc:
        raise MutationError(str(exc)) from exc


def run(root, chapter_name, out=None, max_mutants=None, jobs=1, timeout=None, cells=None, only=None,
        verdicts_path=None, extra_tests_path=None, seed=0, list_only=False, resume=False, selftest=False, log=print):
    """Generate, grade and report the mutants of one chapter; returns the report (a dict)."""
    import nbformat

    root = Path(root).resolve()
    chapter = _resolve(root, chapter_name)
    nb_path = chapter.solution_notebook
    nb = nbformat.read(str(nb_path), as_version=4)
    mutants = generate_mutants(nb, cells=cells)
    if only:
        wanted = set(only)
        unknown = wanted - {m.id for m in mutants}
        if unknown:
            raise MutationError(f"--only: no such mutants: {sorted(unknown)}")
        mutants = [m for m in mutants if m.id in wanted]
    mutants = sample(mutants, max_mutants, seed)
    if list_only:
        for m in mutants:
            before = m.original.replace("\n", "\n      ")
            after = m.mutated.replace("\n", "\n      ")
            log(f"{m.id:60s}  {m.description}\n    - {before}\n    + {after}")
        log(f"{len(mutants)} mutants")
        return None
    if verdicts_path is None:
        verdicts_path = root / "autograder" / "mutation" / f"{chapter.id}.json"
    verdicts = load_verdicts(verdicts_path)
    extra = load_extra_tests(extra_tests_path) if extra_tests_path else None

    if out is None:
        out = root / "build" / "mutation" / f"{chapter.id}.json"
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    # Labels name the graded program: the solution notebook (and extra tests), and the mutant's source.
    key = hashlib.sha256((notebook_sha(nb_path) + json.dumps(extra, sort_keys=True)).encode()).hexdigest()[:8]
    checkpoint = out.with_name(out.stem + ".partial.jsonl")
    if not resume and checkpoint.exists():
        checkpoint.unlink()
    done = {k: v for k, v in read_checkpoint(checkpoint).items() if k.startswith(key + "-")}
    labels = {f"{key}-{m.sha}": m for m in mutants}
    base_label = f"{key}-solution"

    log(f"{chapter.id}: {len(mutants)} mutants ({len([l for l in labels if l in done])} already graded); "
        f"grading at the smoke profile, jobs={jobs}")
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="kp-mutation-course-") as tmp:
        grade_root = root
        if extra:
            grade_root = course_with_extra_tests(root, chapter.id, extra, Path(tmp) / "course")
            nb = nbformat.read(str(grade_root / "solutions" / chapter.id / f"{chapter.id}.ipynb"), as_version=4)
        items = [(base_label, nb)] if base_label not in done else []
        items += [(label, apply_mutant(nb, m)) for label, m in labels.items() if label not in done]
        describe = {label: f"{m.id}" for label, m in labels.items()}
        describe[base_label] = "the solution"
        graded = dict(done)
        if items:
            graded.update(grade_notebooks(grade_root, chapter.id, items, timeout=timeout, jobs=jobs,
                                          checkpoint=checkpoint, describe=describe))
        selftest_problems = None
        if extra and selftest:
            from keras_patterns import grading
            from keras_patterns.chapters import Chapter

            log(f"{chapter.id}: kp selftest with the extra tests (solution, release, fixtures)")
            checks = grading.selftest(grade_root, [Chapter(chapter.id, grade_root)], timeout=timeout, feedback_check=False)
            selftest_problems = [f"{c.case}: {p}" for c in checks for p in c.problems]
    seconds = time.perf_counter() - started
    baseline = graded.get(base_label)
    if baseline is None or baseline["lost"] or baseline["status"] != "graded":
        raise MutationError(
            f"the unchanged solution of {chapter.id} does not get full marks ({baseline}); "
            "mutation results would mean nothing"
        )
    results = {m.id: graded[label] for label, m in labels.items() if label in graded}
    notebook_rel = os.path.relpath(nb_path, root)
    report = build_report(
        chapter.id, notebook_rel, notebook_sha(nb_path), mutants, results,
        {"score": baseline["score"], "max_score": baseline["max_score"], "seconds": baseline["seconds"]},
        verdicts, seconds, extra_tests=extra, notebooks=len(items),
    )
    if selftest_problems is not None:
        report["extra_tests_selftest"] = selftest_problems or "passed"
        log(f"{chapter.id}: selftest with the extra tests: {selftest_problems or 'passed'}")
    if max_mutants is not None or only or cells:
        report["partial"] = {"max": max_mutants, "only": sorted(only) if only else None, "cells": cells, "seed": seed}
    write_json(report, out)
    checkpoint.unlink(missing_ok=True)
    s = report["summary"]
    log(f"{chapter.id}: {s['mutants']} mutants, {s['caught']} caught, {s['survived']} survived "
        f"({s['equivalent']} equivalent, {s['weakness']} weaknesses, {s['unexamined']} unexamined); "
        f"score {s['score']}; {seconds:.0f} s; report {out}")
    for m in report["mutants"]:
        if m["caught"] is False:
            log(f"  survived {m['id']}: {m['description']}  [{m.get('verdict', 'unexamined')}]")
    return report


def build_parser():
    p = argparse.ArgumentParser(
        prog="python -m autograder.mutation",
        description="Mutation testing of a chapter's tests: mutate the solution cells, grade each mutant, report survivors.",
    )
    p.add_argument("chapter", metavar="CH", nargs="?", help="a chapter: ch01_protein_ss, ch01, 01 or 1")
    p.add_argument("--root", default=None, help="the course root (default: found as kp finds it)")
    p.add_argument("--max", type=int, default=None, dest="max_mutants", help="grade at most N mutants (a seeded random choice)")
    p.add_argument("--seed", type=int, default=0, help="the seed of the --max choice (default 0)")
    p.add_argument("--jobs", type=int, default=1, help="grade N mutants at once (default 1)")
    p.add_argument("--timeout", type=int, default=None, help="seconds per cell (default: the nbgrader config's)")
    p.add_argument("--out", default=None, help="the report (default: build/mutation/<chapter>.json)")
    p.add_argument("--cells", nargs="+", default=None, metavar="GRADE_ID", help="mutate these solution cells only")
    p.add_argument("--only", nargs="+", default=None, metavar="ID", help="grade these mutant ids only")
    p.add_argument("--verdicts", default=None,
                   help="carry verdicts over from this report (default: autograder/mutation/<chapter>.json)")
    p.add_argument("--extra-tests", default=None, metavar="JSON",
                   help="append these asserts ({test grade_id: source}) to a temporary copy of the chapter's tests")
    p.add_argument("--list", action="store_true", help="list the mutants without grading them")
    p.add_argument("--selftest", action="store_true",
                   help="with --extra-tests: also run kp selftest (solution, release, wrong-answer fixtures) on the copy")
    p.add_argument("--rescore", nargs="?", const="", default=None, metavar="REPORT",
                   help="only recompute the summary of a report whose verdicts were edited "
                        "(default: autograder/mutation/<chapter>.json)")
    p.add_argument("--markdown", action="store_true",
                   help="print the results table and survivors of the committed reports (CH, or all) as Markdown")
    p.add_argument("--resume", action="store_true",
                   help="keep the grades of an interrupted run (OUT.partial.jsonl) and grade the rest only")
    return p


def main(argv=None):
    args = build_parser().parse_args(argv)
    from keras_patterns.chapters import find_root

    try:
        root = find_root(args.root)
        if args.markdown:
            folder = root / "autograder" / "mutation"
            names = sorted(folder.glob("*.json")) if args.chapter in (None, "all") else [
                folder / f"{_resolve(root, args.chapter).id}.json"]
            reports = [json.loads(p.read_text(encoding="utf-8")) for p in names]
            print(results_markdown(sorted(reports, key=lambda r: r["chapter"])), end="")
            return 0
        if args.chapter is None:
            raise MutationError("name a chapter (CH)")
        if args.rescore is not None:
            chapter = _resolve(root, args.chapter)
            path = Path(args.rescore) if args.rescore else root / "autograder" / "mutation" / f"{chapter.id}.json"
            s = rescore(path)["summary"]
            print(f"{chapter.id}: {s['mutants']} mutants, {s['caught']} caught, {s['equivalent']} equivalent, "
                  f"{s['weakness']} weaknesses, {s['unexamined']} unexamined; score {s['score']} "
                  f"({s['score_with_proposed_tests']} with the proposed tests)")
            return 0
        run(
            root, args.chapter, out=args.out, max_mutants=args.max_mutants, jobs=max(1, args.jobs),
            timeout=args.timeout, cells=args.cells, only=args.only, verdicts_path=args.verdicts,
            extra_tests_path=args.extra_tests, seed=args.seed, list_only=args.list, resume=args.resume,
            selftest=args.selftest,
        )
    except MutationError as exc:
        print(f"autograder.mutation: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
