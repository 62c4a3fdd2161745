"""Mutation testing of the library itself (issue 15): mutmut 3, one module at a time, a report per module.

    python benchmarks/mutation_lib.py                      # every module in MODULES (the full run, long)
    python benchmarks/mutation_lib.py oracles/hmm metrics  # some modules (paths under keras_patterns/, no .py)
    python benchmarks/mutation_lib.py --sample 30 --seed 0 --min-score 0.9 metrics   # CI's seeded sample
    python benchmarks/mutation_lib.py --report-only oracles/hmm   # rewrite a report from the last run

Each module runs in a scratch copy of the package, `build/mutation_lib/<slug>/`, whose pyproject.toml tells
mutmut to mutate that one file and to run only that module's own test file(s) (MODULES), with one worker
(`--max-children 1`: the machine is shared). mutmut forks the test process per mutant, so TensorFlow,
JAX and Keras are imported once per module, not once per mutant. Keras-facing modules run on JAX
(KERAS_BACKEND=jax, faster to import and to trace than TensorFlow here).

Every mutant is sorted into one of three kinds (see MUTATION_LIB.md):

- `compute`: the mutant changes code that computes a result (a number, an array, a model). The target
  (at least 90 % killed) is over these, less those shown equivalent.
- `validation`: the mutant changes only an argument check or an error/warning message (a `raise`
  statement, a call of a `check_*` / `_check*` helper, `warnings.warn`). Reported with its own kill
  rate, outside the target: the checks themselves are tested in checks_test.py.
- `equivalent`: a surviving `compute` mutant listed in benchmarks/mutation_lib/equivalent.json with a
  one-line reason (keyed by module, function and the changed line, not by mutmut's number, which moves).

The report (benchmarks/mutation_lib/<slug>.json) names every surviving mutant with its diff and verdict.
With --min-score the script exits 1 when the killed share of non-equivalent compute mutants is lower.
"""

from __future__ import annotations

import argparse
import ast
import difflib
import json
import os
import random
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRATCH = ROOT / "build" / "mutation_lib"
REPORTS = ROOT / "benchmarks" / "mutation_lib"
EQUIVALENT = REPORTS / "equivalent.json"

# module (path under keras_patterns/, no .py) -> its test files (paths under keras_patterns/).
MODULES = {
    "oracles/hmm": ["oracles/hmm_test.py"],
    "oracles/ar1": ["oracles/ar1_test.py"],
    "oracles/random_walks": ["oracles/random_walks_test.py"],
    "metrics": ["metrics_test.py"],
    "checks": ["checks_test.py"],
    "baselines": ["baselines_test.py"],
    "data/proteins": ["data/proteins_test.py"],
    "data/series": ["data/series_test.py"],
    "data/graphs": ["data/graphs_test.py"],
    "training": ["training_test.py"],
    "models/taggers": ["models/taggers_test.py"],
    "models/forecasters": ["models/forecasters_test.py"],
    "models/walks": ["models/walks_test.py"],
    "diagnostics/gradients": ["diagnostics/gradients_test.py"],
    "results": ["results_test.py"],
    "challenges/core": ["challenges/core_test.py"],
    "challenges/gaussians": ["challenges/core_test.py"],
    "challenges/proteins": ["challenges/proteins_test.py"],
    "challenges/forecasting": ["challenges/forecasting_test.py"],
    "challenges/walks": ["challenges/walks_test.py"],
    "data/motifs": ["data/motifs_test.py"],
    "oracles/motifs": ["oracles/motifs_test.py"],
    "challenges/motifs": ["challenges/motifs_test.py"],
    "models/multitask": ["models/multitask_test.py"],
    "losses/joint": ["losses/joint_test.py"],
    "diagnostics/saliency": ["diagnostics/saliency_test.py"],
    "data/reactions": ["data/reactions_test.py"],
    "oracles/reactions": ["oracles/reactions_test.py"],
    "models/reactions": ["models/reactions_test.py"],
    "layers/attention_pooling": ["layers/attention_pooling_test.py"],
    "losses/alignment": ["losses/alignment_test.py"],
    "challenges/reactions": ["challenges/reactions_test.py"],
    "oracles/gene_hmm": ["oracles/gene_hmm_test.py"],
    "data/genes": ["data/genes_test.py"],
    "models/gene_finders": ["models/gene_finders_test.py"],
    "challenges/genes": ["challenges/genes_test.py"],
    "data/splice": ["data/splice_test.py"],
    "data/contigs": ["data/contigs_test.py"],
}
# Functions whose code only runs where a package absent from the course's machines is installed: their
# mutants are not run, and the reports list them as "untestable here" with the reason (outside the score).
UNTESTABLE = {
    "diagnostics/gradients": {"_torch_gradients": "PyTorch is not installed on the course's machines (its PyPI wheel pulls CUDA)"},
}
# The argument checks are what checks.py computes: every mutant there counts as compute.
ALL_COMPUTE = {"checks"}
# The backend a module's mutants run on (JAX unless named): float64 exists on TensorFlow, not on JAX without x64,
# so a mutant that drops a module's float64 path only fails there.
BACKEND = {"losses/alignment": "tensorflow"}
KERAS_FREE = {"oracles/hmm", "oracles/ar1", "oracles/random_walks", "checks", "baselines", "data/graphs", "oracles/gene_hmm",
              "data/genes", "data/splice", "data/contigs"}

