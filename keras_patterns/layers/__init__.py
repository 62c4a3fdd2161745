"""Custom Keras layers of the course's patterns (none yet).

What will live here, one module per family, written with `keras.ops` so that it runs on every backend:
the attention layers of chapters 12 and 13 (注意力机制: speaker-modulated additive attention, whose score
also reads who spoke; cross-modal attention, where a text state queries audio states and returns a context
vector 上下文向量), and any other layer a pattern needs that Keras does not ship. Builders in
`keras_patterns.models` use them.
"""
