"""Low-rank factorisation of Dense and Embedding layers by truncated SVD."""

import numpy as np

from tfkd._keras import keras
from tfkd.compress.factorized_dense import FactorizedDense
from tfkd.compress.factorized_embedding import FactorizedEmbedding
from tfkd.compress.pruning import check_wrappable, named_layer


def low_rank(model, energy=0.9, rank=None, layers=None):
    """A copy of `model` whose Dense and Embedding layers are factorised where that saves weights.

    Each chosen weight matrix W [m, n] becomes U_r S_r^(1/2) and S_r^(1/2) V_r^T
    (the best rank-r approximation). The rank is the smallest keeping
    `energy` of W's squared singular values, or `rank` when given. A layer
    is only replaced when r * (m + n) < m * n, i.e. when it gets smaller.
    Fine-tune the result (e.g. with `Distiller.fit`) to recover accuracy.

    Args:
        model: tf_keras functional or Sequential model (not modified).
        energy: float in (0, 1], share of squared singular values kept. Default 0.9.
        rank: int or None, a fixed rank for every chosen layer (overrides `energy`).
        layers: list of layer names or None (default: every Dense and Embedding).

    Returns:
        (new model, report): report rows have layer, shape, rank, parameters
        before and after, energy kept.

    Raises:
        ValueError: energy outside (0, 1], a rank above min(m, n) of a layer
            (named), or a named layer that is missing or not Dense/Embedding.
    """
    check_wrappable(model)
    if not 0.0 < energy <= 1.0:
        raise ValueError(f"`energy` must be in (0, 1]; received energy={energy!r}")
    chosen = _chosen_layers(model, layers)
    report, plans = [], {}
    for layer in chosen:
        matrix = _matrix(layer)
        left, right, kept, layer_rank = _factors(matrix, energy, rank, layer.name)
        smaller = layer_rank * sum(matrix.shape) < matrix.size
        report.append({"layer": layer.name, "shape": list(matrix.shape), "rank": layer_rank,
                       "parameters_before": int(matrix.size),
                       "parameters_after": int(layer_rank * sum(matrix.shape)) if smaller else int(matrix.size),
                       "energy_kept": kept, "factorised": bool(smaller)})
        if smaller:
            plans[layer.name] = (left, right, layer_rank)

    def replace(layer):
        if layer.name not in plans:
            return layer.__class__.from_config(layer.get_config())
        left, right, layer_rank = plans[layer.name]
        if isinstance(layer, keras.layers.Embedding):
            return FactorizedEmbedding(layer.input_dim, layer.output_dim, layer_rank, name=layer.name)
        return FactorizedDense(layer.units, layer_rank, keras.activations.serialize(layer.activation),
                               layer.use_bias, name=layer.name)

    factorised = keras.models.clone_model(model, clone_function=replace)
    for layer in model.layers:
        target = factorised.get_layer(layer.name)
        if layer.name in plans:
            left, right, _ = plans[layer.name]
            bias = [layer.bias.numpy()] if getattr(layer, "use_bias", False) else []
            target.set_weights([left, right] + bias)
        elif layer.weights:
            target.set_weights(layer.get_weights())
    return factorised, report


def _chosen_layers(model, names):
    kinds = (keras.layers.Dense, keras.layers.Embedding)
    if names is None:
        return [layer for layer in model.layers if type(layer) in kinds]
    chosen = []
    for name in names:
        layer = named_layer(model, name)
        if type(layer) not in kinds:
            raise ValueError(f"layer {name!r} is a {type(layer).__name__}; low_rank factorises Dense and Embedding")
        chosen.append(layer)
    return chosen


def _matrix(layer):
    return (layer.embeddings if isinstance(layer, keras.layers.Embedding) else layer.kernel).numpy()


def _factors(matrix, energy, rank, name):
    u, singular, vt = np.linalg.svd(matrix, full_matrices=False)  # matrix [m, n] = u [m, k] s [k] vt [k, n]
    if rank is not None:
        if not 1 <= rank <= len(singular):
            raise ValueError(f"`rank` must be in [1, {len(singular)}] for layer {name!r} of shape "
                             f"{matrix.shape}; received rank={rank!r}")
        chosen = rank
    else:
        cumulative = np.cumsum(singular ** 2) / max(np.sum(singular ** 2), 1e-30)
        chosen = int(np.searchsorted(cumulative, energy - 1e-12) + 1)
    root = np.sqrt(singular[:chosen])
    kept = float(np.sum(singular[:chosen] ** 2) / max(np.sum(singular ** 2), 1e-30))
    return (u[:, :chosen] * root).astype(np.float32), (root[:, None] * vt[:chosen]).astype(np.float32), kept, chosen
