"""Diagnostics that read a trained model's gradients, on any Keras backend.

- `gradients`: `input_gradients`, the gradient of a model's output with respect to its inputs: input-gradient
  saliency (显著性) and the sensitivity to an input channel (chapters 03, 04, 07, 09).

The per-loss gradient norms on a shared recurrent kernel (chapter 08) will join `gradients`: they need the same
per-backend autodiff, which is kept in that one module.
"""
