"""Plain-text tables and the numbers in them, as `kp` prints them.

One formatting for every table `kp` prints (the results of `kp run` and
`kp demo`, the checks of `kp selftest`) and for the numbers in them and in
its progress lines, so that the same value reads the same everywhere.

Used by `autograder.demo` and `autograder.cli`.
"""

from __future__ import annotations

import io


def format_number(value, signed=False):
    """A number for the tables: 4 decimals at most, no trailing zeros."""
    if value is None:
        return "-"
    value = float(value)
    if value.is_integer() and abs(value) < 1e6:
        text = str(int(value))
    elif 1e-3 <= abs(value) < 1e4:
        text = f"{value:.4f}".rstrip("0").rstrip(".")
    else:
        text = f"{value:.3g}"
    return "+" + text if signed and value > 0 else text


def format_table(rows, headers):
    """A plain-text table with aligned columns."""
    rows = [[str(c) for c in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    out = io.StringIO()
    out.write("  ".join(h.ljust(w) for h, w in zip(headers, widths)).rstrip() + "\n")
    out.write("  ".join("-" * w for w in widths) + "\n")
    for row in rows:
        out.write("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() + "\n")
    return out.getvalue()
