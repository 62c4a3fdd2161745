import json
import time

import numpy as np
import pytest

from keras_patterns.results import ResultsRecord, load_results, verdict
from keras_patterns.session import PROFILES, Session, pick, resolve_profile


def _session():
    return Session("smoke", "tensorflow", "CPU: test", 0, time.perf_counter())


def test_record_round_trip(tmp_path):
    rec = ResultsRecord("ch00_test", Session("smoke", "tensorflow", "CPU: test", 0, time.perf_counter()),
                        seeds=[0, 1, 2])
    rec.metric("acc", np.float32(0.75))
    rec.limit("acc_limit", 0.8)
    rec.headline("acc", "acc_limit")
    rec.claim("c1", "acc approaches its limit", {"gap": 0.05}, verdict(True, profile="smoke"))
    path = rec.save(tmp_path / "r.json")
    data = load_results(path)
    assert data["metrics"] == {"acc": 0.75}
    assert data["limits"] == {"acc_limit": 0.8}
    assert data["seeds"] == [0, 1, 2]
    assert data["claims"][0]["verdict"] == "inconclusive at smoke"
    assert data["profile"] == "smoke" and data["device"] == "CPU: test"
    assert json.loads(path.read_text())["headline"]["metric"] == "acc"


def test_results_dir_env(tmp_path, monkeypatch):
    monkeypatch.setenv("KP_RESULTS_DIR", str(tmp_path))
    rec = ResultsRecord("ch00_env", _session(), seeds=[0])
    rec.metric("m", 1.0)
    assert rec.save() == tmp_path / "ch00_env.json"


@pytest.mark.parametrize("bad", [float("nan"), "0.5", None, True])
def test_non_numbers_are_refused(bad):
    rec = ResultsRecord("ch00", _session(), seeds=[0])
    with pytest.raises((TypeError, ValueError)):
        rec.metric("m", bad)


def test_unknown_verdict_and_missing_headline():
    rec = ResultsRecord("ch00", _session(), seeds=[0])
    with pytest.raises(ValueError, match="verdict"):
        rec.claim("c", "s", 1.0, "maybe")
    rec.headline("nope", "nope")
    with pytest.raises(KeyError, match="nope"):
        rec.as_dict()


def test_profiles(monkeypatch):
    monkeypatch.setenv("KP_PROFILE", "smoke")
    assert resolve_profile() == "smoke"
    assert resolve_profile("FULL") == "full"
    with pytest.raises(ValueError, match="smoke, default, full"):
        resolve_profile("fast")
    assert pick("default", smoke=1, default=2, full=3) == 2
    with pytest.raises(ValueError, match="missing"):
        pick("smoke", smoke=1)
    assert PROFILES == ("smoke", "default", "full")


def test_autograding_ignores_the_notebook_profile(monkeypatch):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    monkeypatch.delenv("KP_PROFILE", raising=False)
    assert resolve_profile("full") == "smoke"
    monkeypatch.setenv("KP_PROFILE", "default")
    assert resolve_profile("full") == "default"


def test_smoke_claims_are_inconclusive_whatever_was_measured(tmp_path, capsys):
    rec = ResultsRecord("ch00", _session(), seeds=[0])
    rec.metric("m", 1.0)
    assert rec.claim("c", "s", {"gap": 0.0}, verdict(True)) == "inconclusive at smoke"
    data = load_results(rec.save(tmp_path / "r.json"))
    assert data["claims"][0]["verdict"] == "inconclusive at smoke"
    assert data["claims"][0]["verdict_at_this_size"] == "holds"
    assert "only prove that the code runs" in data["note"]
    assert f"written to {tmp_path / 'r.json'}" in capsys.readouterr().out
    assert verdict(False, profile="smoke") == "inconclusive at smoke"
    assert verdict(False, profile="default") == "does not hold here"


def test_default_claims_keep_their_verdict(tmp_path):
    rec = ResultsRecord("ch00", Session("default", "tensorflow", "CPU: test", 0, time.perf_counter()), seeds=[0])
    rec.metric("m", 1.0)
    assert rec.claim("c", "s", 1.0, "does not hold here") == "does not hold here"
    data = load_results(rec.save(tmp_path / "r.json", verbose=False))
    assert "note" not in data and "verdict_at_this_size" not in data["claims"][0]


def test_challenge_result_is_recorded(tmp_path):
    from keras_patterns.challenges import ChallengeResult

    rec = ResultsRecord("ch00", _session(), seeds=[0])
    rec.challenge(ChallengeResult(score=70.0, limit=72.5, gap=2.5, points=3.5, max_points=4.0, params=10,
                                  updates=20, training={"epochs": 2}, seconds=1.0, units="accuracy points"))
    data = load_results(rec.save(tmp_path / "r.json", verbose=False))
    assert data["metrics"]["challenge_gap"] == 2.5 and data["limits"]["challenge_limit"] == 72.5
    assert data["extra"]["challenge"]["points"] == 3.5


# --- what a record holds, field by field (the course's table and reviews read these files) ---

from keras_patterns import results as results_module


def test_results_dir_finds_the_course_root_upward(tmp_path, monkeypatch):
    monkeypatch.delenv("KP_RESULTS_DIR", raising=False)
    root = tmp_path / "course_root"
    (root / "keras_patterns").mkdir(parents=True)
    (root / "pyproject.toml").write_text("")
    deep = root / "course" / "ch01"
    deep.mkdir(parents=True)
    monkeypatch.chdir(deep)
    assert results_module.results_dir() == root.resolve() / "build" / "results"
    # A folder with only one of the two marks is not the course root: the record goes beside the notebook.
    for mark in ("pyproject.toml", "keras_patterns"):
        other = tmp_path / f"only_{mark.replace('.', '_')}"
        other.mkdir()
        (other / mark).mkdir() if mark == "keras_patterns" else (other / mark).write_text("")
        (other / "notebooks").mkdir()
        monkeypatch.chdir(other / "notebooks")
        assert results_module.results_dir() == (other / "notebooks").resolve() / "build" / "results"


