"""Bugs planted by hand in the library, as a reviewer would, and whether its unit tests catch them (issue 15).

    python benchmarks/planted_bugs_lib.py            # every bug, one at a time; writes benchmarks/planted_bugs_lib.md
    python benchmarks/planted_bugs_lib.py 3 7        # some, by number

Each bug is one textual edit of one library module, applied to a scratch copy of the package
(build/planted_bugs/), never to the working tree: the notebooks of the course import keras_patterns from
the working tree (editable install), and a planted bug there would reach them. The module's own test
file(s) then run in that copy (`pytest -x`, Keras on JAX); a bug is caught when they fail.

These are not mutmut's mutants: they are the kinds of mistakes the issue names (a transposed matrix, an
off-by-one exponent, a wrong averaging axis, state not reset, an argument silently ignored), written
before looking at which tests exist.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRATCH = ROOT / "build" / "planted_bugs"

# (module under keras_patterns/, test files, old text, new text, what the bug is)
BUGS = [
    ("oracles/hmm.py", ["oracles/hmm_test.py"], "predicted = alphas[t] @ transition",
     "predicted = transition @ alphas[t]", "HMM forward pass with the transposed transition matrix"),
    ("oracles/ar1.py", ["oracles/ar1_test.py"], "(1.0 - phi ** (2.0 * h)) / (1.0 - phi**2)",
     "(1.0 - phi ** (2.0 * h - 2.0)) / (1.0 - phi**2)", "off-by-one exponent in the optimal H-step MSE"),
    ("oracles/random_walks.py", ["oracles/random_walks_test.py"], "return a / degrees[:, None]",
     "return a / degrees[None, :]", "transition matrix normalised by the wrong axis (columns)"),
    ("metrics.py", ["metrics_test.py"], "accuracy = ops.mean(ops.cast(hits, \"float32\"), axis=0)",
     "accuracy = ops.mean(ops.cast(hits, \"float32\"), axis=-1)", "per-step accuracy averaged over the wrong axis"),
    ("metrics.py", ["metrics_test.py"], "        self.correct.assign(0.0)\n        self.count.assign(0.0)",
     "        self.count.assign(0.0)", "MaskedQ3.reset_state forgets to reset the hit count"),
    ("metrics.py", ["metrics_test.py"], "return np.mean((y_true - y_pred) ** 2, axis=0)",
     "return np.mean((y_true - y_pred) ** 2, axis=0) / 2", "MSE per horizon halved (a stray 1/2 of a loss)"),
    ("models/taggers.py", ["models/taggers_test.py"],
     "keras.layers.Embedding(num_tokens + 1, embedding_dim, mask_zero=True",
     "keras.layers.Embedding(num_tokens + 1, 16, mask_zero=True", "embedding_dim silently ignored"),
    ("models/taggers.py", ["models/taggers_test.py"], "mask_zero=True", "mask_zero=False",
     "padding not masked"),
    ("models/taggers.py", ["models/taggers_test.py"],
     "RNN_CELLS[cell](num_hiddens, return_sequences=True), merge_mode=merge_mode",
     "RNN_CELLS[cell](num_hiddens, return_sequences=True), merge_mode=\"concat\"", "merge_mode silently ignored"),
    ("training.py", ["training_test.py"],
     "callbacks.append(keras.callbacks.EarlyStopping(monitor=\"val_loss\", patience=patience, restore_best_weights=True))",
     "callbacks.append(keras.callbacks.EarlyStopping(monitor=\"val_loss\", patience=patience + 1, restore_best_weights=True))",
     "fit_forecaster's patience off by one"),
    ("baselines.py", ["baselines_test.py"], "majority = np.bincount(train_labels).argmax()",
     "majority = np.bincount(np.asarray(y_test)[np.asarray(m_test).astype(bool)]).argmax()",
     "majority class taken from the test labels"),
    ("data/series.py", ["data/series_test.py"], "return frames[:, :window, None], frames[:, window:]",
     "return frames[:, :window, None], frames[:, window - 1:-1]", "targets shifted one step back (leak of x_t)"),
    ("models/forecasters.py", ["models/forecasters_test.py"],
     "previous = ops.concatenate([window[:, -1, :], targets[:, :-1]], axis=1)",
     "previous = ops.concatenate([window[:, -1, :], targets[:, 1:]], axis=1)",
     "teacher forcing feeds the future target"),
    ("data/graphs.py", ["data/graphs_test.py"], "    y = labels[walks[:, 0]]", "    y = labels[walks[:, -1]]",
     "global target read from the last node, not the start"),
    ("challenges/core.py", ["challenges/core_test.py"],
     'updates = out["epochs"] * math.ceil(num_train / out["batch_size"])',
     'updates = out["epochs"] * (num_train // out["batch_size"])',
     "challenge updates counted with a floor: the last, partial batch of each epoch is free"),
    ("challenges/core.py", ["challenges/core_test.py"], "        if gap <= self.full_within:\n            return float(points)",
     "        if gap <= self.full_within:\n            return float(points) - 0.01",
     "full challenge points never reached (a design at the limit loses 0.01)"),
    ("challenges/walks.py", ["challenges/walks_test.py"], "return posterior[np.asarray(x)[:, 0]].argmax(axis=-1)",
     "return posterior[np.asarray(x)[:, -1]].argmax(axis=-1)",
     "the walk challenge's Bayes classifier reads the window's last node, not its first"),
    ("results.py", ["results_test.py"], 'if self.session.profile == "smoke" and verdict != "inconclusive at smoke":',
     'if self.session.profile == "smoke" and verdict == "does not hold here":',
     "a smoke record keeps a 'holds' verdict (only refutations are made inconclusive)"),
    ("results.py", ["results_test.py"], '"wall_seconds": round(time.perf_counter() - self.session.started, 2)',
     '"wall_seconds": round(time.perf_counter() - self.session.started)', "wall time rounded to whole seconds"),
    ("diagnostics/gradients.py", ["diagnostics/gradients_test.py"], "        y = tf.reduce_sum(fn(x))",
     "        y = tf.reduce_mean(fn(x))", "TensorFlow gradient of the mean instead of the sum (scaled by 1/N)"),
    ("checks.py", ["checks_test.py"], "(value >= low if include_low else value > low)",
     "(value > low if include_low else value > low)", "an inclusive lower bound refuses the bound itself"),
    ("models/walks.py", ["models/walks_test.py"], '    state = keras.layers.GRU(num_hiddens, name="gru")(x)',
     '    state = keras.layers.GRU(num_hiddens, name="gru", go_backwards=True)(x)',
     "the many-to-one walk classifier reads the walk backwards"),
]


def run_bug(number):
    module, tests, old, new, what = BUGS[number - 1]
    work = SCRATCH / str(number)
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    shutil.copytree(ROOT / "keras_patterns", work / "keras_patterns", ignore=shutil.ignore_patterns("__pycache__"))
    (work / "pyproject.toml").write_text(
        '[tool.pytest.ini_options]\npython_files = ["*_test.py", "test_*.py"]\n'
        'markers = ["slow: executes notebooks or the grader (minutes)"]\n'
    )
    path = work / "keras_patterns" / module
    text = path.read_text()
    if text.count(old) != 1:
        return {"number": number, "what": what, "module": module, "status": "not planted (text not found once)"}
    path.write_text(text.replace(old, new))
    env = dict(os.environ, KERAS_BACKEND="jax", TF_CPP_MIN_LOG_LEVEL="3", PYTHONPATH=str(work))
    env.pop("KP_FAIL_ON_SKIP", None)
    started = time.time()
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *[f"keras_patterns/{t}" for t in tests]],
        cwd=work, env=env, capture_output=True, text=True,
    )
    failed = [line.split(" ")[1] for line in proc.stdout.splitlines() if line.startswith("FAILED ")]
    status = "caught" if proc.returncode == 1 else ("missed" if proc.returncode == 0 else f"error (pytest exit {proc.returncode})")
    return {"number": number, "what": what, "module": module, "status": status,
            "by": failed[0] if failed else "", "seconds": round(time.time() - started, 1)}


def main(argv):
    numbers = [int(a) for a in argv] or list(range(1, len(BUGS) + 1))
    results = []
    for number in numbers:
        result = run_bug(number)
        print(f"{number:2d} {result['status']:8s} {result['module']}: {result['what']}  {result.get('by', '')}", flush=True)
        results.append(result)
    caught = sum(r["status"] == "caught" for r in results)
    print(f"caught {caught} of {len(results)}")
    if not argv:
        lines = ["# Planted bugs in the library (benchmarks/planted_bugs_lib.py)", "",
                 f"Caught by the unit tests: **{caught} of {len(results)}**.", "",
                 "| # | module | bug | result | first failing test |", "|---|---|---|---|---|"]
        lines += [f"| {r['number']} | `{r['module']}` | {r['what']} | {r['status']} | `{r.get('by', '')}` |" for r in results]
        (ROOT / "benchmarks" / "planted_bugs_lib.md").write_text("\n".join(lines) + "\n")
    return 0 if caught == len(results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
