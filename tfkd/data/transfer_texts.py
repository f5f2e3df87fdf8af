"""Unlabeled sentences from other domains, for a transfer set the teacher labels.

The vaderSentiment 3.3.2 sdist that carries MR (Hutto & Gilbert 2014) also
carries sentences of three other domains, each with a crowd sentiment score:
Amazon product review sentences (3,697 distinct), tweets (4,200) and New York
Times editorial sentences (5,119 distinct). `transfer_texts` returns their
text only: distillation treats them as unlabeled text for the teacher to
label (Tang et al. 2019's transfer set), so no label of another domain leaks
into an MR result.
"""

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
    texts = []
    for name in corpora:
        filename = CORPORA[name]
        texts += [text for _, text, _ in _scored(sdist_file(filename, source).read_bytes(), filename)]
    return [text for text in dict.fromkeys(texts) if text and text not in excluded]
