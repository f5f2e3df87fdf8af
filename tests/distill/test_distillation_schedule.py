"""tfkd.distill.distillation_schedule: alpha, temperature and entropy weight changed between epochs."""

import numpy as np
import pytest

import tfkd


def _distiller(student, **kwargs):
    distiller = tfkd.Distiller(student, None, **kwargs)
    distiller.compile(optimizer="adam")
    return distiller


def test_linear_schedules_reach_the_loss_of_each_epoch(student, token_data):
    ids, labels, logits = token_data
    distiller = _distiller(student, alpha=0.9, temperature=5.0)
    schedule = tfkd.DistillationSchedule(alpha=(0.0, 1.0), temperature=(4.0, 1.0))
    history = distiller.fit(tfkd.logits_dataset(ids, labels, logits, 64), epochs=3, callbacks=[schedule], verbose=0)
    assert history.history["alpha"] == [0.0, 0.5, 1.0]
    assert history.history["temperature"] == [4.0, 2.5, 1.0]
    assert (distiller.alpha, distiller.temperature) == (1.0, 1.0)
    # The traced step reads the variables: each epoch's total uses that epoch's alpha.
    for epoch, alpha in enumerate(history.history["alpha"]):
        expected = alpha * history.history["student_loss"][epoch] + (1 - alpha) * history.history[
            "distillation_loss"][epoch]
        assert history.history["loss"][epoch] == pytest.approx(expected, rel=1e-4)


def test_a_callable_schedule_and_the_entropy_term(student, token_data):
    ids, labels, logits = token_data
    distiller = _distiller(student, alpha=0.5, entropy_weight=0.0)
    schedule = tfkd.DistillationSchedule(entropy_weight=lambda epoch: 0.25 * epoch)
    history = distiller.fit(tfkd.logits_dataset(ids, labels, logits, 64), epochs=2, callbacks=[schedule], verbose=0)
    assert history.history["entropy_weight"] == [0.0, 0.25]
    logs = {name: values[-1] for name, values in history.history.items()}
    # total = blend - entropy_weight * H(student); entropy of two classes is at most ln 2.
    assert 0.0 <= logs["entropy"] <= np.log(2) + 1e-6
    assert logs["loss"] == pytest.approx(
        0.5 * logs["student_loss"] + 0.5 * logs["distillation_loss"] - 0.25 * logs["entropy"], rel=1e-4)


def test_a_scheduled_value_outside_its_range_is_named(student, token_data):
    ids, labels, logits = token_data
    distiller = _distiller(student)
    schedule = tfkd.DistillationSchedule(alpha=(0.5, 1.5))
    with pytest.raises(ValueError, match=r"`alpha` must be in \[0, 1\]; received alpha=1.5"):
        distiller.fit(tfkd.logits_dataset(ids, labels, logits, 64), epochs=2, callbacks=[schedule], verbose=0)


def test_scheduling_an_absent_entropy_term_says_how_to_add_it(student, token_data):
    ids, labels, logits = token_data
    with pytest.raises(ValueError, match="build it with entropy_weight=0.0"):
        _distiller(student).fit(tfkd.logits_dataset(ids, labels, logits, 64), epochs=1, verbose=0,
                                callbacks=[tfkd.DistillationSchedule(entropy_weight=(0.0, 1.0))])


@pytest.mark.parametrize("arguments, message", [
    ({}, "needs at least one of"),
    ({"alpha": 0.5}, r"`alpha` must be a callable epoch -> value or a \(start, end\) pair; received alpha=0.5"),
    ({"temperature": (1, 2, 3)}, "received temperature=\\(1, 2, 3\\)"),
], ids=["none", "number", "triple"])
def test_bad_schedules_are_named(arguments, message):
    with pytest.raises(ValueError, match=message):
        tfkd.DistillationSchedule(**arguments)
