"""Magnitude pruning with TF-MOT, with a schedule that really prunes short runs."""

import re
import warnings

import numpy as np

from tfkd._keras import import_optional, is_keras3, keras, tf
from tfkd.compress.prunable_bidirectional import PrunableBidirectional, prunable_bidirectional

SCHEDULES = ("polynomial", "constant")


def prune(model, target_sparsity=0.75, steps_per_epoch=None, epochs=None, begin_step=0, end_step=None,
          frequency=None, initial_sparsity=0.0, schedule="polynomial", structure=None, layers=None):
    """Wraps every prunable layer of `model` (Embedding included) for magnitude pruning.

    Layers TF-MOT cannot prune (a custom layer such as the transformer's
    `PositionEmbedding`, its attention) stay dense, with a warning that names
    them; the others (Embedding, Dense, Conv1D, LSTM, ...) are pruned. A
    Bidirectional LSTM/GRU, which TF-MOT refuses, has both directions' input
    and recurrent kernels pruned (see `PrunableBidirectional`).

    Train the result with the callbacks from `pruning_callbacks()` (inside
    `Distiller.fit` too), then `strip_pruning` it. With no `end_step`,
    sparsity ramps up over the first 70% of `epochs * steps_per_epoch`
    and the rest of training recovers accuracy at the final sparsity.

    Args:
        model: a tf_keras functional or Sequential model.
        target_sparsity: float in [0, 1), fraction of weights zeroed at the end. Default 0.75.
        steps_per_epoch: int or None, batches per epoch (needed without `end_step`).
        epochs: int or None, epochs of training (needed without `end_step`).
        begin_step: int, step at which pruning starts. Default 0.
        end_step: int or None, step at which the target is reached.
        frequency: int or None, steps between pruning updates. Default: a
            tenth of the ramp, so even a short run prunes (TF-MOT's own
            default of 100 can end a short run at 0% sparsity).
        initial_sparsity: float in [0, target_sparsity], polynomial schedule only. Default 0.
        schedule: str, "polynomial" (default) or "constant".
        structure: str or None, e.g. "2:4": at most 2 non-zero weights in
            every block of 4 (m-by-n structured sparsity, which sparse
            kernels can exploit). TF-MOT applies it to 2-D and 4-D weights
            (Dense, Embedding); other layers stay dense with a warning.
            Default None (unstructured).
        layers: list of str or None, names of the only layers to prune
            (e.g. `["embedding"]` for the table alone). Default None: every
            prunable layer.

    Returns:
        The wrapped model (a new tf_keras model; `model` is unchanged).

    Raises:
        ValueError: sparsity outside [0, 1), begin_step >= end_step, missing
            steps information, an unknown schedule or structure, a name in
            `layers` that the model lacks or that cannot be pruned.
        TypeError: `model` is not a tf_keras functional or Sequential model.
    """
    tfmot = import_optional("tensorflow_model_optimization", "tensorflow-model-optimization==0.8.1")
    _check_sparsity("target_sparsity", target_sparsity)
    _check_sparsity("initial_sparsity", initial_sparsity)
    check_wrappable(model)
    begin_step, end_step, frequency = pruning_steps(begin_step, end_step, frequency, steps_per_epoch, epochs)
    if schedule == "polynomial":
        pruning_schedule = tfmot.sparsity.keras.PolynomialDecay(
            initial_sparsity=initial_sparsity, final_sparsity=target_sparsity,
            begin_step=begin_step, end_step=end_step, frequency=frequency)
    elif schedule == "constant":
        pruning_schedule = tfmot.sparsity.keras.ConstantSparsity(
            target_sparsity, begin_step=begin_step, end_step=end_step, frequency=frequency)
    else:
        raise ValueError(f"`schedule` must be one of {list(SCHEDULES)}; received schedule={schedule!r}")
    m_by_n = _m_by_n(structure)
    chosen = _chosen_names(model, layers, m_by_n)
    wrapped, skipped = wrap_layers(
        model, lambda layer: _prunable(layer, m_by_n) and (chosen is None or layer.name in chosen),
        lambda layer: tfmot.sparsity.keras.prune_low_magnitude(
            _as_prunable(layer), pruning_schedule=pruning_schedule, **({"sparsity_m_by_n": m_by_n} if m_by_n else {})))
    if skipped and chosen is None:
        warnings.warn(f"these layers stay dense (TF-MOT cannot prune them{' m-by-n' if m_by_n else ''}): "
                      f"{skipped}", stacklevel=2)
    return wrapped