# mutmut 3's exit codes in <file>.meta (mutmut/__main__.py: status_by_exit_code).
KILLED = {1, 3, -11, -9, 24, -24, 36, 152, 255}  # failing test, segfault, killed, timeout (a mutant that hangs is caught)
NO_TESTS = {5, 33}  # every other code (0 survived, 35 suspicious, ...) counts as a survivor
VALIDATION_CALL = re.compile(r"^(check_\w+|_check\w*|warnings\.warn|warn)$")


def slug(module):
    return module.replace("/", "-")


def mutmut_bin():
    return str(Path(sys.executable).with_name("mutmut"))


def workdir(module, sample=None):
    """The scratch copy of a module's run; a sample has its own, so it never clobbers a full run's."""
    return SCRATCH / (f"sample{sample}-{slug(module)}" if sample else slug(module))


def prepare(module, sample=None):
    work = workdir(module, sample)
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    shutil.copytree(ROOT / "keras_patterns", work / "keras_patterns", ignore=shutil.ignore_patterns("__pycache__"))
    tests = ", ".join(f'"keras_patterns/{t}"' for t in MODULES[module])
    # mutmut's trampoline is a `(*args, **kwargs)` wrapper whose `__wrapped__` is the method. Keras builds a
    # layer's default config from `inspect.getfullargspec(cls.__init__)`, which does not unwrap: a trampolined
    # `__init__` has no `self` there and every layer test fails before a mutant runs. Only in the scratch copy.
    (work / "keras_patterns" / "conftest.py").write_text(
        '"""Mutation runs only (benchmarks/mutation_lib.py): let Keras see through mutmut\'s trampolines."""\n'
        "import inspect\n\n"
        "_getfullargspec = inspect.getfullargspec\n"
        "inspect.getfullargspec = lambda func: _getfullargspec(inspect.unwrap(func))\n"
    )
    # A worker forked from a process whose JAX/TensorFlow thread pools have run can deadlock (seen here:
    # a metrics mutant hung at 0 % CPU until its timeout, which would have counted as killed). mutmut's
    # fork server only imports and collects the tests, so each worker starts its thread pools itself.
    isolation = 'process_isolation = "forkserver"\n' if module not in KERAS_FREE else ""
    (work / "pyproject.toml").write_text(
        "[tool.mutmut]\n"
        'source_paths = ["keras_patterns"]\n'
        f'only_mutate = ["keras_patterns/{module}.py"]\n'
        f"pytest_add_cli_args_test_selection = [{tests}]\n"
        'pytest_add_cli_args = ["-p", "no:cacheprovider", "-x", "-q", "-p", "no:randomly"]\n'
        "use_git_change_detection = false\n"
        f"{isolation}"
        "timeout_multiplier = 10.0\n"
        "timeout_constant = 20.0\n\n"
        "[tool.pytest.ini_options]\n"
        'python_files = ["*_test.py", "test_*.py"]\n'
        'markers = ["slow: executes notebooks or the grader (minutes)"]\n'
    )
    return work


def env_for(module):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONHASHSEED="0")
    if module not in KERAS_FREE:
        env.setdefault("KERAS_BACKEND", BACKEND.get(module, "jax"))
    env.pop("KP_FAIL_ON_SKIP", None)
    return env


