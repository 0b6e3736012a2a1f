# Writes digits/: the first 256 test pairs of `mtl data multimnist` as a folders-layout data set
# (docs/data.md): grey 28x28 PNGs that `mtl run --input` reads, and int64 label .npy files.
# Usage: /usr/bin/python3 examples/trained/multimnist/make_digits.py data/mm examples/trained/multimnist/digits
import json
import os
import sys

import numpy as np
from PIL import Image

SAMPLES = 256
src, out = sys.argv[1], sys.argv[2]
images = np.load(os.path.join(src, "test/image-00000.npy"), mmap_mode="r")
labels = {t: np.load(os.path.join(src, f"test/{t}-00000.npy")) for t in ("left", "right")}
for field in ("image", "left", "right"):
    os.makedirs(os.path.join(out, "test", field), exist_ok=True)
for i in range(SAMPLES):
    name = f"{i:04d}"
    Image.fromarray(np.asarray(images[i, 0], dtype=np.uint8), mode="L").save(os.path.join(out, "test/image", name + ".png"))
    for t, y in labels.items():
        np.save(os.path.join(out, "test", t, name + ".npy"), np.asarray(y[i], dtype=np.int64))
manifest = {
    "format": "mtl-dataset",
    "version": 1,
    "name": "multimnist-test-256",
    "source": f"the first {SAMPLES} test pairs of `mtl data multimnist` (seed 0)",
    "layout": "folders",
    "inputs": {"image": {"dtype": "uint8", "shape": [1, 28, 28]}},
    "targets": {"left": {"dtype": "int64", "shape": []}, "right": {"dtype": "int64", "shape": []}},
    "splits": {"test": {"samples": SAMPLES}},
}
with open(os.path.join(out, "manifest.json"), "w") as f:
    json.dump(manifest, f, indent=2)
    f.write("\n")
