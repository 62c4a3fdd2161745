"""Model builders, one module per architecture pattern of the course.

- `taggers`: bidirectional (双向) and causal many-to-many (多对多) sequence taggers (chapter 01).
- `forecasters`: the direct multi-horizon forecaster (many-to-one per horizon, 多对一) and the iterated
  encoder-decoder (sequence-to-sequence, 序列到序列) `IteratedForecaster`, with `teacher_forcing_inputs`
  (chapter 11).
- `walks`: the many-to-one walk classifier and the many-to-many walk tagger that read random walks on a
  graph (chapter 14).
- `multitask`: a shared recurrent trunk with a many-to-one head `"global"` and a many-to-many head `"local"`
  (多任务学习), and its single-task variant (chapter 03; chapters 04-10 reuse it).
- `survival`: a causal GRU trunk with a many-to-many hazard head (风险函数) and a many-to-one survival head, and
  `pack_heads`, the single output that lets one loss tie the two heads (chapter 05).

Coming chapters add their pattern here, one module each: the hybrid 1D-CNN + Bi-GRU (chapter 02), the attention
models (注意力机制, chapters 12 and 13). A builder returns an uncompiled `keras.Model`; the layers it needs
that Keras lacks live in `keras_patterns.layers`, its extra loss terms in `keras_patterns.losses`.
"""
