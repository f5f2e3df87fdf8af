"""Neuron (structured) pruning: whole units and filters removed, layers rebuilt smaller."""

import numpy as np

from tfkd._keras import keras, tf
from tfkd.compress.pruning import check_wrappable, named_layer, output_layer_names

_PRUNABLE = (keras.layers.Dense, keras.layers.Conv1D)
# Layers that keep each channel where it is: a removed channel is simply absent downstream.
_PER_CHANNEL = (keras.layers.Dropout, keras.layers.GlobalMaxPooling1D, keras.layers.GlobalAveragePooling1D,
                keras.layers.MaxPooling1D, keras.layers.AveragePooling1D, keras.layers.Activation,
                keras.layers.ReLU)


def prune_neurons(model, fraction=0.5, layers=None):
    """A smaller copy of `model` with the weakest units of its hidden Dense and Conv1D layers removed.

    Each unit (a Dense unit, a Conv1D filter) is scored by the L1 norm of
    its incoming weights (Li et al. 2017, "Pruning Filters for Efficient
    ConvNets"); the lowest `fraction` are removed, the layer is rebuilt
    with fewer units, and the layers that read it (through Dropout,
    pooling or Concatenate) lose the matching input rows. Unlike magnitude
    pruning the result is really smaller and faster, with no sparse
    kernels needed. Fine-tune it (e.g. `Distiller.fit`) to recover accuracy.

    Args:
        model: tf_keras functional model (not modified).
        fraction: float in [0, 1), share of units removed in each chosen layer. Default 0.5.
        layers: list of layer names or None (default: every Dense/Conv1D
            layer that is not an output and whose readers can shrink with it).

    Returns:
        (new model, report): one report row per chosen layer with layer,
        units_before, units_after.

    Raises:
        ValueError: fraction outside [0, 1); a named layer that is missing,
            not Dense/Conv1D, an output, or read by a layer that cannot lose
            inputs (that reader is named).
        TypeError: not a tf_keras functional or Sequential model.

    Example:
        >>> student = tfkd.students.build("cnn", vocabulary_size=50, sequence_length=16, num_classes=2)
        >>> smaller, report = prune_neurons(student, fraction=0.5)
        >>> report[0]
        {'layer': 'conv_3', 'units_before': 64, 'units_after': 32}
    """
    check_wrappable(model)
    if isinstance(fraction, bool) or not isinstance(fraction, (int, float)) or not 0.0 <= fraction < 1.0:
        raise ValueError(f"`fraction` must be in [0, 1); received fraction={fraction!r}")
    chosen = _chosen(model, layers)
    keep = {layer.name: _strongest_units(layer, fraction) for layer in chosen}
    report = [{"layer": layer.name, "units_before": _units(layer), "units_after": int(keep[layer.name].size)}
              for layer in chosen]

    def rebuild(layer):
        config = layer.get_config()
        if layer.name in keep:
            config["units" if isinstance(layer, keras.layers.Dense) else "filters"] = int(keep[layer.name].size)
        return layer.__class__.from_config(config)

    smaller = keras.models.clone_model(model, clone_function=rebuild)
    _copy_kept_weights(model, smaller, keep)
    return smaller, report


def _units(layer):
    return int(layer.units if isinstance(layer, keras.layers.Dense) else layer.filters)


def _strongest_units(layer, fraction):
    kernel = layer.kernel.numpy()  # Dense [in, units], Conv1D [width, in, filters]
    scores = np.abs(kernel.reshape(-1, kernel.shape[-1])).sum(axis=0)
    kept = max(1, int(round((1.0 - fraction) * kernel.shape[-1])))
    return np.sort(np.argsort(-scores, kind="stable")[:kept])


def _chosen(model, names):
    outputs = output_layer_names(model)
    if names is None:
        return [layer for layer in model.layers if type(layer) in _PRUNABLE and layer.name not in outputs
                and _blocking_reader(layer) is None]
    chosen = []
    for name in names:
        layer = named_layer(model, name)
        if type(layer) not in _PRUNABLE:
            raise ValueError(f"layer {name!r} is a {type(layer).__name__}; prune_neurons removes units of "
                             "Dense and Conv1D layers")
        if layer.name in outputs:
            raise ValueError(f"layer {name!r} is an output of the model: its units are the model's outputs")
        blocking = _blocking_reader(layer)
        if blocking is not None:
            raise ValueError(f"layer {name!r} cannot lose units: {blocking!r} reads it and cannot lose inputs "
                             "(only Dense, Conv1D, per-channel layers and Concatenate can)")
        chosen.append(layer)
    return chosen


def _readers(layer):
    return [node.outbound_layer for node in layer._outbound_nodes]  # pylint: disable=protected-access


def _blocking_reader(layer):
    """The first layer downstream of `layer` that cannot drop input channels, or None."""
    for reader in _readers(layer):
        if type(reader) in _PRUNABLE:
            continue
        if isinstance(reader, _PER_CHANNEL) or (isinstance(reader, keras.layers.Concatenate)
                                                and reader.axis in (-1, len(reader.output_shape) - 1)):
            blocking = _blocking_reader(reader)
            if blocking is not None:
                return blocking
            continue
        return reader.name
    return None


def _copy_kept_weights(model, smaller, keep):
    """Copies weights, keeping each layer's kept units (last axis) and kept input channels (kernel axis -2)."""
    channels = {}  # layer name -> indices of the original channels its output still has (None: all)
    for layer in model.layers:
        inbound = [node_layer for node in layer._inbound_nodes  # pylint: disable=protected-access
                   for node_layer in tf.nest.flatten(node.inbound_layers)]
        channels[layer.name] = _output_channels(layer, inbound, channels, keep)
        if not layer.weights:
            continue
        weights = layer.get_weights()
        if type(layer) in _PRUNABLE:
            read = channels[inbound[0].name]
            if read is not None:
                weights[0] = np.take(weights[0], read, axis=-2)
            if layer.name in keep:
                weights = [np.take(weight, keep[layer.name], axis=-1) for weight in weights]
        smaller.get_layer(layer.name).set_weights(weights)


def _output_channels(layer, inbound, channels, keep):
    if layer.name in keep:
        return keep[layer.name]
    if isinstance(layer, _PER_CHANNEL):
        return channels[inbound[0].name]
    if isinstance(layer, keras.layers.Concatenate):
        if all(channels[source.name] is None for source in inbound):
            return None
        parts, offset = [], 0
        for source in inbound:
            width = int(source.output_shape[-1])
            kept = channels[source.name]
            parts.append((np.arange(width) if kept is None else kept) + offset)
            offset += width
        return np.concatenate(parts)
    return None
