"""tfkd.compress.clustering: few distinct values per weight after distilling, smaller gzip, bad input named."""

import gzip

import numpy as np
import pytest

import tfkd
from tfkd._keras import keras
from tfkd.compress import cluster, cluster_report, strip_clustering


def test_clustered_student_keeps_few_values_and_gzips_smaller(student, token_data):
    ids, labels, logits = token_data
    before = [w.copy() for w in student.get_weights()]
    clustered = cluster(student, number_of_clusters=8)
    distiller = tfkd.Distiller(clustered)
    distiller.compile(optimizer="adam")
    distiller.fit(tfkd.logits_dataset(ids, labels, logits, 32), epochs=1, verbose=0)
    stripped = strip_clustering(distiller.student)
    report = {row["layer"]: row["distinct_values"] for row in cluster_report(stripped)}
    assert set(report) == {"embedding", "conv_3", "conv_4", "conv_5", "logits"}
    assert all(count <= 8 for count in report.values()), report
    assert all(np.array_equal(a, b) for a, b in zip(before, student.get_weights()))  # the input model is kept
    dense, clustered_file = tfkd.convert(student, "float32"), tfkd.convert(stripped, "float32")
    assert len(gzip.compress(clustered_file)) < 0.5 * len(gzip.compress(dense))


def test_a_layer_tf_mot_cannot_cluster_is_named(token_data):
    keras.utils.set_random_seed(0)
    student = tfkd.students.build("transformer", 50, 16, 2)
    with pytest.warns(UserWarning, match=r"not clustered \(TF-MOT cannot cluster them\): \['positions'\]"):
        cluster(student, number_of_clusters=4)


@pytest.mark.parametrize("arguments, message", [
    ({"number_of_clusters": 1}, "number_of_clusters"),
    ({"centroid_init": "best"}, r"`centroid_init` must be one of \['kmeans\+\+', 'linear', 'density', 'random'\]; "
                                "received centroid_init='best'"),
], ids=["one-cluster", "init"])
def test_bad_settings_are_named(student, arguments, message):
    with pytest.raises(ValueError, match=message):
        cluster(student, **arguments)