def mutant_names(work, module):
    """Every mutant mutmut generated for `module` (its names in the mutated copy)."""
    text = (work / "mutants" / "keras_patterns" / f"{module}.py").read_text()
    dotted = "keras_patterns." + module.replace("/", ".")
    return [f"{dotted}.{name}" for name in re.findall(r"^\s*def (x\S*?__mutmut_\d+)\(", text, re.M)]


def compute_names(work, module, skip_equivalent=False):
    """The compute mutants of `module` (less those recorded equivalent, with skip_equivalent)."""
    sources = function_sources(work / "mutants" / "keras_patterns" / f"{module}.py")
    equivalents = json.loads(EQUIVALENT.read_text()) if EQUIVALENT.exists() else {}
    names = []
    for name in mutant_names(work, module):
        if untestable_reason(module, name):
            continue
        kind, diff = classify(module, sources, name)
        if kind == "compute" and not (skip_equivalent and equivalent_key(module, name, diff) in equivalents):
            names.append(name)
    return names


def untestable_reason(module, name):
    """Why `name` (a mutant of `module`) cannot be run here, or None."""
    func = name.rsplit(".", 1)[1].rsplit("__mutmut_", 1)[0]
    return UNTESTABLE.get(module, {}).get(func.removeprefix("x_"))


def sample_names(work, module, sample, seed):
    """`sample` compute mutants of `module`, drawn with `seed`, less those recorded equivalent."""
    names = compute_names(work, module, skip_equivalent=True)
    return sorted(random.Random(f"{seed}:{module}").sample(names, min(sample, len(names))))


def regressions(data, module):
    """Sampled survivors that the committed report does not list as surviving: the tests got weaker
    (or new code came without a test that kills the mutant)."""
    path = REPORTS / f"{slug(module)}.json"
    known = {s["key"] for s in json.loads(path.read_text())["survivors"]} if path.exists() else set()
    return [s for s in data["survivors"] if s["kind"] == "compute" and s["verdict"] == "survived" and s["key"] not in known]


def run_mutmut(work, module, names, log):
    cmd = [mutmut_bin(), "run", "--max-children", "1", *names]
    with open(log, "a") as out:
        out.write("$ " + " ".join(cmd[:4]) + f" <{len(names)} names>\n" if names else "$ " + " ".join(cmd) + "\n")
        out.flush()
        return subprocess.run(cmd, cwd=work, env=env_for(module), stdout=out, stderr=subprocess.STDOUT).returncode


def function_sources(path):
    """name -> (first line, source lines) of every mutmut variant in the mutated file."""
    text = path.read_text()
    lines = text.splitlines()
    out = {}
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and "__mutmut_" in node.name:
            out[node.name] = (node, lines[node.lineno - 1 : node.end_lineno])
    return out


def _validation_spans(orig_node):
    """Line spans (relative to the function's first line) of raise statements and check/warn calls."""
    spans = []
    for node in ast.walk(orig_node):
        if isinstance(node, ast.Raise):
            spans.append((node.lineno, node.end_lineno))
        elif isinstance(node, ast.Call):
            name = ast.unparse(node.func)
            # A check whose value argument is an expression computes that value too: not validation only.
            computes = name.startswith(("check_", "_check")) and len(node.args) > 1 and not isinstance(
                node.args[1], (ast.Name, ast.Constant, ast.Attribute))
            if VALIDATION_CALL.match(name) and not computes:
                spans.append((node.lineno, node.end_lineno))
        elif isinstance(node, ast.If) and all(isinstance(s, ast.Raise) for s in node.body) and not node.orelse:
            # `if <bad>: raise ...`: the condition only decides whether an error is raised.
            spans.append((node.lineno, node.end_lineno))
    return [(a - orig_node.lineno, b - orig_node.lineno) for a, b in spans]


