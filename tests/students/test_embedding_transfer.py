"""tfkd.students.embedding_transfer: a teacher's word vectors seed a student's table."""

import numpy as np
import pytest

import tfkd
from tfkd.students.embedding_transfer import EMBEDDING_SCALE, pca_project
from tests.conftest import NUM_CLASSES, SEQUENCE_LENGTH, VOCABULARY_SIZE


@pytest.mark.parametrize("architecture", sorted(tfkd.students.STUDENTS))
def test_every_zoo_student_takes_the_vectors(architecture):
    student = tfkd.students.build(architecture, VOCABULARY_SIZE, SEQUENCE_LENGTH, NUM_CLASSES)
    vectors = np.random.default_rng(0).normal(size=(VOCABULARY_SIZE, 80))
    table = tfkd.students.transfer_embeddings(student, vectors)
    np.testing.assert_array_equal(student.get_layer("embedding").get_weights()[0], table)
    assert not table[0].any()  # the padding row
    assert table.std() == pytest.approx(EMBEDDING_SCALE, rel=0.05)


def test_pca_keeps_the_directions_of_most_variance():
    rng = np.random.default_rng(1)
    # Variance mostly along two directions: a 2-d projection keeps the pairwise geometry.
    basis = rng.normal(size=(2, 10))
    vectors = rng.normal(size=(200, 2)) * [10.0, 5.0] @ basis + rng.normal(scale=0.01, size=(200, 10))
    projected = pca_project(vectors, 2)
    original = np.linalg.norm(vectors[:, None] - vectors[None], axis=-1)
    reduced = np.linalg.norm(projected[:, None] - projected[None], axis=-1)
    assert np.corrcoef(original.ravel(), reduced.ravel())[0, 1] > 0.999


def test_wrong_vectors_or_layer_are_named(student):
    with pytest.raises(ValueError, match=r"one row per token id: shape \(50, width\).*received shape \(49, 64\)"):
        tfkd.students.transfer_embeddings(student, np.zeros((49, 64)))
    with pytest.raises(ValueError, match="has 16 columns, fewer than the embedding width 32"):
        tfkd.students.transfer_embeddings(student, np.zeros((50, 16)))
    with pytest.raises(ValueError, match="the student 'cnn_student' has no layer named 'words'"):
        tfkd.students.transfer_embeddings(student, np.zeros((50, 64)), layer="words")
