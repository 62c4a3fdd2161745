"""keras_patterns: the reference library of the keras-patterns course.

Every RNN architecture pattern that the course builds (many-to-one, many-to-many,
bidirectional, sequence-to-sequence, multi-task, attention) has its reference
implementation here, beside the exact oracles of the synthetic tasks and the
helpers that notebooks share (profiles, seeds, results records, figures).
Each object says in its docstring which chapter teaches it.
"""

__version__ = "0.1.0"
