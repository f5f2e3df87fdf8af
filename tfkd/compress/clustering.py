"""Weight clustering with TF-MOT: each weight tensor keeps a few shared values, so it compresses well."""

import warnings

import numpy as np

from tfkd._checks import check_integer
from tfkd._keras import import_optional
from tfkd.compress.pruning import check_wrappable, wrap_layers

CENTROID_INITS = ("kmeans++", "linear", "density", "random")


def cluster(model, number_of_clusters=16, centroid_init="kmeans++"):
    """Wraps each clusterable layer of `model` (Embedding included) for weight clustering.

    Every kernel and table ends with at most `number_of_clusters` distinct
    values (centroids trained with the model). The file does not shrink by
    itself, but it gzips far smaller, and clusters survive int8 conversion
    when few enough. Fine-tune the result (in `Distiller.fit` too), then
    `strip_clustering`. Layers TF-MOT cannot cluster (a custom layer such as
    the transformer's `PositionEmbedding`) stay as they are, with a warning
    naming them.

    Args:
        model: a tf_keras functional or Sequential model (it is not modified).
        number_of_clusters: int >= 2. Default 16.
        centroid_init: str, one of "kmeans++" (default), "linear", "density", "random".

    Returns:
        A new tf_keras model with clustering wrappers.

    Raises:
        ValueError: fewer than 2 clusters, an unknown centroid_init.
        TypeError: not a tf_keras functional or Sequential model.

    Example:
        >>> clustered = cluster(student, number_of_clusters=8)
        >>> tfkd.Distiller(clustered).compile(optimizer="adam")  # fine-tune, then strip_clustering
    """
    tfmot = import_optional("tensorflow_model_optimization", "tensorflow-model-optimization==0.8.1")
    number_of_clusters = check_integer("number_of_clusters", number_of_clusters, 2)
    if centroid_init not in CENTROID_INITS:
        raise ValueError(f"`centroid_init` must be one of {list(CENTROID_INITS)}; received "
                         f"centroid_init={centroid_init!r}")
    check_wrappable(model)
    from tensorflow_model_optimization.python.core.clustering.keras import clustering_registry

    initialization = tfmot.clustering.keras.CentroidInitialization
    init = {"kmeans++": initialization.KMEANS_PLUS_PLUS, "linear": initialization.LINEAR,
            "density": initialization.DENSITY_BASED, "random": initialization.RANDOM}[centroid_init]
    wrapped, skipped = wrap_layers(
        model, lambda layer: bool(layer.weights) and clustering_registry.ClusteringRegistry.supports(layer),
        lambda layer: tfmot.clustering.keras.cluster_weights(layer, number_of_clusters=number_of_clusters,
                                                             cluster_centroids_init=init))
    if skipped:
        warnings.warn(f"these layers are not clustered (TF-MOT cannot cluster them): {skipped}", stacklevel=2)
    return wrapped


def strip_clustering(model):
    """Removes the clustering wrappers, leaving the clustered values in plain layers."""
    tfmot = import_optional("tensorflow_model_optimization", "tensorflow-model-optimization==0.8.1")
    return tfmot.clustering.keras.strip_clustering(model)


def cluster_report(model):
    """Distinct values per kernel/table of a (stripped) model.

    Returns:
        list of dicts with keys layer, weight, parameters, distinct_values.
    """
    return [{"layer": layer.name, "weight": weight.name, "parameters": int(np.prod(weight.shape)),
             "distinct_values": int(np.unique(weight.numpy()).size)}
            for layer in model.layers for weight in layer.weights
            if weight.shape.rank is not None and weight.shape.rank >= 2]
