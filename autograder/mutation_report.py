"""Mutation reports: what each mutant lost, the survivors' verdicts, the score, and the Markdown of MUTATION.md.

A report (JSON) lists every mutant of a chapter, the points each test cell
lost, and the score `caught / (mutants - equivalent)`. Survivors are examined
by a person: their verdicts (`equivalent` with a justification, or `weakness`
with the assert that kills it) live in the committed report
`autograder/mutation/<chapter>.json` and are carried over to every new run
when the mutant's id and source are unchanged (`load_verdicts`). `rescore`
recomputes the summary after verdicts were edited by hand, refusing verdicts
that do not say why.

Used by `autograder.mutation`.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from autograder.mutants import KINDS, MutationError

#: The version of the report format (`tool_version` in every report).
TOOL_VERSION = 1

#: A survivor's fields that a person writes, carried over between runs.
VERDICT_FIELDS = ("verdict", "justification", "test", "verified")
VERDICTS = ("equivalent", "weakness")


def notebook_sha(path):
    """The first 16 hex digits of the SHA-256 of a notebook file (which solution a report was made from)."""
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
    """The report of one run: every mutant with what it lost (or its carried-over verdict), the baseline, the summary."""
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
    """Write a report as the committed ones are written (indent 1, UTF-8, a final newline)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
