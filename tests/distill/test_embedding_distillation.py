"""tfkd.distill.embedding_distillation: a student learns the teacher's sentence embeddings, and converts."""

import numpy as np
import pytest

import tfkd
from tests.conftest import SEQUENCE_LENGTH, VOCABULARY_SIZE
from tfkd.benchmark import embedding_agreement
from tfkd.distill import distill_embeddings


def _embedding_task(count=512, width=8):
    """Ids whose target embedding is the mean of fixed per-token vectors: learnable by a bag of words."""
    rng = np.random.default_rng(0)
    ids = rng.integers(1, VOCABULARY_SIZE, (count, SEQUENCE_LENGTH)).astype("int32")
    token_vectors = rng.normal(size=(VOCABULARY_SIZE, width))
    return ids, token_vectors[ids].mean(axis=1).astype("float32")


@pytest.mark.parametrize("loss", ["cosine", "mse"])
def test_the_student_moves_toward_the_teacher_and_its_int8_file_keeps_the_ranking(loss):
    ids, targets = _embedding_task()
    train, held_out = slice(0, 448), slice(448, None)
    student = tfkd.students.build("average_embedding", VOCABULARY_SIZE, SEQUENCE_LENGTH, num_classes=8)
    before = embedding_agreement(student.predict(ids[held_out], verbose=0), targets[held_out])
    history = distill_embeddings(student, ids[train], targets[train], (ids[held_out], targets[held_out]),
                                 loss=loss, epochs=30, verbose=0)
    assert history.history["val_loss"][-1] < history.history["val_loss"][0]
    after = embedding_agreement(student.predict(ids[held_out], verbose=0), targets[held_out])
    assert after["spearman"] > max(0.8, before["spearman"] + 0.3), (before, after)
    int8 = tfkd.TFLiteModel(tfkd.convert(student, "int8", ids[train])).predict(ids[held_out])
    assert embedding_agreement(int8, targets[held_out])["spearman"] > after["spearman"] - 0.05


@pytest.mark.parametrize("kwargs, message", [
    ({"loss": "kl"}, r"`loss` must be one of \['cosine', 'mse'\]; received loss='kl'"),
    ({"teacher_embeddings": np.zeros((10, 8))}, r"`teacher_embeddings` must hold one embedding of the student's "
                                                r"width 8 per example of 512; received embeddings of shape \(10, 8\)"),
    ({"teacher_embeddings": np.zeros((512, 384))}, r"width 8 per example of 512; received embeddings of shape "
                                                   r"\(512, 384\)"),
    ({"validation_data": (np.zeros((4, 16), "int32"), np.zeros((3, 8)))}, r"`validation_data` must hold one "
                                                                          r"embedding"),
], ids=["loss", "count", "width", "validation"])
def test_bad_input_is_named(kwargs, message):
    ids, targets = _embedding_task()
    student = tfkd.students.build("average_embedding", VOCABULARY_SIZE, SEQUENCE_LENGTH, num_classes=8)
    arguments = {"x": ids, "teacher_embeddings": targets, **kwargs}
    with pytest.raises(ValueError, match=message):
        distill_embeddings(student, **arguments, epochs=1, verbose=0)
