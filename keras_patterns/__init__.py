"""keras_patterns: the reference library of the keras-patterns course, laid out by the course's words.

Every RNN architecture pattern the course builds (many-to-one 多对一, many-to-many 多对多, bidirectional
双向, sequence-to-sequence 序列到序列, hybrid, multi-task 多任务学习, attention 注意力机制) has its
reference implementation here, beside the exact limits of the synthetic tasks and the helpers that
notebooks share. It is what a chapter's notebook imports, and only that (the grader is `autograder`).
Each object says in its docstring which chapter teaches it.

Where things live:

- `models`: builders, one module per pattern: `models.taggers` (bidirectional and causal
  many-to-many taggers, ch01), `models.forecasters` (direct forecaster, `IteratedForecaster`
  encoder-decoder, `teacher_forcing_inputs`, ch11), `models.walks` (many-to-one walk classifier and
  many-to-many walk tagger, ch14), `models.multitask` (shared recurrent trunk with a
  many-to-one `"global"` and a many-to-many `"local"` head, and its single-task variant, ch03-10).
- `layers`: custom Keras layers (the attention layers of ch12/13 to come).
- `losses`: multi-task losses: `losses.joint` (the weighted joint loss, `compile_multitask`, ch03-10);
  the terms that tie the heads together (consistency, coupling, alignment of ch04-10 to come).
- `diagnostics`: what a trained model's gradients say: `diagnostics.gradients.input_gradients`
  (saliency, sensitivity) on any backend; `diagnostics.saliency` (per-position input-gradient norms,
  the saliency ratio, ch03).
- `oracles`: exact limits, one module per generator family, plain NumPy: `oracles.hmm` (filtering
  and smoothing posteriors, ch01), `oracles.ar1` (optimal H-step forecasts and errors, ch11),
  `oracles.random_walks` (transition matrix, walk laws, Bayes accuracies, spectral gap, mixing
  time, ch14), `oracles.motifs` (planted-motif posteriors, ch03).
- `data`: loaders and generators, one module per data family, each with its card in `datasets/`:
  `data.proteins` (ch01), `data.series` (statsmodels series, `make_windows`, `horizon_targets`,
  ARIMA baseline, ch11), `data.graphs` (three graphs, `sample_walks`, the walk tasks' targets, ch14),
  `data.motifs` (DNA with a planted CTCF motif, ch03), `data.splice` (real splice junctions and promoters
  from R data files, ch03), `data.genes` (contigs from the two-strand gene HMM, ch02).
  `data.tfds` builds the same data as tensorflow-datasets datasets (not imported by notebooks).
- `metrics`: masked Q3, per-step accuracy, MSE per horizon.
- `training`: the shared loops `fit_classifier`, `fit_forecaster`, `predict_proba`.
- `baselines`: classical baselines (GOR-style window logistic regression, majority class).
- `figures`: the slides' figures. `session`: profiles, seeds, quiet set-up. `results`: the
  chapter's results record.
- `checks`: the argument checks every public function uses (NumPy only).
"""

__version__ = "0.1.0"
