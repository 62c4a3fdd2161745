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
