"""`prune_vocabulary`: keep a student's most frequent words, drop the rest of its embedding table."""

import numpy as np

from tfkd._checks import check_integer
from tfkd._keras import keras
from tfkd.compress.pruning import check_wrappable
from tfkd.data.text_vectorizer import RESERVED_TOKENS, TextVectorizer

UNKNOWN_ID = 1


def prune_vocabulary(model, vectorizer, keep, texts=None):
    """A student and vectorizer that know only the `keep` most frequent words.

    A `"word"` vectorizer ranks its vocabulary by training frequency, so the
    first `keep` ids are the most frequent words: the new table is the first
    `keep` rows of the old one, and every dropped word reads as unknown (id 1).
    With `texts` (e.g. the training texts), the unknown row becomes the
    frequency-weighted mean of the rows whose occurrences it now stands for
    (the old unknown row and each dropped word's): the single vector closest,
    in squared error summed over those occurrences, to what the student read
    before. Fine-tune briefly afterwards (e.g. one `Distiller.fit` epoch).

    Args:
        model: tf_keras functional or Sequential student whose `Embedding`
            layer has `vectorizer.vocabulary_length` rows (not modified).
        vectorizer: `tfkd.data.TextVectorizer` of kind `"word"`, fitted.
        keep: int, rows to keep, the 2 reserved ones included; in
            [3, vectorizer.vocabulary_length].
        texts: list of str or None (default): texts to count words in for the
            unknown row; None keeps the old unknown row.

    Returns:
        (model, vectorizer): a new student with a `keep`-row table and
        the trained weights, and a vectorizer with the first `keep` words.

    Raises:
        ValueError: a vectorizer that is not a fitted `"word"` one, `keep`
            out of range, or no single `Embedding` layer with that many rows.

    Example:
        >>> vectorizer = tfkd.data.TextVectorizer("word", 50, 16).fit(texts)
        >>> student = tfkd.students.build("cnn", vectorizer.vocabulary_length, 16, 2)
        >>> small, small_vectorizer = prune_vocabulary(student, vectorizer, keep=20, texts=texts)
    """
    check_wrappable(model)
    if vectorizer.kind != "word" or vectorizer.vocabulary is None:
        raise ValueError(f"`vectorizer` must be a fitted TextVectorizer of kind 'word' (its vocabulary is ranked by "
                         f"frequency); received kind={vectorizer.kind!r}"
                         f"{'' if vectorizer.vocabulary is not None else ' with no vocabulary'}")
    keep = check_integer("keep", keep, len(RESERVED_TOKENS) + 1)
    if keep > vectorizer.vocabulary_length:
        raise ValueError(f"`keep` must be at most the vocabulary length {vectorizer.vocabulary_length}; "
                         f"received keep={keep}")
    table_layer = _table_layer(model, vectorizer.vocabulary_length)
    table = table_layer.get_weights()[0]
    new_table = table[:keep].copy()
    if texts is not None:
        counts = np.bincount(vectorizer(texts).ravel(), minlength=len(table))
        merged = np.r_[UNKNOWN_ID, np.arange(keep, len(table))]  # rows whose occurrences now read as unknown
        if counts[merged].sum() > 0:
            new_table[UNKNOWN_ID] = counts[merged] @ table[merged] / counts[merged].sum()
    pruned = _with_table(model, table_layer.name, new_table)
    config = {**vectorizer.get_config(), "vocabulary_size": keep, "vocabulary": vectorizer.vocabulary[:keep]}
    return pruned, TextVectorizer.from_config(config)


def _table_layer(model, rows):
    tables = [layer for layer in model.layers if isinstance(layer, keras.layers.Embedding) and layer.input_dim == rows]
    if len(tables) != 1:
        found = [(layer.name, layer.input_dim) for layer in model.layers if isinstance(layer, keras.layers.Embedding)]
        raise ValueError(f"{model.name!r} needs exactly one Embedding layer with {rows} rows (the vectorizer's "
                         f"vocabulary); found (name, rows): {found}")
    return tables[0]


def _with_table(model, table_name, table):
    def clone_function(layer):
        if layer.name == table_name:
            return layer.__class__.from_config({**layer.get_config(), "input_dim": len(table)})
        return layer.__class__.from_config(layer.get_config())

    pruned = keras.models.clone_model(model, clone_function=clone_function)
    for old, new in zip(model.layers, pruned.layers):
        new.set_weights([table] if old.name == table_name else old.get_weights())
    return pruned
