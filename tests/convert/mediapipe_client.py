"""Runs in MediaPipe's own environment (`make mediapipe-env`): classifies texts with the Tasks TextClassifier.

    python mediapipe_client.py MODEL.tflite TEXTS.json OUTPUT.json

TEXTS.json is a list of strings; OUTPUT.json gets, per text, the scores in the
model's class order (by label) and the top category's name.
"""

import json
import sys

from mediapipe.tasks.python import text
from mediapipe.tasks.python.core import base_options


def main(model_path, texts_path, output_path):
    options = text.TextClassifierOptions(base_options=base_options.BaseOptions(model_asset_path=model_path))
    classifier = text.TextClassifier.create_from_options(options)
    results = []
    for sentence in json.load(open(texts_path, encoding="utf-8")):
        categories = classifier.classify(sentence).classifications[0].categories
        results.append({"top": categories[0].category_name,
                        "scores": {category.category_name: category.score for category in categories}})
    classifier.close()
    with open(output_path, "w", encoding="utf-8") as file:
        json.dump(results, file)


if __name__ == "__main__":
    main(*sys.argv[1:4])
