"""`kiln eval miou` against PyTorch: random logits upsampled by torch.nn.functional.interpolate
(bilinear, align_corners=True, as IntraDA/ADVENT evaluate), argmax, Cityscapes label-id ->
train-id mapping, ignore 255, confusion matrix (ADVENT's fast_hist). The confusion matrices must be
identical: kiln computes PyTorch's float32 values exactly, so argmax can only differ on exact
ties, which random logits do not have."""
import pathlib
import tempfile
import unittest

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from eval_test_util import check_kiln, read_result, write_outputs

torch.set_num_threads(2)

# ADVENT cityscapes_list/info.json "label2train".
LABEL2TRAIN = [[0, 255], [1, 255], [2, 255], [3, 255], [4, 255], [5, 255], [6, 255], [7, 0],
               [8, 1], [9, 255], [10, 255], [11, 2], [12, 3], [13, 4], [14, 255], [15, 255],
               [16, 255], [17, 5], [18, 255], [19, 6], [20, 7], [21, 8], [22, 9], [23, 10],
               [24, 11], [25, 12], [26, 13], [27, 14], [28, 15], [29, 255], [30, 255], [31, 16],
               [32, 17], [33, 18], [-1, 255]]


def map_labels(label_ids):
    table = np.zeros(35, dtype=np.int64)
    for source, target in LABEL2TRAIN:
        table[source] = target
    return table[label_ids.astype(np.int64)]


def fast_hist(a, b, n):
    k = (a >= 0) & (a < n)
    return np.bincount(n * a[k].astype(int) + b[k], minlength=n ** 2).reshape(n, n)


def torch_prediction(logits, size):
    with torch.no_grad():
        up = F.interpolate(torch.from_numpy(logits[None]), size=size, mode="bilinear",
                           align_corners=True)
    return up[0].numpy().argmax(axis=0)


class UpsampleArgmaxAgainstTorch(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = pathlib.Path(self.tmp.name)

    def tearDown(self):
        self.tmp.cleanup()

    def evaluate(self, logits_by_stem, labels_by_stem, fmt, extra=()):
        out = self.dir / f"out_{fmt}"
        gt = self.dir / f"gt_{fmt}"
        gt.mkdir()
        write_outputs(out, {s: [l] for s, l in logits_by_stem.items()}, fmt=fmt,
                      manifest=not extra)
        for stem, label in labels_by_stem.items():
            Image.fromarray(label.astype(np.uint8), mode="L").save(gt / f"{stem}.png")
        result_path = self.dir / f"result_{fmt}.json"
        check_kiln(self, "eval", "miou", out, gt, "-o", result_path, *extra)
        return read_result(result_path)

    def test_deeplab_size_confusion_matrix_equals_torch(self):
        # DeepLab-v2's output for a 512x1024 input, against full-size 1024x2048 label ids.
        rng = np.random.default_rng(0)
        logits, labels = {}, {}
        expected = np.zeros((19, 19), dtype=np.int64)
        for i in range(2):
            stem = f"frankfurt_000000_{i:06d}_leftImg8bit"
            # Smooth-ish logits (what a network gives) plus noise.
            logits[stem] = (rng.standard_normal((19, 65, 129)) * 3).astype(np.float32)
            label_ids = rng.integers(0, 35, size=(1024, 2048)).astype(np.uint8)
            labels[stem] = label_ids
            pred = torch_prediction(logits[stem], (1024, 2048))
            expected += fast_hist(map_labels(label_ids).flatten(), pred.flatten(), 19)
        result, rows = self.evaluate(logits, labels, "bin")
        matrix = np.array(result["metrics"]["confusion_matrix"], dtype=np.int64)
        np.testing.assert_array_equal(matrix, expected)
        iou = np.diag(expected) / (expected.sum(1) + expected.sum(0) - np.diag(expected))
        self.assertAlmostEqual(result["metrics"]["miou"], np.nanmean(iou), places=12)
        self.assertEqual(rows["mIoU"], str(round(np.nanmean(iou) * 100, 2)))
        self.assertEqual(rows["Number of images"], "2")

    def test_odd_sizes_train_ids_and_npy(self):
        rng = np.random.default_rng(1)
        logits, labels = {}, {}
        expected = np.zeros((7, 7), dtype=np.int64)
        for i, (h, w, oh, ow) in enumerate([(13, 29, 97, 301), (5, 5, 5, 5), (33, 65, 513, 1025),
                                            (2, 3, 1, 7)]):
            stem = f"img{i}"
            logits[stem] = rng.standard_normal((7, h, w)).astype(np.float32)
            label = rng.integers(0, 9, size=(oh, ow))  # 7, 8: ignored as >= classes
            label[label == 8] = 255
            labels[stem] = label
            pred = torch_prediction(logits[stem], (oh, ow))
            expected += fast_hist(label.flatten(), pred.flatten(), 7)
        result, _ = self.evaluate(logits, labels, "npy", extra=("--labels", "train-ids"))
        np.testing.assert_array_equal(np.array(result["metrics"]["confusion_matrix"]), expected)

    def test_text_outputs_with_shape_option(self):
        rng = np.random.default_rng(2)
        logits = {"a_leftImg8bit": rng.standard_normal((19, 9, 17)).astype(np.float32)}
        label = rng.integers(0, 34, size=(64, 128))
        result, _ = self.evaluate(logits, {"a_leftImg8bit": label}, "txt",
                                  extra=("--output-shape", "19,9,17"))
        pred = torch_prediction(logits["a_leftImg8bit"], (64, 128))
        expected = fast_hist(map_labels(label).flatten(), pred.flatten(), 19)
        np.testing.assert_array_equal(np.array(result["metrics"]["confusion_matrix"]), expected)


if __name__ == "__main__":
    unittest.main()