def describe(sources, name):
    """(kind, changed original lines, unified diff) of one mutant."""
    short = name.rsplit(".", 1)[1]
    base = short.rsplit("__mutmut_", 1)[0]
    orig_node, orig = sources[base + "__mutmut_orig"]
    _, mutant = sources[short]
    mutant = [re.sub(r"__mutmut_\d+\(", "__mutmut_orig(", mutant[0], count=1)] + mutant[1:]
    matcher = difflib.SequenceMatcher(a=orig, b=mutant, autojunk=False)
    changed = set()
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "equal":
            changed.update(range(i1, max(i2, i1 + 1)))
    diff = [line for line in difflib.unified_diff(orig, mutant, lineterm="", n=0) if line[:1] in "+-" and line[:3] not in ("+++", "---")]
    spans = _validation_spans(orig_node)
    if re.match(r"x_?_check", short):  # the body of a module's own argument-check helper (e.g. taggers._check)
        spans = [(0, len(orig))]
    kind = "validation" if changed and all(any(a <= c <= b for a, b in spans) for c in changed) else "compute"
    return kind, diff


def classify(module, sources, name):
    kind, diff = describe(sources, name)
    return ("compute" if module in ALL_COMPUTE else kind), diff


def equivalent_key(module, name, diff):
    func = name.rsplit(".", 1)[1].rsplit("__mutmut_", 1)[0]
    return f"{module}:{func}:" + " | ".join(line.strip() for line in diff)


def report(work, module, names, sampled, seed, seconds):
    meta = json.loads((work / "mutants" / "keras_patterns" / f"{module}.py.meta").read_text())["exit_code_by_key"]
    sources = function_sources(work / "mutants" / "keras_patterns" / f"{module}.py")
    equivalents = json.loads(EQUIVALENT.read_text()) if EQUIVALENT.exists() else {}
    counts = {k: {"mutants": 0, "killed": 0, "survived": 0, "equivalent": 0, "not_run": 0} for k in ("compute", "validation")}
    survivors = []
    for name in names:
        code = meta.get(name)
        kind, diff = classify(module, sources, name)
        c = counts[kind]
        c["mutants"] += 1
        why_not = untestable_reason(module, name)
        if why_not:
            c["not_run"] += 1
            survivors.append({"mutant": name, "kind": kind, "verdict": "untestable here", "reason": why_not,
                              "exit_code": code, "key": equivalent_key(module, name, diff), "diff": diff})
            continue
        if code in KILLED:
            c["killed"] += 1
            continue
        if code is None:
            c["not_run"] += 1
            continue
        key = equivalent_key(module, name, diff)
        verdict = "survived"
        reason = None
        if kind == "compute" and key in equivalents:
            verdict, reason = "equivalent", equivalents[key]
            c["equivalent"] += 1
        else:
            c["survived"] += 1
        if code in NO_TESTS:
            reason = (reason or "") + " (no test reaches this function)"
        survivors.append({"mutant": name, "kind": kind, "verdict": verdict, "reason": reason, "exit_code": code, "key": key, "diff": diff})
    comp = counts["compute"]
    denominator = comp["mutants"] - comp["equivalent"] - comp["not_run"]
    score = comp["killed"] / denominator if denominator else 1.0
    val = counts["validation"]
    val_run = val["mutants"] - val["not_run"]
    out = {
        "module": f"keras_patterns/{module}.py",
        "tool": "mutmut",
        "tool_version": _mutmut_version(),
        "command": f"python benchmarks/mutation_lib.py {module}" + (f" --sample {sampled} --seed {seed}" if sampled else "")
        + (" --compute-only" if val_run == 0 and val["mutants"] else ""),
        "tests": [f"keras_patterns/{t}" for t in MODULES[module]],
        "backend": env_for(module).get("KERAS_BACKEND", "none (NumPy only)"),
        "sample": sampled,
        "seed": seed if sampled else None,
        "seconds": round(seconds, 1),
        "compute": comp,
        "validation": val,
        "score": round(score, 4),
        "validation_score": round(val["killed"] / val_run, 4) if val_run else None,
        "survivors": survivors,
    }
    return out


def mark_equivalent(module, marks):
    data = json.loads((REPORTS / f"{slug(module)}.json").read_text())
    by_name = {s["mutant"].rsplit(".", 1)[1]: s for s in data["survivors"]}
    equivalents = json.loads(EQUIVALENT.read_text()) if EQUIVALENT.exists() else {}
    for mutant, reason in marks:
        survivor = by_name.get(mutant.rsplit(".", 1)[-1])
        if survivor is None or survivor["kind"] != "compute":
            raise SystemExit(f"{module}: {mutant} is not a surviving compute mutant of the last report")
        equivalents[survivor["key"]] = reason
    EQUIVALENT.write_text(json.dumps(dict(sorted(equivalents.items())), indent=1, ensure_ascii=False) + "\n")