def test_verdicts():
    assert verdict(True, inconclusive=True) == "inconclusive"
    assert verdict(False, inconclusive=True) == "inconclusive"
    assert verdict(False, inconclusive=True, profile="smoke") == "inconclusive at smoke"
    assert verdict(np.bool_(True), profile="default") == "holds"
    assert verdict(0) == "does not hold here"


def test_a_refused_number_is_named():
    rec = ResultsRecord("ch00", _session(), seeds=[0])
    with pytest.raises(ValueError, match=r"^`q3_bidirectional` must be a finite real number\. Received: q3_bidirectional=nan"):
        rec.metric("q3_bidirectional", float("nan"))
    with pytest.raises(ValueError, match=r"^`q3_limit` must be"):
        rec.limit("q3_limit", "0.8")


def _default_session(seconds_ago=0.0):
    return Session("default", "jax", "CPU: test", 0, time.perf_counter() - seconds_ago)


def test_the_saved_record_field_by_field(tmp_path, monkeypatch):
    session = _default_session()
    rec = ResultsRecord("ch00_test", session, seeds=[3, 4, 5])
    rec.metric("acc", 0.5)
    rec.limit("acc_limit", 0.75)
    rec.headline("acc", "acc_limit")
    measured = {"gap": np.float32(0.25), "per_seed": np.array([1, 2]), "curve": [np.float64(0.5), None, float("inf")]}
    assert rec.claim("c1", "acc approaches its limit", measured, "holds") == "holds"
    rec.note("sizes", (1, 2))
    monkeypatch.setattr(results_module.time, "perf_counter", lambda: session.started + 12.34567)
    path = rec.save(tmp_path / "deeper" / "still" / "r.json", verbose=False)
    text = path.read_text()
    data = json.loads(text)
    assert list(data) == ["chapter", "profile", "backend", "device", "seeds", "wall_seconds", "metrics", "limits",
                          "claims", "headline", "extra"]
    assert data["wall_seconds"] == 12.35 and isinstance(data["wall_seconds"], float)
    assert data["headline"] == {"metric": "acc", "limit": "acc_limit", "higher_is_better": True}
    assert data["claims"] == [{"id": "c1", "statement": "acc approaches its limit",
                               "measured": {"gap": 0.25, "per_seed": [1, 2], "curve": [0.5, None, None]},
                               "verdict": "holds"}]
    assert type(data["claims"][0]["measured"]["per_seed"][0]) is int
    assert data["extra"] == {"sizes": [1, 2]}
    assert (data["chapter"], data["profile"], data["backend"], data["seeds"]) == ("ch00_test", "default", "jax", [3, 4, 5])
    # Indented by two, keys in the order written, one record per file ending in a newline (diffs stay readable).
    assert text == json.dumps(data, indent=2) + "\n"
    assert not list(path.parent.glob("*.tmp"))
    rec.headline("acc", "acc_limit", higher_is_better=False)
    assert rec.as_dict()["headline"]["higher_is_better"] is False


def test_a_smoke_claim_keeps_what_it_measured():
    rec = ResultsRecord("ch00", _session(), seeds=[0])
    assert rec.claim("c", "s", 1.0, "does not hold here") == "inconclusive at smoke"
    assert rec.claims[0]["verdict"] == "inconclusive at smoke"
    assert rec.claims[0]["verdict_at_this_size"] == "does not hold here"
    rec.claim("d", "s", 1.0, "inconclusive at smoke")
    assert "verdict_at_this_size" not in rec.claims[1]
    assert rec.as_dict()["note"] == results_module.SMOKE_NOTE
    assert "note" not in ResultsRecord("ch00", _default_session(), seeds=[0]).as_dict()


def test_a_challenge_result_is_recorded_under_its_contract_names():
    from keras_patterns.challenges import ChallengeResult

    result = ChallengeResult(score=0.8, limit=0.9, gap=0.1, points=2.0, max_points=4.0, params=100, updates=50,
                             training={"optimizer": "adam"}, seconds=1.5, units="accuracy")
    rec = ResultsRecord("ch00", _default_session(), seeds=[0])
    rec.challenge(result)
    assert rec.metrics == {"challenge_score": 0.8, "challenge_gap": 0.1}
    assert rec.limits == {"challenge_limit": 0.9}
    assert rec.extra["challenge"] == result.as_dict()


def test_jsonable_refuses_what_json_cannot_hold():
    rec = ResultsRecord("ch00", _default_session(), seeds=[0])
    with pytest.raises(TypeError, match=r"cannot store object in a results record"):
        rec.note("x", object())
    with pytest.raises(TypeError, match="cannot store set"):
        rec.note("x", [{1, 2}])
    rec.note("nested", {1: [np.int64(2), {"a": np.array([0.5])}], "b": True, "c": None, "d": "s"})
    assert rec.extra["nested"] == {"1": [2, {"a": [0.5]}], "b": True, "c": None, "d": "s"}


def test_load_results_names_the_missing_fields(tmp_path):
    path = tmp_path / "r.json"
    path.write_text(json.dumps({"chapter": "ch00", "profile": "smoke", "backend": "jax", "device": "CPU", "seeds": [0],
                                "wall_seconds": 1.0, "metrics": {}}))
    with pytest.raises(ValueError, match=r"is not a results record: missing \['limits', 'claims'\]"):
        load_results(path)
