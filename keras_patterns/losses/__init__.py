"""Loss terms of multi-task models: the weighted joint loss, and the terms that tie the heads together.

`joint`: the weighted joint loss `w_g * L_global + w_l * L_local` of a two-headed model, and
`compile_multitask`, which trains it through Keras' dict of losses and `loss_weights` (chapter 03).

What will live here, one module per term, written with `keras.ops`: the consistency violation between a
hazard head and a survival head (一致性违背值, S_T against exp(-sum h), chapter 05), the calibration of a
per-step head against a final-outcome head (chapter 06), the local-global alignment and consistency
regularisers between a per-token saliency and a global decision (chapters 04 and 07), and the coupling
loss (耦合损失) through a fixed map from per-step phases to a global class (chapter 10).
"""
