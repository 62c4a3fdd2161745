"""Gene finders: shapes, receptive fields, matched sizes, what each output can see."""

import keras
import numpy as np
import pytest
from keras import ops

from keras_patterns.models import gene_finders as gf


def _x(batch, length, seed=0):
    return np.eye(4, dtype="float32")[np.random.default_rng(seed).integers(0, 4, (batch, length))]


def test_receptive_field_golden():
    assert gf.receptive_field(3, (1,)) == 3
    assert gf.receptive_field(3, (1, 2, 4, 8)) == 31
    assert gf.receptive_field(5, (1, 1)) == 9
    assert gf.receptive_field(1, (4, 8)) == 1
    assert gf.receptive_field(3, [2]) == 5
    with pytest.raises(ValueError, match="dilations"):
        gf.receptive_field(3, ())
    with pytest.raises(ValueError, match="dilations"):
        gf.receptive_field(3, 4)
    with pytest.raises(ValueError, match="dilations"):
        gf.receptive_field(3, (1, 0))
    with pytest.raises(ValueError, match="kernel_size"):
        gf.receptive_field(0, (1,))


@pytest.mark.parametrize("name", sorted(gf.CHAPTER_BUILDERS))
def test_chapter_models_map_bases_to_per_base_probabilities(name):
    model = gf.CHAPTER_BUILDERS[name]()
    out = ops.convert_to_numpy(model(_x(2, 48)))
    assert out.shape == (2, 48, 3) and np.allclose(out.sum(-1), 1, atol=1e-5)


def test_chapter_models_have_matched_sizes():
    counts = {name: build().count_params() for name, build in gf.CHAPTER_BUILDERS.items()}
    assert max(counts.values()) <= 1.2 * min(counts.values()), counts


def test_cnn_sees_its_receptive_field_and_no_further():
    model = gf.build_cnn_gene_finder(8, 3, (1, 2, 4))
    field = gf.receptive_field(3, (1, 2, 4))  # 15: 7 bases each side
    x = _x(1, 64)
    base = ops.convert_to_numpy(model(x))[0, 32]
    far, near = x.copy(), x.copy()
    far[0, 32 + field // 2 + 1] = np.roll(far[0, 32 + field // 2 + 1], 1)
    near[0, 32 + field // 2] = np.roll(near[0, 32 + field // 2], 1)
    assert np.allclose(ops.convert_to_numpy(model(far))[0, 32], base, atol=1e-6)
    assert not np.allclose(ops.convert_to_numpy(model(near))[0, 32], base, atol=1e-6)
    assert len([l for l in model.layers if isinstance(l, keras.layers.Conv1D)]) == 3
    assert not any("pool" in l.name for l in model.layers)


def test_hybrid_sees_the_whole_contig():
    model = gf.build_hybrid_gene_finder(8, 3, (1, 2), 4)
    # Far beyond the front end's 7 bases: only the Bi-GRU can carry base 23 back to base 0.
    x = _x(1, 24)
    moved = x.copy()
    moved[0, 23] = np.roll(moved[0, 23], 1)
    assert not np.array_equal(ops.convert_to_numpy(model(moved))[0, 0], ops.convert_to_numpy(model(x))[0, 0])
    kinds = [type(l).__name__ for l in model.layers]
    assert kinds.index("Conv1D") < kinds.index("Bidirectional")


def test_pooled_model_shares_outputs_within_a_pool_group():
    model = gf.build_pooled_gene_finder(8, 3, (1,), 4, pool=4)
    out = ops.convert_to_numpy(model(_x(2, 32)))
    assert out.shape == (2, 32, 3)
    groups = out.reshape(2, 8, 4, 3)
    assert np.allclose(groups, groups[:, :, :1], atol=1e-6), "every base of a group of 4 gets the same output"
    assert not np.allclose(groups[:, 0, 0], groups[:, 1, 0], atol=1e-6)
    hybrid = gf.build_pooled_gene_finder(8, 3, (1,), 4, pool=1)
    assert hybrid.count_params() == model.count_params()


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="filters"):
        gf.build_cnn_gene_finder(0)
    with pytest.raises(ValueError, match="units"):
        gf.build_rnn_gene_finder(-1)
    with pytest.raises(ValueError, match="dilations"):
        gf.build_hybrid_gene_finder(8, 3, "124")
    with pytest.raises(ValueError, match="pool"):
        gf.build_pooled_gene_finder(pool=0)


@pytest.mark.parametrize("build, explicit", [
    (gf.build_cnn_gene_finder, dict(filters=32, kernel_size=3, dilations=(1, 2, 4, 8))),
    (gf.build_rnn_gene_finder, dict(units=32)),
    (gf.build_hybrid_gene_finder, dict(filters=32, kernel_size=3, dilations=(1, 2, 4), units=24)),
    (gf.build_pooled_gene_finder, dict(filters=32, kernel_size=3, dilations=(1, 2, 4), units=24, pool=4)),
])
def test_defaults_names_and_input_are_the_documented_ones(build, explicit):
    default, written = build(), build(**explicit)
    assert default.count_params() == written.count_params()
    assert [type(l).__name__ for l in default.layers] == [type(l).__name__ for l in written.layers]
    # The model's name is its builder's, and every layer is named after the model (hybrid_gene_finder_conv1_d2):
    # the names model.summary() prints and a saved model's weight paths carry.
    assert default.name == build.__name__.removeprefix("build_")
    layer_names = [l.name for l in default.layers]
    assert layer_names[0] == "bases" and all(n.startswith(default.name) for n in layer_names[1:]), layer_names
    if "dilations" in explicit:
        assert f"{default.name}_conv1_d2" in layer_names
    if "units" in explicit:
        assert f"{default.name}_bigru" in layer_names
    (x,) = default.inputs
    assert x.dtype == "float32" and tuple(x.shape) == (None, None, 4)
    assert build(name="other").name == "other"
