"""Trade-off plots: accuracy against size and against latency, with the Pareto front."""

import pathlib

from tfkd._keras import import_optional


def pareto_front(points):
    """Indices of the points no other point beats: lower cost and higher accuracy.

    Args:
        points: sequence of (cost, accuracy) pairs, e.g. (bytes, accuracy).

    Returns:
        list of int, the front's indices sorted by cost. A point is on the
        front when every other point costs more or is less accurate (ties
        on both count as on the front).
    """
    front = []
    for index, (cost, accuracy) in enumerate(points):
        dominated = any(other_cost <= cost and other_accuracy >= accuracy
                        and (other_cost < cost or other_accuracy > accuracy)
                        for other_cost, other_accuracy in points)
        if not dominated:
            front.append(index)
    return sorted(front, key=lambda index: points[index][0])


def plot_tradeoffs(results, directory, prefix="tradeoff"):
    """Writes `<prefix>_size.png` and `<prefix>_latency.png`: accuracy vs size / latency, front marked.

    Args:
        results: list of `ModelResult`.
        directory: str or Path.
        prefix: str, file name start. Default "tradeoff".

    Returns:
        list of the two PNG paths.
    """
    matplotlib = import_optional("matplotlib", "matplotlib")
    matplotlib.use("Agg")  # files only; no display needed
    pyplot = import_optional("matplotlib.pyplot", "matplotlib")
    directory = pathlib.Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for axis, label, key in (("size", "file size (bytes, log)", "size_bytes"),
                             ("latency", "latency per example, median (ms, log)", "latency_ms_median")):
        points = [(getattr(result, key), result.accuracy) for result in results]
        front = pareto_front(points)
        figure, plot = pyplot.subplots(figsize=(6, 4), dpi=120)
        plot.scatter([p[0] for p in points], [p[1] * 100 for p in points], color="tab:blue")
        plot.plot([points[i][0] for i in front], [points[i][1] * 100 for i in front], color="tab:orange",
                  label="Pareto front")
        for result, (cost, accuracy) in zip(results, points):
            plot.annotate(result.name, (cost, accuracy * 100), fontsize=7, xytext=(4, 2), textcoords="offset points")
        plot.set_xscale("log")
        plot.set_xlabel(label)
        plot.set_ylabel("accuracy (%)")
        plot.legend(loc="lower right")
        figure.tight_layout()
        path = directory / f"{prefix}_{axis}.png"
        figure.savefig(path)
        pyplot.close(figure)
        paths.append(path)
    return paths


def plot_sparsity_sweep(series, path, dense=None):
    """Writes a PNG of accuracy against sparsity, one line per student.

    Args:
        series: dict, student name -> list of (sparsity in [0, 1), accuracy in [0, 1]).
        path: str or Path of the PNG.
        dense: dict or None, student name -> dense accuracy, drawn as a dotted level per student.

    Returns:
        The PNG's path.

    Raises:
        ValueError: a sparsity outside [0, 1) (the student and value are named).
    """
    for name, points in series.items():
        for sparsity, _ in points:
            if not 0.0 <= sparsity < 1.0:
                raise ValueError(f"sparsity must be in [0, 1); received {sparsity!r} for {name!r}")
    matplotlib = import_optional("matplotlib", "matplotlib")
    matplotlib.use("Agg")
    pyplot = import_optional("matplotlib.pyplot", "matplotlib")
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure, plot = pyplot.subplots(figsize=(6, 4), dpi=120)
    for index, (name, points) in enumerate(series.items()):
        color = f"C{index}"
        points = sorted(points)
        plot.plot([100 * s for s, _ in points], [100 * a for _, a in points], marker="o", color=color, label=name)
        if dense and name in dense:
            plot.axhline(100 * dense[name], color=color, linestyle=":", linewidth=1)
    plot.set_xlabel("sparsity (% of weights zero)")
    plot.set_ylabel("accuracy (%)")
    plot.legend(loc="lower left")
    figure.tight_layout()
    figure.savefig(path)
    pyplot.close(figure)
    return path
