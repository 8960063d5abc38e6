#!/usr/bin/env python3
"""Writes the seed corpus of the request fuzz targets from fixtures/vectors:
one file per recorded SDK request, in the format of fuzz_targets/raw.rs."""
import glob
import json
import os

here = os.path.dirname(os.path.abspath(__file__))
vectors = os.path.join(here, "..", "fixtures", "vectors", "*.json")
for target in ("signature", "pipeline"):
    out = os.path.join(here, "corpus", target)
    os.makedirs(out, exist_ok=True)
    for path in sorted(glob.glob(vectors)):
        r = json.load(open(path, encoding="utf-8"))["requests"][0]
        target_line = r["path"] + ("?" + r["raw_query"] if r["raw_query"] else "")
        head = [r["method"] + " " + target_line] + ["%s: %s" % (k, v) for k, v in r["headers"]]
        data = ("\n".join(head) + "\n\n").encode() + r["body"].encode()
        name = os.path.basename(path).replace(".json", "")
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
out = os.path.join(here, "corpus", "decode")
os.makedirs(out, exist_ok=True)
for path in sorted(glob.glob(vectors)):
    r = json.load(open(path, encoding="utf-8"))["requests"][0]
    name = os.path.basename(path).replace(".json", "")
    with open(os.path.join(out, name), "wb") as f:
        f.write((r["raw_query"] + ("&" + r["body"] if r["body"] else "")).encode())
print("corpus written")