def wrap_layers(model, supported, wrap):
    """A copy of `model` with `wrap(layer)` in place of every layer `supported(layer)` accepts.

    TF-MOT's wrappers share variables with the layers they wrap; wrapping a
    copy leaves the caller's model (e.g. the dense student kept for
    comparison) untouched.

    Returns:
        (wrapped model, names of the layers with weights that were left unwrapped).
    """
    copy = keras.models.clone_model(model)
    copy.set_weights(model.get_weights())
    skipped, rebuilt = [], {}

    def clone_function(layer):
        if supported(layer):
            wrapper = wrap(layer)
            if wrapper.layer is not layer:  # a fresh layer (e.g. PrunableBidirectional): weights set below
                rebuilt[wrapper.name] = layer
            return wrapper
        if layer.weights:
            skipped.append(layer.name)
        return layer

    wrapped = keras.models.clone_model(copy, clone_function=clone_function)
    for name, layer in rebuilt.items():
        wrapped.get_layer(name).layer.set_weights(layer.get_weights())
    return wrapped, skipped


def _chosen_names(model, layers, m_by_n):
    """The set of names in `layers`, each checked to be a prunable layer of `model`; None for all."""
    if layers is None:
        return None
    for name in layers:
        if not _prunable(named_layer(model, name), m_by_n):
            raise ValueError(f"layer {name!r} of {model.name!r} cannot be pruned"
                             f"{' m-by-n' if m_by_n else ''} by TF-MOT; received layers={list(layers)}")
    return set(layers)


def _as_prunable(layer):
    return PrunableBidirectional.from_config(layer.get_config()) if prunable_bidirectional(layer) else layer


def _m_by_n(structure):
    if structure is None:
        return None
    match = re.fullmatch(r"(\d+):(\d+)", str(structure))
    if not match or not 0 < int(match.group(1)) < int(match.group(2)):
        raise ValueError(f"`structure` must be 'm:n' with 0 < m < n, e.g. '2:4', or None; "
                         f"received structure={structure!r}")
    return int(match.group(1)), int(match.group(2))


def _prunable(layer, m_by_n):
    """Whether TF-MOT can wrap `layer` (and, for m-by-n, every weight it would prune is 2-D or 4-D)."""
    from tensorflow_model_optimization.python.core.sparsity.keras import prunable_layer, prune_registry

    if isinstance(layer, keras.layers.InputLayer):
        return False
    if prunable_bidirectional(layer):
        return m_by_n is None  # TF-MOT's m-by-n masks only the weights of its own registry
    if not (prune_registry.PruneRegistry.supports(layer) or isinstance(layer, prunable_layer.PrunableLayer)):
        return False
    if m_by_n is None:
        return True
    registry = prune_registry.PruneRegistry
    if type(layer) not in registry._LAYERS_WEIGHTS_MAP:  # RNN, attention, custom: no m-by-n here
        return False
    weights = [getattr(layer, name) for name in registry._weight_names(layer)]  # TF-MOT's own weight list
    return all(weight.shape.rank in (2, 4) for weight in weights)


