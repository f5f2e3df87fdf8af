"""tfkd.benchmark.embedding_agreement: Spearman and recall@k of student vs teacher embeddings."""

import numpy as np
import pytest

from tfkd.benchmark import cosine_similarities, embedding_agreement, rank_by_cosine


def _reference_spearman(a, b):
    """Textbook formula, for data without ties: 1 - 6 sum d^2 / (n (n^2 - 1))."""
    rank_a, rank_b = np.argsort(np.argsort(a)), np.argsort(np.argsort(b))
    n = len(a)
    return 1 - 6 * np.sum((rank_a - rank_b) ** 2) / (n * (n * n - 1))


def test_a_copy_agrees_fully_and_noise_lowers_agreement():
    rng = np.random.default_rng(0)
    teacher = rng.normal(size=(60, 16))
    same = embedding_agreement(3.0 * teacher, teacher)  # cosine ignores scale
    assert same["spearman"] == pytest.approx(1.0) and same["recall@1"] == same["recall@5"] == 1.0
    assert same["pairs"] == 60 * 59 // 2
    noisy = embedding_agreement(teacher + rng.normal(size=teacher.shape), teacher)
    unrelated = embedding_agreement(rng.normal(size=(60, 8)), teacher)  # widths may differ
    assert 0.3 < noisy["spearman"] < 0.99 and abs(unrelated["spearman"]) < 0.1
    assert unrelated["recall@1"] <= noisy["recall@1"] <= noisy["recall@5"]


def test_spearman_matches_the_textbook_formula():
    rng = np.random.default_rng(1)
    student, teacher = rng.normal(size=(20, 4)), rng.normal(size=(20, 4))
    upper = np.triu_indices(20, k=1)
    expected = _reference_spearman(cosine_similarities(student, student)[upper],
                                   cosine_similarities(teacher, teacher)[upper])
    assert embedding_agreement(student, teacher)["spearman"] == pytest.approx(expected)


def test_recall_counts_the_teachers_nearest_neighbour():
    teacher = np.array([[1, 0], [0.9, 0.1], [0, 1], [0.1, 0.9]], float)
    student = np.array([[1, 0], [0, 1], [0.9, 0.1], [0.1, 0.9]], float)  # texts 1 and 2 swapped
    report = embedding_agreement(student, teacher, ks=(1, 2))
    assert report["recall@1"] == 0.0 and report["recall@2"] == 0.5


def test_rank_by_cosine_orders_candidates():
    candidates = np.array([[0, 1], [1, 0], [1, 1]], float)
    assert list(rank_by_cosine([2.0, 0.1], candidates)) == [1, 2, 0]


@pytest.mark.parametrize("student, teacher, ks, message", [
    (np.zeros((3, 2)), np.zeros((4, 2)), (1,), r"same texts, at least 2; received 3 student and 4 teacher"),
    (np.zeros((1, 2)), np.zeros((1, 2)), (1,), r"at least 2; received 1 student"),
    (np.ones((4, 2)), np.ones((4, 2)), (4,), r"every k in `ks` must be in \[1, 3\]; received k=4"),
    (np.ones((4, 2)), np.ones((4, 2)), (0,), r"every k in `ks` must be in \[1, 3\]; received k=0"),
], ids=["counts", "one-text", "k-too-big", "k-zero"])
def test_bad_input_is_named(student, teacher, ks, message):
    with pytest.raises(ValueError, match=message):
        embedding_agreement(student, teacher, ks)
