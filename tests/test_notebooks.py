"""Every solution notebook runs end to end at the `smoke` profile and writes its results record."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from keras_patterns.results import SMOKE_NOTE

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted(p.parent.name for p in ROOT.glob("solutions/ch*/ch*.ipynb"))

#: The metric and limit names each chapter's issue fixes (contracts other chapters and reviews rely on).
REQUIRED = {
    "ch01_protein_ss": {
        "metrics": {"q3_bidirectional", "q3_unidirectional", "q3_bidirectional_real"},
        "limits": {"q3_limit_smoothing", "q3_limit_filtering"},
    },
    "ch02_hybrid_genes": {
        "metrics": {"base_acc_hybrid", "base_acc_cnn", "base_acc_rnn", "base_acc_pooled", "boundary_acc_hybrid",
                    "boundary_acc_pooled", "base_acc_hybrid_real"},
        "limits": {"base_acc_limit", "boundary_acc_limit", "base_acc_prodigal_real"},
    },
    "ch03_motif_trunk": {
        "metrics": {"acc_global_multitask", "acc_global_single", "acc_local_multitask", "saliency_ratio_multitask",
                    "saliency_ratio_single", "acc_global_real", "saliency_at_junction_real", "acc_global_promoters_real"},
        "limits": {"acc_global_limit", "acc_local_limit", "acc_logreg_real", "acc_logreg_promoters_real"},
    },
    "ch04_smiles_multitask": {
        "metrics": {"acc_reaction_type_with_reg", "acc_reaction_type_no_reg", "f1_reactive_tokens_with_reg",
                    "f1_reactive_tokens_no_reg", "alignment_with_reg", "alignment_no_reg"},
        "limits": {"acc_reaction_type_rdkit_rule", "acc_reaction_type_fingerprint"},
    },
    "ch05_survival_heads": {
        "metrics": {"violation_no_reg", "violation_with_reg", "brier_T_no_reg", "brier_T_with_reg", "c_index_rnn_real",
                    "violation_no_reg_real", "violation_with_reg_real"},
        "limits": {"brier_T_oracle", "c_index_cox_real"},
    },
    "ch11_forecasting": {
        "metrics": {f"mse_{kind}_H{h}" for kind in ("iterated", "direct") for h in (1, 2, 4, 8, 16)},
        "limits": {f"mse_optimal_H{h}" for h in (1, 2, 4, 8, 16)} | {f"arima_mse_sunspots_H{h}" for h in (1, 2, 4, 8, 16)},
    },
    "ch14_random_walks": {
        "metrics": {"gru_global_acc_L8", "lastnode_global_acc_L8", "gru_local_acc"},
        "limits": {f"bayes_global_acc_L{L}" for L in (0, 1, 2, 4, 8, 16, 32, 64)}
        | {"bayes_local_acc_stationary", "mixing_time_karate", "mixing_time_fast", "mixing_time_slow",
           "spectral_gap_karate", "spectral_gap_fast", "spectral_gap_slow"},
    },
}


@pytest.mark.slow
@pytest.mark.parametrize("chapter", CHAPTERS)
def test_solution_runs_at_smoke(chapter):
    env = dict(os.environ, KP_ROOT=str(ROOT))
    env.pop("KP_RESULTS_DIR", None)
    proc = subprocess.run(
        [sys.executable, "-m", "autograder.cli", "run", chapter, "--profile", "smoke"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    record = json.loads((ROOT / "build" / "results" / f"{chapter}.json").read_text())
    assert record["chapter"] == chapter and record["profile"] == "smoke"
    required = REQUIRED.get(chapter, {})
    assert required.get("metrics", set()) <= set(record["metrics"]), "a contracted metric name is missing"
    assert required.get("limits", set()) <= set(record["limits"]) | set(record["metrics"])
    # At smoke nothing is trained enough to test a claim: the record and the notebook's output say so.
    assert record["claims"] and all(c["verdict"] == "inconclusive at smoke" for c in record["claims"])
    executed = ROOT / "build" / "executed" / f"{chapter}.ipynb"
    assert SMOKE_NOTE[:60] in executed.read_text(encoding="utf-8"), "the smoke run does not say its numbers mean nothing"
    # The challenge step ran and its result was recorded.
    assert {"challenge_score", "challenge_gap"} <= set(record["metrics"]) and "challenge_limit" in record["limits"]
