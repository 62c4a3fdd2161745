"""The mutants of a chapter's solution cells: small, plausible mistakes, made one at a time with `ast`.

For every solution cell of a chapter's source notebook (nbgrader `solution:
true`), the code between `### BEGIN SOLUTION` and `### END SOLUTION` is parsed
and mutated one small change at a time:

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
(same `ast.dump`) are dropped. Each mutant replaces the text of one node only,
so the rest of the cell (comments, layout) stays the solution's. Grading them
is `autograder.mutation`'s job; the report, `autograder.mutation_report`'s.

Used by `autograder.mutation` and `autograder.mutation_report`.
"""

from __future__ import annotations

import ast
import contextlib
import copy
import dataclasses
import difflib
import hashlib
import random

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