def _mutmut_version():
    try:
        import mutmut

        return mutmut.__version__
    except Exception:  # pragma: no cover
        return "unknown"


def write_markdown(data, path):
    c, v = data["compute"], data["validation"]
    lines = [
        f"# Mutation report: `{data['module']}`",
        "",
        f"Tool: {data['tool']} {data['tool_version']}; command: `{data['command']}`; tests: "
        + ", ".join(f"`{t}`" for t in data["tests"])
        + f"; backend: {data['backend']}; {data['seconds']} s.",
        "",
        *( [f"**A seeded sample**: {data['sample']} compute mutants drawn with seed {data.get('seed')} "
            "(the full run did not fit in the session); the score is the sample's.", ""] if data["sample"] else []),
        "| kind | mutants | killed | equivalent | survived | score |",
        "|---|---|---|---|---|---|",
        f"| compute | {c['mutants']} | {c['killed']} | {c['equivalent']} | {c['survived']} | {data['score']:.1%} |",
        f"| validation (outside the target) | {v['mutants']} | {v['killed']} | - | {v['survived']} | "
        + (f"{data['validation_score']:.1%}" if data["validation_score"] is not None else "-")
        + " |",
        "",
        "## Surviving compute mutants",
        "",
    ]
    comp = [s for s in data["survivors"] if s["kind"] == "compute"]
    if not comp:
        lines.append("None.")
    for s in comp:
        lines.append(f"- `{s['mutant'].rsplit('.', 1)[1]}`: **{s['verdict']}**" + (f": {s['reason']}" if s["reason"] else ""))
        lines.append("  ```diff")
        lines.extend("  " + d for d in s["diff"])
        lines.append("  ```")
    val = [s for s in data["survivors"] if s["kind"] == "validation"]
    lines += ["", f"## Surviving validation mutants ({len(val)})", "", "Argument checks and messages; listed, not triaged."]
    for s in val:
        lines.append(f"- `{s['mutant'].rsplit('.', 1)[1]}`: " + " / ".join(f"`{d}`" for d in s["diff"][:2]))
    path.write_text("\n".join(lines) + "\n")


def run_module(module, sample=None, seed=0, report_only=False, compute_only=False, save=False):
    work = workdir(module, sample)
    log = work / "run.log"
    start = time.time()
    if not report_only:
        work = prepare(module, sample)
        # First pass: mutmut generates every mutant and runs the clean tests; with a sample it runs none yet.
        two_pass = sample or compute_only
        code = run_mutmut(work, module, [f"keras_patterns.{module.replace('/', '.')}.x_no_such_function*"] if two_pass else [], log)
        if two_pass:
            chosen = sample_names(work, module, sample, seed) if sample else compute_names(work, module)
            code = run_mutmut(work, module, chosen, log)
        if code != 0:
            print(f"{module}: mutmut exited {code}; see {log}", file=sys.stderr)
            return None
    if report_only and (REPORTS / f"{slug(module)}.json").exists() and not sample:
        previous = json.loads((REPORTS / f"{slug(module)}.json").read_text())
        if previous.get("sample"):
            sample, seed = previous["sample"], previous.get("seed", 0)
            work = workdir(module, sample)
    if sample and report_only:
        # The mutants this sample ran: the only ones with a result in its scratch copy (a new draw would
        # differ once equivalents are recorded).
        meta = json.loads((work / "mutants" / "keras_patterns" / f"{module}.py.meta").read_text())["exit_code_by_key"]
        names = [n for n in mutant_names(work, module) if meta.get(n) is not None]
    else:
        names = sample_names(work, module, sample, seed) if sample else mutant_names(work, module)
    data = report(work, module, names, sample, seed, time.time() - start)
    if not report_only and (not sample or save):
        REPORTS.mkdir(parents=True, exist_ok=True)
        (REPORTS / f"{slug(module)}.json").write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n")
        write_markdown(data, REPORTS / f"{slug(module)}.md")
    elif report_only:
        data["seconds"] = json.loads((REPORTS / f"{slug(module)}.json").read_text()).get("seconds", 0) if (REPORTS / f"{slug(module)}.json").exists() else 0
        (REPORTS / f"{slug(module)}.json").write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n")
        write_markdown(data, REPORTS / f"{slug(module)}.md")
    c = data["compute"]
    print(
        f"{module}: compute {c['killed']}/{c['mutants'] - c['equivalent'] - c['not_run']} killed "
        f"({data['score']:.1%}; {c['equivalent']} equivalent, {c['survived']} survived); "
        f"validation {data['validation']['killed']}/{data['validation']['mutants']}; {data['seconds']} s"
    )
    for s in data["survivors"]:
        if s["kind"] == "compute" and s["verdict"] == "survived":
            print(f"  survived: {s['mutant']}: " + " / ".join(s["diff"]))
    return data


