"""Loss terms of multi-task models: the weighted joint loss, and the terms that tie the heads together.

`joint`: the weighted joint loss `w_g * L_global + w_l * L_local` of a two-headed model, and
`compile_multitask`, which trains it through Keras' dict of losses and `loss_weights` (chapter 03).
`alignment`: the local-global alignment score and loss of chapter 04.
`survival`: the censored likelihood of a hazard head, the survival the hazards imply, and the consistency
violation (一致性违背值) |S_T - prod(1 - h_t)| between a hazard head and a survival head, as a penalty (chapter 05).

What will live here, one module per term, written with `keras.ops`: the calibration of a
per-step head against a final-outcome head (chapter 06), the local-global alignment and consistency
regularisers between a per-token saliency and a global decision (chapters 04 and 07), and the coupling
loss (耦合损失) through a fixed map from per-step phases to a global class (chapter 10).
"""
