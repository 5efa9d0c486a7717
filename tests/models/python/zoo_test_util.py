"""Shared helpers of the model-zoo tests: import path of models/ and a cached tiny export."""
import atexit
import os
import shutil
import sys
import tempfile

import torch

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
MODELS = os.path.join(REPO, "models")
if MODELS not in sys.path:
    sys.path.insert(0, MODELS)

torch.set_num_threads(2)

_TINY_DIR = None


def tiny_export_dir():
    """Export all six tiny variants once per test process (about 40 s on 2 cores) and return the
    directory. Later calls reuse it."""
    global _TINY_DIR
    if _TINY_DIR is None:
        import export
        d = tempfile.mkdtemp(prefix="kiln_zoo_tiny_")
        atexit.register(shutil.rmtree, d, True)
        for key in export.ALL_KEYS:
            export.export_variant(key, d, tiny=True, log=lambda *a: None)
        _TINY_DIR = d
    return _TINY_DIR
