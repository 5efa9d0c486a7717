"""EfficientDet decoding: `kiln eval coco --decode efficientdet` against the model zoo's numpy
reference (models/efficientdet_postprocess.py) on the same random raw outputs: the same
detections (class ids equal; boxes and scores to 1e-4 relative), rescaled with kiln prep coco's
side file, scores below 0.001 dropped as effdet's COCO evaluator does."""
import json
import pathlib
import tempfile
import unittest

import numpy as np

from eval_test_util import check_kiln, read_result, write_outputs
import efficientdet_postprocess as pp

A = 49104


def random_outputs(rng, ties=False):
    class_out = rng.normal(-6, 2, size=(A, 90)).astype(np.float32)
    # A few hundred confident candidates spread over classes and anchors.
    hot = rng.choice(A * 90, size=600, replace=False)
    class_out.reshape(-1)[hot] = rng.normal(2, 2, size=600).astype(np.float32)
    if ties:  # equal logits: the order is the flat index
        class_out.reshape(-1)[hot[:200]] = np.float32(1.5)
    box_out = rng.normal(0, 0.3, size=(A, 4)).astype(np.float32)
    return class_out, box_out


class DecodeAgainstReference(unittest.TestCase):
    def test_detections_equal_the_reference(self):
        rng = np.random.default_rng(0)
        with tempfile.TemporaryDirectory() as tmp:
            root = pathlib.Path(tmp)
            images = [  # (stem, image_id, width, height)
                ("000000000139", 139, 640, 427),
                ("000000000285", 285, 586, 640),
                ("000000000632", 632, 640, 483),
                ("000000000724", 724, 375, 500),
            ]
            outputs, raw, entries = {}, {}, []
            for i, (stem, image_id, w, h) in enumerate(images):
                class_out, box_out = random_outputs(rng, ties=i == 1)
                outputs[stem] = [class_out, box_out]
                raw[image_id] = (class_out, box_out, max(w, h) / 512, (w, h))
                entries.append({"stem": stem, "file_name": stem + ".jpg", "image_id": image_id,
                                "width": w, "height": h, "scale": max(w, h) / 512})
            write_outputs(root / "out", outputs, fmt="bin")
            (root / "images.json").write_text(json.dumps({"images": entries}))
            annotations = {
                "images": [{"id": e["image_id"], "file_name": e["file_name"], "width": e["width"],
                            "height": e["height"]} for e in entries],
                "annotations": [{"id": 1, "image_id": 139, "category_id": 1,
                                 "bbox": [10, 10, 100, 100], "area": 10000, "iscrowd": 0}],
                "categories": [{"id": c, "name": f"c{c}"} for c in range(1, 91)],
            }
            (root / "instances.json").write_text(json.dumps(annotations))
            check_kiln(self, "eval", "coco", root / "out", root / "instances.json", "--decode",
                       "efficientdet", "--images", root / "images.json", "--detections-out",
                       root / "dets.json", "-o", root / "result.json")
            dets = json.loads((root / "dets.json").read_text())
            result, rows = read_result(root / "result.json")
            self.assertEqual(rows["Number of images"], "4")

            total = 0
            for image_id, (class_out, box_out, scale, size) in raw.items():
                ref = pp.postprocess(class_out[None], box_out[None], img_scale=[scale],
                                     img_size=[size])[0]
                ref = ref[ref[:, 4] >= 0.001]
                mine = [d for d in dets if d["image_id"] == image_id]
                self.assertEqual(len(mine), len(ref), f"image {image_id}")
                self.assertGreater(len(ref), 50)
                got = np.array([d["bbox"] + [d["score"], d["category_id"]] for d in mine])
                np.testing.assert_array_equal(got[:, 5], ref[:, 5])
                np.testing.assert_allclose(got[:, :5], ref[:, :5], rtol=1e-4, atol=1e-6)
                total += len(ref)
            self.assertEqual(len(dets), total)


if __name__ == "__main__":
    unittest.main()
