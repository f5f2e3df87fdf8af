"""Unlabeled sentences from other domains, for a transfer set the teacher labels.

The vaderSentiment 3.3.2 sdist that carries MR (Hutto & Gilbert 2014) also
carries sentences of three other domains, each with a crowd sentiment score:
Amazon product review sentences (3,697 distinct), tweets (4,200) and New York
Times editorial sentences (5,119 distinct). `transfer_texts` returns their
text only: distillation treats them as unlabeled text for the teacher to
label (Tang et al. 2019's transfer set), so no label of another domain leaks
into an MR result.
"""

import csv
import io

from tfkd.data.cache import write_bytes_atomic
from tfkd.data.mr import CLASS_NAMES
from tfkd.data.mr import OTHER_CORPORA as CORPORA
from tfkd.data.mr import _scored, sdist_file


def transfer_texts(corpora=tuple(CORPORA), exclude=(), source=None):
    """Other-domain sentences shipped beside MR, without their scores.

    Args:
        corpora: sequence of str, any of `"amazon"`, `"tweets"`, `"nyt"`
            (default: all three, 13,016 sentences).
        exclude: iterable of str; sentences to leave out (e.g. the
            validation and test texts, so no evaluation sentence is labelled
            by the teacher for training). Default none.
        source: str or None; the vaderSentiment 3.3.2 sdist (.tar.gz), as
            for `load("mr", source=...)`. None (default) uses the cache,
            fetching the sdist with pip on first use.

    Returns:
        list of str: in corpus order, each sentence once.

    Raises:
        ValueError: an unknown corpus name, or no corpus.

    Example:
        >>> texts = tfkd.data.transfer_texts(["tweets"])
        >>> len(texts)
        4200
    """
    corpora = [corpora] if isinstance(corpora, str) else list(corpora)
    unknown = [name for name in corpora if name not in CORPORA]
    if unknown or not corpora:
        raise ValueError(f"`corpora` must be a non-empty list of {list(CORPORA)}; received corpora={corpora!r}")
    excluded = set(exclude)
    texts = [text for name in corpora for text, _ in _scored_texts(name, source)]
    return [text for text in dict.fromkeys(texts) if text and text not in excluded]


def write_labelled_csv(corpus, path, source=None):
    """Writes one other-domain corpus as a labelled `text,label` CSV, the form `tfkd run --dataset` reads.

    The label is the sign of the sentence's crowd score, as for MR
    ("negative"/"positive"); sentences scored exactly 0 are left out, and a
    sentence given twice is kept once (with its first score). These are
    the labelled sets on which the pipeline's defaults are checked beyond MR.

    Args:
        corpus: str, one of `"amazon"`, `"tweets"`, `"nyt"`.
        path: str or Path of the CSV to write (never overwritten).
        source: as in `transfer_texts`.

    Returns:
        int: the number of rows written.

    Raises:
        ValueError: an unknown corpus.
        FileExistsError: `path` exists.

    Example:
        >>> write_labelled_csv("tweets", "tweets.csv")
        >>> tfkd.data.load("tweets.csv").class_names
        ('negative', 'positive')
    """
    if corpus not in CORPORA:
        raise ValueError(f"`corpus` must be one of {list(CORPORA)}; received corpus={corpus!r}")
    first_scores = {}
    for text, score in _scored_texts(corpus, source):
        first_scores.setdefault(text, score)
    rows = {text: CLASS_NAMES[int(score > 0)] for text, score in first_scores.items() if text and score != 0.0}
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["text", "label"])
    writer.writerows(rows.items())
    write_bytes_atomic(path, buffer.getvalue().encode("utf-8"))
    return len(rows)


def _scored_texts(corpus, source):
    """(text, crowd score) for every line of one corpus file, in file order."""
    filename = CORPORA[corpus]
    return [(text, score) for _, text, score in _scored(sdist_file(filename, source).read_bytes(), filename)]
