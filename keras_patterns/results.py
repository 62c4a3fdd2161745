"""The chapter results record: `build/results/CH.json`.

Every headline number a notebook reports is written here by the notebook
itself, with the profile, backend, device and seeds that produced it. `kp run`
and `kp demo` read these files to print the course table and `summary.md`.

Used in every chapter.
"""

from __future__ import annotations

import json
import math
import os
import time
from pathlib import Path

import numpy as np

from keras_patterns.checks import check_choice, check_int, check_number

VERDICTS = ("holds", "does not hold here", "inconclusive", "inconclusive at smoke")

#: What a notebook prints, and its record keeps, for a run at `smoke`.
SMOKE_NOTE = (
    "Profile smoke: the models are untrained (a few updates on tiny sets), so the numbers below only prove that "
    "the code runs. Every claim's verdict is 'inconclusive at smoke'; run at the default profile to test the "
    "claims (PROFILE = \"default\" in the parameters cell, or KP_PROFILE=default before starting Jupyter)."
)


def results_dir():
    """Where records go: `$KP_RESULTS_DIR`, else `<repo>/build/results`, else `./build/results`.

    `<repo>` is the course root found upward from the working directory (a
    student running `course/CH/CH.ipynb` in a clone of the course writes to
    the clone's `build/results/CH.json`); every notebook says so where it saves.
    """
    env = os.environ.get("KP_RESULTS_DIR")
    if env:
        return Path(env)
    here = Path.cwd().resolve()
    for parent in (here, *here.parents):
        if (parent / "pyproject.toml").exists() and (parent / "keras_patterns").is_dir():
            return parent / "build" / "results"
    return here / "build" / "results"


def _number(name, value):
    return check_number(str(name), value)


def verdict(holds, inconclusive=False, profile=None):
    """Map a measured test of a claim to one of `VERDICTS`.

    At `profile="smoke"` every verdict is "inconclusive at smoke": the models
    are untrained there, so no measurement can confirm or refute a claim.

    Example:

    >>> verdict(True), verdict(False), verdict(True, profile="smoke")
    ('holds', 'does not hold here', 'inconclusive at smoke')
    """
    if profile == "smoke":
        return "inconclusive at smoke"
    if inconclusive:
        return "inconclusive"
    return "holds" if bool(holds) else "does not hold here"


class ResultsRecord:
    """Collects a chapter's measured numbers and writes them as JSON.

    Args:
        chapter: the chapter id, e.g. "ch01_protein_ss".
        session: the `Session` returned by `keras_patterns.session.setup()`.
        seeds: the seeds the claim was measured over.

    Example:

    >>> import tempfile
    >>> from keras_patterns.session import Session
    >>> session = Session("default", "tensorflow", "CPU", 0, time.perf_counter())
    >>> record = ResultsRecord("ch01_protein_ss", session, seeds=[0, 1, 2])
    >>> record.metric("q3_bidirectional", 0.74)
    0.74
    >>> record.limit("q3_limit_smoothing", 0.76)
    0.76
    >>> record.headline("q3_bidirectional", "q3_limit_smoothing")
    >>> record.claim("birnn_beats_unidirectional", "A Bi-RNN beats a one-way RNN", {"gap": 0.08}, "holds")
    'holds'
    >>> path = record.save(Path(tempfile.mkdtemp()) / "ch01_protein_ss.json")  # doctest: +ELLIPSIS
    Results record written to .../ch01_protein_ss.json
    """

    def __init__(self, chapter, session, seeds):
        self.chapter = str(chapter)
        self.session = session
        self.seeds = [check_int(f"seeds[{i}]", s) for i, s in enumerate(seeds)]
        self.metrics = {}
        self.limits = {}
        self.claims = []
        self.extra = {}
        self._headline = None

    def metric(self, name, value):
        """Record a measured metric (a model's number)."""
        self.metrics[str(name)] = _number(name, value)
        return self.metrics[str(name)]

    def limit(self, name, value):
        """Record a limit or baseline (an oracle's or a classical method's number)."""
        self.limits[str(name)] = _number(name, value)
        return self.limits[str(name)]

    def headline(self, metric, limit, higher_is_better=True):
        """Name the metric and limit shown in the course table."""
        self._headline = {"metric": metric, "limit": limit, "higher_is_better": bool(higher_is_better)}

    def claim(self, claim_id, statement, measured, verdict):
        """Record the textbook chapter's claim, what was measured, and the verdict.

        At `smoke` the verdict stored is "inconclusive at smoke" whatever was
        passed (what the measurement alone would say is kept as
        `verdict_at_this_size`), so a smoke record can never confirm or refute a claim.
        """
        check_choice("verdict", verdict, VERDICTS)
        entry = {"id": str(claim_id), "statement": str(statement), "measured": _jsonable(measured), "verdict": verdict}
        if self.session.profile == "smoke" and verdict != "inconclusive at smoke":
            entry["verdict_at_this_size"] = verdict
            entry["verdict"] = "inconclusive at smoke"
        self.claims.append(entry)
        return entry["verdict"]

    def challenge(self, result):
        """Record a `keras_patterns.challenges.ChallengeResult`: its score, the limit, the gap and the points."""
        self.metric("challenge_score", result.score)
        self.limit("challenge_limit", result.limit)
        self.metric("challenge_gap", result.gap)
        self.note("challenge", result.as_dict())

    def note(self, key, value):
        """Anything else worth keeping (per-seed values, sizes); must be JSON-serialisable."""
        self.extra[str(key)] = _jsonable(value)

    def as_dict(self):
        if self._headline is not None:
            for kind, table in (("metric", self.metrics), ("limit", {**self.limits, **self.metrics})):
                if self._headline[kind] not in table:
                    raise KeyError(f"headline {kind} {self._headline[kind]!r} was never recorded")
        return {
            "chapter": self.chapter,
            "profile": self.session.profile,
            "backend": self.session.backend,
            "device": self.session.device,
            "seeds": self.seeds,
            "wall_seconds": round(time.perf_counter() - self.session.started, 2),
            "metrics": self.metrics,
            "limits": self.limits,
            "claims": self.claims,
            "headline": self._headline,
            "extra": self.extra,
            **({"note": SMOKE_NOTE} if self.session.profile == "smoke" else {}),
        }

    def save(self, path=None, verbose=True):
        """Write the record (to `results_dir()/CH.json` unless `path` is given), say where, and return the path."""
        path = Path(path) if path is not None else results_dir() / f"{self.chapter}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        data = self.as_dict()
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(data, indent=2, sort_keys=False) + "\n")
        tmp.replace(path)
        if verbose:
            print(f"Results record written to {path}")
        return path


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise TypeError(f"cannot store {type(value).__name__} in a results record: {value!r}")


def load_results(path):
    """Read a record and check it has the fields every record must have."""
    data = json.loads(Path(path).read_text())
    required = ("chapter", "profile", "backend", "device", "seeds", "wall_seconds", "metrics", "limits", "claims")
    missing = [k for k in required if k not in data]
    if missing:
        raise ValueError(f"{path} is not a results record: missing {missing}")
    return data
