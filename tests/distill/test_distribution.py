"""Distiller under tf.distribute.MirroredStrategy (two logical CPUs) gives the single-device step,
with a feature term, an entropy term, a schedule writing its (mirrored) variables and weight averaging."""

import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent("""
    import numpy as np
    import tfkd
    from tfkd._keras import keras, tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    rng = np.random.default_rng(0)
    ids = rng.integers(0, 50, (64, 16)).astype("int32")
    labels = (ids[:, 0] > 25).astype("int32")
    logits = rng.normal(size=(64, 2)).astype("float32")
    features = rng.normal(size=(64, 8)).astype("float32")
    data = tf.data.Dataset.from_tensor_slices((ids, labels, {"logits": logits, "sentence": features})).batch(64)

    def one_step(strategy):
        with strategy.scope():
            keras.utils.set_random_seed(0)
            student = tfkd.students.build("average_embedding", 50, 16, 2, dropout=0.0)
            feature = tfkd.FeatureDistillation("hidden", "sentence", teacher_dim=8)
            distiller = tfkd.Distiller(student, alpha=0.9, temperature=2.0, features=[feature], entropy_weight=0.1)
            distiller.compile(optimizer=keras.optimizers.SGD(0.5))
        schedule = tfkd.DistillationSchedule(alpha=lambda epoch: 0.5)
        distiller.fit(data, epochs=1, verbose=0, callbacks=[schedule, tfkd.WeightAveraging(0.5)])
        assert distiller.alpha == 0.5
        return student.get_weights() + distiller.projections[0].get_weights()

    mirrored = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    assert mirrored.num_replicas_in_sync == 2
    single, double = one_step(tf.distribute.get_strategy()), one_step(mirrored)
    print("MAXDIFF", max(float(np.abs(a - b).max()) for a, b in zip(single, double)))
""")


def test_two_replicas_take_the_same_step_as_one_device():
    result = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    difference = float(result.stdout.split("MAXDIFF")[-1])
    # compute_average_loss divides by the global batch: replicas' summed gradients equal one device's.
    assert difference < 1e-5
