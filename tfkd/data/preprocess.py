"""NLTK text preprocessing that works without `nltk.download`.

`nltk.word_tokenize` and the stopwords corpus need data packages that an
offline machine does not have; the Treebank tokenizer needs none, and a
built-in copy of NLTK's English stopword list stands in for the corpus.
"""

import functools
import re

from tfkd._keras import import_optional

# NLTK's English stopword list (nltk_data corpora/stopwords/english, 179 words).
ENGLISH_STOPWORDS = frozenset("""
i me my myself we our ours ourselves you you're you've you'll you'd your yours yourself
yourselves he him his himself she she's her hers herself it it's its itself they them their
theirs themselves what which who whom this that that'll these those am is are was were be been
being have has had having do does did doing a an the and but if or because as until while of at
by for with about against between into through during before after above below to from up down
in out on off over under again further then once here there when where why how all any both each
few more most other some such no nor not only own same so than too very s t can will just don
don't should should've now d ll m o re ve y ain aren aren't couldn couldn't didn didn't doesn
doesn't hadn hadn't hasn hasn't haven haven't isn isn't ma mightn mightn't mustn mustn't needn
needn't shan shan't shouldn shouldn't wasn wasn't weren weren't won won't wouldn wouldn't
""".split())

_WORD_PATTERN = re.compile(r"[\w']+|[^\w\s]", re.UNICODE)


def word_tokenize(text, tokenizer="regex"):
    """Splits `text` into word and punctuation tokens.

    Args:
        text: str.
        tokenizer: str, `"regex"` (default; simple to reproduce in an app) or
            `"nltk"` (NLTK's Punkt `word_tokenize` when its data is installed,
            else the data-free Treebank tokenizer).

    Returns:
        list of str.
    """
    if tokenizer == "regex":
        return _WORD_PATTERN.findall(text)
    if tokenizer == "nltk":
        return _nltk_tokenize()(text)
    raise ValueError(f"`tokenizer` must be 'regex' or 'nltk'; received tokenizer={tokenizer!r}")


def remove_stopwords(tokens):
    """`tokens` without English stopwords (NLTK's corpus if installed, else the built-in copy)."""
    stopwords = _stopwords()
    return [token for token in tokens if token.lower() not in stopwords]


@functools.lru_cache(maxsize=1)
def _nltk_tokenize():
    nltk = import_optional("nltk", "nltk")
    try:
        nltk.word_tokenize("probe")
        return nltk.word_tokenize
    except LookupError:  # Punkt data not downloaded
        return nltk.tokenize.TreebankWordTokenizer().tokenize


@functools.lru_cache(maxsize=1)
def _stopwords():
    try:
        from nltk.corpus import stopwords

        return frozenset(stopwords.words("english"))
    except (ImportError, LookupError):
        return ENGLISH_STOPWORDS
