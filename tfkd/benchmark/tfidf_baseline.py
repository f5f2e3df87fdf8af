"""`tfidf_baseline`: the row a practitioner tries before distilling: TF-IDF + logistic regression."""

import pickle

import numpy as np

from tfkd._keras import import_optional

C_VALUES = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0)


def tfidf_baseline(splits, c_values=C_VALUES):
    """TF-IDF (word 1-2 grams, sublinear tf) with logistic regression, C chosen on the validation split.

    Args:
        splits: `tfkd.data.DataSplits` (or anything with `train`, `validation`
            and `test`, each with `texts` and `labels`).
        c_values: the inverse regularisation strengths tried. Default `C_VALUES`.

    Returns:
        dict: "model", the chosen "C", "validation_accuracy", "test_accuracy",
        "test_macro_f1", "parameters" (weights and biases of the linear
        model) and "size_bytes" (the fitted vectorizer and model pickled:
        what an app would have to ship, n-gram vocabulary included).

    Raises:
        ImportError: scikit-learn is not installed (the message says how to install it).
        ValueError: `c_values` is empty.

    Example:
        >>> tfidf_baseline(tfkd.data.load("mr"))["test_accuracy"]
    """
    if not c_values:
        raise ValueError(f"`c_values` must name at least one C; received c_values={c_values!r}")
    text = import_optional("sklearn.feature_extraction.text", "scikit-learn>=1.4")
    linear = import_optional("sklearn.linear_model", "scikit-learn>=1.4")
    metrics = import_optional("sklearn.metrics", "scikit-learn>=1.4")
    features = text.TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True).fit(list(splits.train.texts))
    x = {name: features.transform(list(splits[name].texts)) for name in ("train", "validation", "test")}
    y = {name: np.asarray(splits[name].labels) for name in ("train", "validation", "test")}
    scored = []
    for c in c_values:
        model = linear.LogisticRegression(C=c, max_iter=2000).fit(x["train"], y["train"])
        scored.append((model.score(x["validation"], y["validation"]), c, model))
    validation, c, model = max(scored, key=lambda item: (item[0], -item[1]))  # ties: the stronger regularisation
    predicted = model.predict(x["test"])
    return {"model": "TF-IDF (word 1-2 grams, sublinear tf) + logistic regression", "C": c,
            "validation_accuracy": float(validation), "test_accuracy": float(np.mean(predicted == y["test"])),
            "test_macro_f1": float(metrics.f1_score(y["test"], predicted, average="macro")),
            "parameters": int(model.coef_.size + model.intercept_.size),
            "size_bytes": len(pickle.dumps((features, model)))}
