"""`LogitsFileTeacher`: a teacher known only by its logits, written to a file by any framework."""

import hashlib
import pathlib
import zipfile

import numpy as np

FORMAT = ("an .npz file with two arrays: 'texts' (str, [n]) and 'logits' (float, [n, num_classes]), e.g. "
          "np.savez(path, texts=np.array(texts), logits=logits)")


class LogitsFileTeacher:
    """Logits looked up by text from an .npz file: distill from a teacher tfkd cannot load.

    Most teachers are fine-tuned elsewhere (a Hugging Face PyTorch model, a
    SavedModel, an API). Run it over the texts to distill on, save its
    logits beside them, and tfkd distills without loading it:

        texts = tfkd.pipeline.texts_to_label(config)  # every text tfkd will ask for
        logits = my_model(texts)                      # [len(texts), num_classes], any framework
        np.savez("teacher.npz", texts=np.array(texts), logits=logits)

    then `tfkd run --teacher-logits teacher.npz --embedding-init random`.
    Each text is found by its exact string; a text given twice keeps its
    first logits.

    Args:
        texts: sequence of str.
        logits: float array [len(texts), num_classes], finite.
        source: str or None, where they came from (named in errors and `info`).

    Raises:
        ValueError: lengths differ, logits are not 2-D, or hold NaN or infinity.

    Example:
        >>> teacher = LogitsFileTeacher(["good", "bad"], np.array([[0.1, 2.0], [1.5, -1.0]]))
        >>> teacher.logits(["bad"]).shape
        (1, 2)
    """

    def __init__(self, texts, logits, source=None):
        self.source = source or "the teacher logits"
        texts, logits = [str(text) for text in texts], np.asarray(logits, np.float32)
        if logits.ndim != 2 or logits.shape[0] != len(texts):
            raise ValueError(f"{self.source}: 'logits' must have shape [len(texts), num_classes] = [{len(texts)}, "
                             f"classes]; received shape {list(logits.shape)}")
        bad = np.flatnonzero(~np.isfinite(logits).all(axis=1))
        if bad.size:
            raise ValueError(f"{self.source}: the logits of {bad.size} text(s) hold NaN or infinity (first: row "
                             f"{bad[0]}, text {texts[bad[0]]!r})")
        self._rows = {}
        for row, text in enumerate(texts):
            self._rows.setdefault(text, row)
        self._logits = logits
        self.info = {"logits_file": self.source, "texts": len(self._rows), "num_classes": int(logits.shape[1])}

    @classmethod
    def load(cls, path, num_classes=None):
        """Reads `path` (see the class docstring for its format) and checks it.

        Args:
            path: str or Path of the .npz file.
            num_classes: int or None; when given, the logits must have this many columns.

        Raises:
            FileNotFoundError: no such file.
            ValueError: not an .npz of that format (what is wrong is named), or
                another number of classes than `num_classes`.
        """
        path = pathlib.Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"teacher logits file {str(path)!r} does not exist; expected {FORMAT}")
        try:
            with np.load(path, allow_pickle=False) as stored:
                missing = sorted({"texts", "logits"} - set(stored.files))
                if missing:
                    raise ValueError(f"teacher logits file {str(path)!r} lacks array(s) {missing} (it holds "
                                     f"{sorted(stored.files)}); expected {FORMAT}")
                texts, logits = stored["texts"], stored["logits"]
        except (OSError, zipfile.BadZipFile, EOFError) as error:
            raise ValueError(f"teacher logits file {str(path)!r} is not a readable .npz ({error}); "
                             f"expected {FORMAT}") from error
        except ValueError as error:
            if "allow_pickle" not in str(error):
                raise
            raise ValueError(f"teacher logits file {str(path)!r} stores an object array; save 'texts' as a str "
                             "array (np.array(texts)) and 'logits' as a float array") from error
        if texts.dtype.kind != "U" or texts.ndim != 1:
            raise ValueError(f"teacher logits file {str(path)!r}: 'texts' must be a 1-D str array; received dtype "
                             f"{texts.dtype} with shape {list(texts.shape)}")
        teacher = cls(texts.tolist(), logits, source=str(path))
        if num_classes is not None and teacher.info["num_classes"] != num_classes:
            raise ValueError(f"teacher logits file {str(path)!r} has {teacher.info['num_classes']} logits per text; "
                             f"the dataset has {num_classes} classes")
        teacher.info["sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
        return teacher

    def logits(self, texts, batch_size=None):  # pylint: disable=unused-argument
        """Logits [len(texts), num_classes] float32 (`batch_size` is accepted for a model teacher's signature).

        Raises:
            ValueError: some texts are not in the file (how many, and the first).
        """
        texts = list(texts)
        missing = [text for text in texts if text not in self._rows]
        if missing:
            raise ValueError(f"{self.source} has no logits for {len(missing):,} of the {len(texts):,} texts asked "
                             f"for (first: {missing[0]!r}); label every text of tfkd.pipeline.texts_to_label(config) "
                             "(transfer_copies and transfer_corpora add texts: set them to 0 / [] to distill on "
                             "the training texts only)")
        return self._logits[[self._rows[text] for text in texts]]

    def covers(self, texts):
        """Whether the file has logits for every text of `texts`."""
        return all(text in self._rows for text in texts)
