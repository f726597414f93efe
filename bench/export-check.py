#!/usr/bin/env python3
"""Checks a `byol export --format torchvision` file in PyTorch: loads it with strict=True into
torchvision's ResNet (fc = Identity) or the module docs/export.md defines, and compares its features
of the images bench/export-check.ts wrote with byol-ts' own (relative L2 <= 1e-4). Exits 1 if not.

  node --import tsx bench/export-check.ts RUN_DIR OUT_DIR
  /usr/bin/python3 bench/export-check.py WEIGHTS.safetensors OUT_DIR
"""
import json
import re
import struct
import sys
from pathlib import Path

import numpy as np
import torch
import torchvision

TOLERANCE = 1e-4


def read_safetensors(path):
    """Tensors and metadata of a safetensors file of F32 tensors (no safetensors package needed)."""
    raw = Path(path).read_bytes()
    size = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8 : 8 + size])
    metadata = header.pop("__metadata__", {})
    body = raw[8 + size :]
    tensors = {}
    for name, h in header.items():
        if h["dtype"] != "F32":
            sys.exit(f"{path}: tensor {name} is {h['dtype']}, expected F32")
        start, end = h["data_offsets"]
        tensors[name] = torch.from_numpy(np.frombuffer(body[start:end], dtype="<f4").reshape(h["shape"]).copy())
    return tensors, metadata


def documented_modules():
    """The module definitions of docs/export.md (its Python block that defines ByolResNet)."""
    docs = Path(__file__).resolve().parent.parent / "docs" / "export.md"
    block = next(b for b in re.findall(r"```python\n(.*?)```", docs.read_text(), re.S) if "class ByolResNet" in b)
    scope = {}
    exec(block, scope)
    return scope


def build(metadata, modules):
    """The module that loads this export, and its feature-map function."""
    enc, channels = json.loads(metadata["encoder"]), int(metadata["channels"])
    if enc["arch"] == "small-cnn":
        model = modules["SmallCnn"](enc["width"], channels, enc.get("depth", 1))
        return model, model.feature_map
    if enc["stem"] == "imagenet" and enc["width"] == 64 and channels == 3:
        model = getattr(torchvision.models, enc["arch"])()
        model.fc = torch.nn.Identity()
        return model, torch.nn.Sequential(*list(model.children())[:-2])
    model = modules["ByolResNet"](int(enc["arch"][len("resnet") :]), enc["width"], channels, enc["stem"])
    return model, model.feature_map


def relative_l2(a, b):
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(b), 1e-30))


def main(weights, out):
    tensors, metadata = read_safetensors(weights)
    modules = documented_modules()
    model, feature_map = build(metadata, modules)
    model.load_state_dict(tensors, strict=True)
    model.eval()
    x = torch.from_numpy(np.load(Path(out) / "inputs.npy")).permute(0, 3, 1, 2).contiguous()
    with torch.no_grad():
        fmap = feature_map(x)
        got = {"avgpool": model(x).numpy()}
        tap = metadata.get("tap", "avgpool")
        if re.fullmatch(r"grid\d", tap):
            got[tap] = modules["grid"](fmap, int(tap[4:])).numpy()
    failed = False
    for tap, features in got.items():
        error = relative_l2(features, np.load(Path(out) / f"{tap}.npy"))
        failed |= not error <= TOLERANCE
        print(f"{weights} ({type(model).__name__}, strict load): {tap} {list(features.shape)}, relative L2 {error:.1e} from byol-ts")
    return 1 if failed else 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1], sys.argv[2]))