def summary_table():
    """The markdown rows of MUTATION_LIB.md's results table, from the committed reports."""
    rows = []
    for module in MODULES:
        path = REPORTS / f"{slug(module)}.json"
        if not path.exists():
            rows.append(f"| `{module}` | not run | | | | | |")
            continue
        d = json.loads(path.read_text())
        c, v = d["compute"], d["validation"]
        val = f"{v['killed']}/{v['mutants']}" if v["mutants"] - v["not_run"] else "not run"
        sampled = f" (seeded sample of {d['sample']})" if d.get("sample") else ""
        rows.append(f"| `{module}` | {c['mutants']}{sampled} | {c['killed']} | {c['equivalent']} | {c['survived']} | "
                    f"**{d['score']:.1%}** | {val} |")
    return "\n".join(rows)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("modules", nargs="*", help="modules under keras_patterns/ (default: all of MODULES)")
    parser.add_argument("--sample", type=int, help="run only this many mutants per module, drawn with --seed")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--min-score", type=float, help="exit 1 when a module's compute score is below this")
    parser.add_argument("--report-only", action="store_true", help="rewrite the reports from the last run")
    parser.add_argument("--compute-only", action="store_true",
                        help="run only the compute mutants (validation ones are then reported as not run)")
    parser.add_argument("--check", action="store_true",
                        help="with --sample: exit 1 when a sampled mutant survives that the committed report "
                             "does not list as a survivor")
    parser.add_argument("--mark", nargs=2, action="append", metavar=("MUTANT", "REASON"),
                        help="record a surviving mutant of the module's last report as equivalent, with a one-line "
                             "reason (repeatable; MUTANT as in the report, e.g. x_f__mutmut_3)")
    parser.add_argument("--save", action="store_true",
                        help="with --sample: write the sample's report as the module's report (marked as a sample)")
    parser.add_argument("--summary", action="store_true", help="print the results table of MUTATION_LIB.md")
    args = parser.parse_args(argv)
    if args.summary:
        print(summary_table())
        return 0
    if args.mark:
        if len(args.modules) != 1:
            parser.error("--mark needs exactly one module")
        mark_equivalent(args.modules[0], args.mark)
        args.report_only = True
    modules = args.modules or list(MODULES)
    unknown = [m for m in modules if m not in MODULES]
    if unknown:
        parser.error(f"unknown modules {unknown}; known: {sorted(MODULES)}")
    failed = []
    total = [0, 0]
    started = time.time()
    for module in modules:
        data = run_module(module, args.sample, args.seed, args.report_only, args.compute_only, args.save)
        if data is None:  # mutmut failed (its log says why): no report, nothing to total
            failed.append(module)
            continue
        if args.min_score is not None and data["score"] < args.min_score:
            failed.append(module)
        elif args.check:
            new = regressions(data, module)
            for s in new:
                print(f"  REGRESSION: {s['mutant']} survives, but the committed report has it killed: "
                      + " / ".join(s["diff"]), file=sys.stderr)
            if new:
                failed.append(module)
        total[0] += data["compute"]["killed"]
        total[1] += data["compute"]["mutants"] - data["compute"]["equivalent"] - data["compute"]["not_run"]
    if args.sample:
        print(f"sample: {total[0]}/{total[1]} compute mutants killed ({total[0] / max(total[1], 1):.1%}), "
              f"{time.time() - started:.0f} s")
    if failed:
        print(f"mutation check failed (score below --min-score, a regression, or mutmut failed): {failed}",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
