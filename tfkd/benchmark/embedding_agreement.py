"""`embedding_agreement`: how closely a student's sentence embeddings rank texts as the teacher's do."""

import numpy as np


def cosine_similarities(queries, keys):
    """Cosine similarity of every query row with every key row: [len(queries), len(keys)]."""
    queries, keys = _unit(queries), _unit(keys)
    return queries @ keys.T


def rank_by_cosine(query, candidates):
    """Indices of `candidates` ([n, d]) from most to least similar to `query` ([d]): answer selection."""
    return np.argsort(-cosine_similarities(np.asarray(query)[None], candidates)[0], kind="stable")


def embedding_agreement(student_embeddings, teacher_embeddings, ks=(1, 5)):
    """Agreement of two embeddings of the same held-out texts.

    - `spearman`: rank correlation of the cosine similarities of every pair
      of texts under the student and under the teacher.
    - `recall@k`: for each text, whether the teacher's nearest neighbour
      (among the other texts) is in the student's k nearest.

    Args:
        student_embeddings, teacher_embeddings: float arrays [n, d_student],
            [n, d_teacher] (widths may differ), n >= 2.
        ks: tuple of int, default (1, 5).

    Returns:
        dict: spearman, recall@k for each k, texts (n), pairs (n(n-1)/2).

    Raises:
        ValueError: different counts, fewer than 2 texts, or a k outside [1, n-1].

    Example:
        >>> teacher = np.random.normal(size=(50, 16))
        >>> embedding_agreement(teacher + 0.01 * np.random.normal(size=(50, 16)), teacher)["recall@1"]
        1.0
    """
    student, teacher = np.asarray(student_embeddings, np.float64), np.asarray(teacher_embeddings, np.float64)
    count = len(teacher)
    if len(student) != count or count < 2:
        raise ValueError(f"embeddings must hold the same texts, at least 2; received {len(student)} student and "
                         f"{count} teacher embeddings")
    for k in ks:
        if not 1 <= k <= count - 1:
            raise ValueError(f"every k in `ks` must be in [1, {count - 1}]; received k={k!r}")
    student_similarity, teacher_similarity = cosine_similarities(student, student), cosine_similarities(teacher, teacher)
    upper = np.triu_indices(count, k=1)
    report = {"spearman": _spearman(student_similarity[upper], teacher_similarity[upper]),
              "texts": count, "pairs": len(upper[0])}
    np.fill_diagonal(student_similarity, -np.inf)  # a text is not its own neighbour
    np.fill_diagonal(teacher_similarity, -np.inf)
    nearest = teacher_similarity.argmax(axis=1)  # [n]
    student_order = np.argsort(-student_similarity, axis=1)  # [n, n]
    for k in ks:
        report[f"recall@{k}"] = float(np.mean((student_order[:, :k] == nearest[:, None]).any(axis=1)))
    return report


def _unit(vectors):
    vectors = np.asarray(vectors, np.float64)
    return vectors / np.maximum(np.linalg.norm(vectors, axis=-1, keepdims=True), 1e-12)


def _spearman(a, b):
    """Pearson correlation of ranks (ties among float similarities are negligible)."""
    rank_a, rank_b = np.argsort(np.argsort(a)), np.argsort(np.argsort(b))
    return float(np.corrcoef(rank_a, rank_b)[0, 1])