def pruning_steps(begin_step, end_step, frequency, steps_per_epoch, epochs):
    """Resolves (begin_step, end_step, frequency) so that the schedule lands on its target.

    TF-MOT prunes only at steps where (step - begin) % frequency == 0 and
    step <= end, so end is moved down to the last such step: otherwise
    the final sparsity is never applied.
    """
    if end_step is None:
        if not steps_per_epoch or not epochs:
            raise ValueError("give `end_step`, or `steps_per_epoch` and `epochs` to derive it; received "
                             f"steps_per_epoch={steps_per_epoch!r}, epochs={epochs!r}")
        end_step = begin_step + max(1, int(0.7 * steps_per_epoch * epochs))
    if not 0 <= begin_step < end_step:
        raise ValueError(f"need 0 <= begin_step < end_step; received begin_step={begin_step}, end_step={end_step}")
    if frequency is None:
        frequency = max(1, (end_step - begin_step) // 10)
    if not isinstance(frequency, int) or frequency < 1:
        raise ValueError(f"`frequency` must be a positive integer; received frequency={frequency!r}")
    end_step = begin_step + max(1, (end_step - begin_step) // frequency) * frequency
    return begin_step, end_step, frequency


def first_epoch_at_target(steps_per_epoch, epochs):
    """The first epoch (0-based) that ends at the target sparsity, for the schedule `prune` derives.

    Epochs before it score a denser model, so a best-epoch pick must start
    here (`train_student(..., start_from_epoch=...)`).
    """
    _, end_step, _ = pruning_steps(0, None, None, steps_per_epoch, epochs)
    return -(-end_step // steps_per_epoch) - 1


def pruning_callbacks():
    """The callbacks a pruned model needs in `fit` (the step counter)."""
    tfmot = import_optional("tensorflow_model_optimization", "tensorflow-model-optimization==0.8.1")
    return [tfmot.sparsity.keras.UpdatePruningStep()]


def strip_pruning(model):
    """Removes the pruning wrappers, leaving the zeroed weights in plain layers.

    A `PrunableBidirectional` becomes the plain `Bidirectional` it was, so the
    stripped model saves and loads with nothing of tfkd's.
    """
    tfmot = import_optional("tensorflow_model_optimization", "tensorflow-model-optimization==0.8.1")
    stripped = tfmot.sparsity.keras.strip_pruning(model)
    if not any(isinstance(layer, PrunableBidirectional) for layer in stripped.layers):
        return stripped

    def plain(layer):
        layer_class = keras.layers.Bidirectional if isinstance(layer, PrunableBidirectional) else layer.__class__
        return layer_class.from_config(layer.get_config())

    rebuilt = keras.models.clone_model(stripped, clone_function=plain)
    rebuilt.set_weights(stripped.get_weights())
    return rebuilt


def sparsity_report(model):
    """Per-layer kernel/embedding parameters and sparsity of a (stripped) model.

    Returns:
        list of dicts with keys layer, weight, parameters, nonzero, sparsity.
    """
    rows = []
    for layer in model.layers:
        for weight in layer.weights:
            if weight.shape.rank is not None and weight.shape.rank >= 2:  # kernels and tables, not biases
                values = weight.numpy()
                nonzero = int(np.count_nonzero(values))
                rows.append({"layer": layer.name, "weight": weight.name, "parameters": int(values.size),
                             "nonzero": nonzero, "sparsity": 1.0 - nonzero / values.size})
    return rows


def check_wrappable(model):
    """Raises a TypeError unless `model` is a tf_keras functional or Sequential model."""
    if is_keras3(model):
        raise TypeError(
            f"TF-MOT can only wrap tf_keras (Keras 2) models; {model.name!r} is a Keras 3 model. For a Keras 3 "
            "student use post-training quantization instead: tfkd.convert(model, 'int8', representative_data=...) "
            "gives the full-int8 file; for pruning or QAT, build the student with tfkd.students.build(...) (tf_keras) "
            "and distill it with tfkd.Distiller as before.")
    if not isinstance(model, keras.Model):
        raise TypeError(
            f"TF-MOT can only wrap tf_keras (Keras 2) models; received {type(model).__module__}."
            f"{type(model).__name__}. Build the student with tfkd.students.build(...) or as a tf_keras "
            "functional model (import tf_keras, or `from tfkd._keras import keras`).")
    if not (model._is_graph_network or isinstance(model, keras.Sequential)):  # pylint: disable=protected-access
        raise TypeError(
            f"TF-MOT cannot wrap the subclassed model {model.name!r} ({type(model).__name__}); build the "
            "student as a tf_keras functional or Sequential model (e.g. tfkd.students.build).")


def named_layer(model, name):
    """`model.get_layer(name)`, or a ValueError naming the model and the missing layer."""
    try:
        return model.get_layer(name)
    except ValueError:
        raise ValueError(f"the model {model.name!r} has no layer named {name!r}") from None


def output_layer_names(model):
    """Names of the layers whose outputs are the model's outputs."""
    return {tensor._keras_history.layer.name for tensor in tf.nest.flatten(model.outputs)}  # pylint: disable=protected-access


def _check_sparsity(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value < 1.0:
        raise ValueError(f"`{name}` must be in [0, 1); received {name}={value!r}")
