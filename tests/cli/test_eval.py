"""End-to-end tests of `kiln eval`: synth -> prep -> run -> eval on each task with real
processes, plus the result.json shape and the one-line user errors. The metric definitions
themselves are checked against independent references in tests/eval/."""

import json
import sys
import pathlib

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from cli_support import KilnTestCase, run_kiln

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "models"))


def save_model(path, nodes, inputs, outputs, initializers=()):
    graph = helper.make_graph(nodes, "g", inputs, outputs, initializer=list(initializers))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.save(model, str(path))
    return path


def read_result(path):
    result = json.loads(pathlib.Path(path).read_text())
    return result, {row["key"]: row["value"] for row in result["value"]}


class EvalEndToEnd(KilnTestCase):
    def check(self, *args, timeout=300):
        result = run_kiln(*args, timeout=timeout)
        self.assertEqual(result.returncode, 0, f"kiln {' '.join(map(str, args))}: {result.stderr}")
        return result

    def test_topk_synth_prep_run_eval(self):
        self.check("synth", "imagenet", "-o", self.dir / "syn", "--count", "24", "--seed", "4")
        self.check("prep", "imagenet", self.dir / "syn" / "val", "-o", self.dir / "prep",
                   "--preset", "dpn131", "--labels", self.dir / "syn" / "val_label.txt", "--quiet")
        weights = np.random.default_rng(0).standard_normal((3, 1000)).astype(np.float32)
        model = save_model(
            self.dir / "cls.onnx",
            [helper.make_node("GlobalAveragePool", ["image"], ["p"]),
             helper.make_node("Flatten", ["p"], ["f"]),
             helper.make_node("MatMul", ["f", "w"], ["logits"])],
            [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", 3, 224, 224])],
            [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 1000])],
            [numpy_helper.from_array(weights, "w")])
        self.check("run", model, "--input", self.dir / "prep", "--output", self.dir / "out",
                   "--batch", "4", "--outfmt", "txt", "--quiet")
        run = self.check("eval", "topk", self.dir / "out", self.dir / "prep.labels.txt", "-o",
                         self.dir / "result.json")
        result, rows = read_result(self.dir / "result.json")
        self.assertEqual(result["title"], "Overall statistical evaluation")
        self.assertEqual([r["key"] for r in result["value"]],
                         ["Number of images", "Number of classes"] +
                         [f"Top{n} accuracy" for n in range(1, 6)])
        # imagenet_acc_eval.py on the same files (np.argsort(-prediction), first hit counted).
        labels = dict(line.split() for line in
                      (self.dir / "prep.labels.txt").read_text().splitlines())
        hits = np.zeros(5)
        files = sorted((self.dir / "out").glob("*_1.txt"))
        for f in files:
            prediction = np.loadtxt(f, dtype=np.float32).reshape(-1)
            order = np.argsort(-prediction, kind="stable")
            label = int(labels[f.name[:f.name.rfind("_")] + ".JPEG"])
            for i in range(5):
                if order[i] == label:
                    hits[i] += 1
                    break
        accuracy = np.cumsum(hits) / len(files)
        self.assertEqual(rows["Number of images"], "24")
        self.assertEqual(rows["Number of classes"], "1000")
        for i in range(5):
            self.assertEqual(rows[f"Top{i + 1} accuracy"], str(round(accuracy[i] * 100, 2)) + "%")
        self.assertAlmostEqual(result["metrics"]["top1"], accuracy[0])
        self.assertIn("Top1 accuracy", run.stdout)

    def test_psnr_synth_prep_run_eval(self):
        self.check("synth", "sr", "-o", self.dir / "syn", "--count", "3")
        self.check("prep", "sr", self.dir / "syn", "-o", self.dir / "prep", "--quiet")
        scales = numpy_helper.from_array(np.array([1, 1, 2, 2], np.float32), "scales")
        model = save_model(
            self.dir / "up.onnx",
            [helper.make_node("Resize", ["image", "", "scales"], ["output"], mode="linear")],
            [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", 3, 114, 114])],
            [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["N", 3, 228, 228])],
            [scales])
        self.check("run", model, "--input", self.dir / "prep", "--output", self.dir / "out",
                   "--quiet")
        run = self.check("eval", "psnr", self.dir / "out", self.dir / "prep.hr", "--scale", "2",
                         "-o", self.dir / "result.json")
        result, rows = read_result(self.dir / "result.json")
        keys = [r["key"] for r in result["value"]]
        self.assertEqual(keys, ["Number of images", "Top1 PSNR", "Top2 PSNR", "Top3 PSNR",
                                "Avg PSNR", "Avg SSIM"])
        psnrs = sorted((e["psnr"] for e in result["metrics"]["per_image"]), reverse=True)
        self.assertEqual([rows[f"Top{i} PSNR"] for i in (1, 2, 3)],
                         [str(np.around(p, decimals=2)) for p in psnrs])
        self.assertEqual(rows["Avg PSNR"], str(np.around(np.sum(psnrs) / 3, decimals=2)))
        self.assertGreater(psnrs[-1], 15)  # bilinear x2 of a real image is not noise
        self.assertIn("Avg_PSNR", run.stdout)

    def test_miou_synth_prep_run_eval(self):
        import torch
        import torch.nn.functional as F
        self.check("synth", "cityscapes", "-o", self.dir / "syn", "--count", "2", "--size",
                   "512x256")
        self.check("prep", "cityscapes", self.dir / "syn", "-o", self.dir / "prep", "--quiet")
        rng = np.random.default_rng(1)
        model = save_model(
            self.dir / "seg.onnx",
            [helper.make_node("AveragePool", ["image"], ["p"], kernel_shape=[8, 8],
                              strides=[8, 8]),
             helper.make_node("Conv", ["p", "w"], ["seg_logits"])],
            [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", 3, 512, 1024])],
            [helper.make_tensor_value_info("seg_logits", TensorProto.FLOAT, ["N", 19, 64, 128])],
            [numpy_helper.from_array(rng.standard_normal((19, 3, 1, 1)).astype(np.float32),
                                     "w")])
        self.check("run", model, "--input", self.dir / "prep", "--output", self.dir / "out",
                   "--outfmt", "npy", "--quiet")
        self.check("eval", "miou", self.dir / "out", self.dir / "prep.gt", "-o",
                   self.dir / "result.json")
        result, rows = read_result(self.dir / "result.json")
        # The reference: interpolate (bilinear, align_corners) to the label size, argmax,
        # label ids -> train ids, fast_hist.
        table = np.full(256, 255, dtype=np.int64)
        for label_id, train_id in zip([7, 8, 11, 12, 13, 17, 19, 20, 21, 22, 23, 24, 25, 26, 27,
                                       28, 31, 32, 33], range(19)):
            table[label_id] = train_id
        from PIL import Image
        hist = np.zeros((19, 19), dtype=np.int64)
        for f in sorted((self.dir / "out").glob("*_1.npy")):
            logits = torch.from_numpy(np.load(f))
            stem = f.name[:f.name.rfind("_")]
            label = table[np.asarray(Image.open(self.dir / "prep.gt" / f"{stem}.png"))]
            with torch.no_grad():
                up = F.interpolate(logits[None], size=label.shape, mode="bilinear",
                                   align_corners=True)
            pred = up[0].numpy().argmax(0)
            keep = label < 19
            hist += np.bincount(19 * label[keep] + pred[keep], minlength=361).reshape(19, 19)
        np.testing.assert_array_equal(np.array(result["metrics"]["confusion_matrix"]), hist)
        self.assertEqual(rows["Number of images"], "2")
        self.assertIn("road IoU", rows)
        self.assertIn("mIoU", rows)

    def test_coco_synth_prep_decode_eval(self):
        import efficientdet_postprocess as pp
        self.check("synth", "coco", "-o", self.dir / "syn", "--count", "3", "--seed", "2")
        self.check("prep", "coco", self.dir / "syn" / "val2017", "-o", self.dir / "prep",
                   "--quiet")
        images = json.loads((self.dir / "prep.images.json").read_text())["images"]
        out = self.dir / "out"
        out.mkdir()
        rng = np.random.default_rng(3)
        raw = {}
        for image in images:
            class_out = rng.normal(-6, 2, size=(49104, 90)).astype(np.float32)
            hot = rng.choice(49104 * 90, size=300, replace=False)
            class_out.reshape(-1)[hot] = rng.normal(1, 2, size=300).astype(np.float32)
            box_out = rng.normal(0, 0.3, size=(49104, 4)).astype(np.float32)
            class_out.tofile(out / f"{image['stem']}_1.bin")
            box_out.tofile(out / f"{image['stem']}_2.bin")
            raw[image["image_id"]] = (class_out, box_out, image)
        annotations = self.dir / "syn" / "annotations" / "instances_val2017.json"
        run = self.check("eval", "coco", out, annotations, "--decode", "efficientdet", "--images",
                         self.dir / "prep.images.json", "-o", self.dir / "result.json")
        self.assertIn("maxDets=100 ] =", run.stdout)
        dets = json.loads((self.dir / "detections.json").read_text())
        for image_id, (class_out, box_out, image) in raw.items():
            ref = pp.postprocess(class_out[None], box_out[None], img_scale=[image["scale"]],
                                 img_size=[(image["width"], image["height"])])[0]
            ref = ref[ref[:, 4] >= 0.001]
            mine = np.array([d["bbox"] + [d["score"], d["category_id"]] for d in dets
                             if d["image_id"] == image_id])
            self.assertEqual(len(mine), len(ref))
            np.testing.assert_allclose(mine, ref, rtol=1e-4, atol=1e-6)
        result, rows = read_result(self.dir / "result.json")
        self.assertEqual(rows["Number of images"], "3")
        self.assertEqual(len(result["metrics"]["stats"]), 12)


class EvalResultsAndErrors(KilnTestCase):
    def write_scores(self, stem, scores, fmt="bin"):
        out = self.dir / "out"
        out.mkdir(exist_ok=True)
        scores = np.asarray(scores, dtype=np.float32)
        if fmt == "bin":
            scores.tofile(out / f"{stem}_1.bin")
        elif fmt == "npy":
            np.save(out / f"{stem}_1.npy", scores)
        else:
            np.savetxt(out / f"{stem}_1.txt", scores[None])

    def test_topk_mixed_formats_and_result_file(self):
        self.write_scores("a", [0.1, 0.7, 0.2], "bin")
        self.write_scores("b", [0.5, 0.3, 0.2], "npy")
        self.write_scores("c", [0.2, 0.2, 0.6], "txt")
        (self.dir / "labels.txt").write_text("a.JPEG 1\nb.JPEG 1\nc.JPEG 0\n")
        result = run_kiln("eval", "topk", self.dir / "out", self.dir / "labels.txt", "--topn", "2",
                          "-o", self.dir / "r.json")
        self.assertEqual(result.returncode, 0, result.stderr)
        _, rows = read_result(self.dir / "r.json")
        # a: rank 0; b: rank 1; c: label 0 ties class 1 and comes first -> rank 1.
        self.assertEqual(rows["Top1 accuracy"], "33.33%")
        self.assertEqual(rows["Top2 accuracy"], "100.0%")
        self.assertFalse(any(p.name.startswith("r.json.tmp") for p in self.dir.iterdir()))

    def test_topk_user_errors(self):
        (self.dir / "labels.txt").write_text("a.JPEG 1\n")
        self.assert_user_error(run_kiln("eval", "topk", self.dir / "nope", self.dir / "labels.txt"),
                               "nope", "does not exist")
        self.write_scores("a", [1, 2, 3])
        self.write_scores("b", [1, 2])
        self.assert_user_error(
            run_kiln("eval", "topk", self.dir / "out", self.dir / "labels.txt", "-o",
                     self.dir / "r.json"), "b_1.bin", "has no label")
        (self.dir / "labels.txt").write_text("a.JPEG 1\nb.JPEG 0\n")
        self.assert_user_error(
            run_kiln("eval", "topk", self.dir / "out", self.dir / "labels.txt", "-o",
                     self.dir / "r.json"), "b_1.bin", "class counts disagree")
        self.assert_user_error(
            run_kiln("eval", "topk", self.dir / "out", self.dir / "missing.txt"), "missing.txt")
        self.assertFalse((self.dir / "r.json").exists())

    def test_miou_needs_a_shape_without_outputs_json(self):
        (self.dir / "gt").mkdir()
        from PIL import Image
        Image.fromarray(np.full((8, 8), 7, np.uint8), mode="L").save(self.dir / "gt" / "x.png")
        self.write_scores("x", np.zeros(19 * 2 * 2))
        self.assert_user_error(run_kiln("eval", "miou", self.dir / "out", self.dir / "gt"),
                               "x_1.bin", "--output-shape")
        result = run_kiln("eval", "miou", self.dir / "out", self.dir / "gt", "--output-shape",
                          "19,2,2", "-o", self.dir / "r.json")
        self.assertEqual(result.returncode, 0, result.stderr)
        _, rows = read_result(self.dir / "r.json")
        self.assertEqual(rows["road IoU"], "100.0")  # all zeros -> class 0; label 7 is road
        self.assertEqual(rows["mIoU"], "100.0")
        self.assertEqual(rows["sky IoU"], "nan")
        self.assert_user_error(
            run_kiln("eval", "miou", self.dir / "out", self.dir / "gt", "--output-shape",
                     "19,3,2"), "x_1.bin", "[19,3,2]")

    def test_psnr_size_mismatch(self):
        (self.dir / "hr").mkdir()
        from PIL import Image
        Image.fromarray(np.zeros((30, 20, 3), np.uint8)).save(self.dir / "hr" / "im.png")
        self.write_scores("im", np.zeros(3 * 30 * 30))
        self.assert_user_error(run_kiln("eval", "psnr", self.dir / "out", self.dir / "hr"),
                               "im_1.bin", "[3, 30, 20]")
        # Errors are reported for the first file in order, whatever the threads do.
        self.write_scores("other", np.zeros(3 * 30 * 20))
        self.assert_user_error(run_kiln("eval", "psnr", self.dir / "out", self.dir / "hr"),
                               "im_1.bin")
        (self.dir / "out" / "im_1.bin").unlink()
        self.assert_user_error(run_kiln("eval", "psnr", self.dir / "out", self.dir / "hr"),
                               "other.png", "does not exist")

    def test_coco_user_errors(self):
        gt = {"images": [{"id": 1, "width": 10, "height": 10}],
              "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [0, 0, 5, 5],
                               "area": 25, "iscrowd": 0}],
              "categories": [{"id": 1, "name": "person"}]}
        (self.dir / "gt.json").write_text(json.dumps(gt))
        (self.dir / "dets.json").write_text(json.dumps(
            [{"image_id": 2, "category_id": 1, "bbox": [0, 0, 5, 5], "score": 0.5}]))
        self.assert_user_error(run_kiln("eval", "coco", self.dir / "dets.json",
                                        self.dir / "gt.json"), "image id 2")
        (self.dir / "dets.json").write_text("[{\"image_id\": 1,")
        self.assert_user_error(run_kiln("eval", "coco", self.dir / "dets.json",
                                        self.dir / "gt.json"), "dets.json", "JSON")
        self.assert_user_error(run_kiln("eval", "coco", self.dir, self.dir / "gt.json",
                                        "--decode", "efficientdet"), "--images")
        self.assert_user_error(run_kiln("eval", "coco", self.dir, self.dir / "gt.json",
                                        "--decode", "yolo"), "yolo")
        (self.dir / "dets.json").write_text(json.dumps(
            [{"image_id": 1, "category_id": 1, "bbox": [0, 0, 5, 5], "score": 0.5}]))
        result = run_kiln("eval", "coco", self.dir / "dets.json", self.dir / "gt.json", "-o",
                          self.dir / "r.json")
        self.assertEqual(result.returncode, 0, result.stderr)
        _, rows = read_result(self.dir / "r.json")
        self.assertEqual(rows["AP"], "1.000")
        self.assertEqual(rows["APm"], "-1.000")

    def test_eval_needs_a_task(self):
        self.assertNotEqual(run_kiln("eval").returncode, 0)
