"""Bad input from issue 16, end to end: every case is a one-line error (exit 1) or a correct
result, never a crash, a hang, a silently wrong figure or a destroyed input file. The table in
docs/errors.md names the test of each row."""

import json
import os
import pathlib
import re

import numpy as np
import onnx
from onnx import TensorProto, helper

from cli_support import KilnTestCase, run_kiln, small_model


def write_samples(directory, count, shape=(3, 4, 4)):
    directory.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(1)
    for i in range(count):
        rng.standard_normal(shape).astype(np.float32).tofile(directory / f"s{i:02d}.bin")
    return directory


def write_scores(out, stem, scores):
    out.mkdir(exist_ok=True)
    np.asarray(scores, dtype=np.float32).tofile(out / f"{stem}_1.bin")


class ParseErrors(KilnTestCase):
    def test_cli11_errors_are_one_line_exit_1_naming_the_flag_and_range(self):
        model = small_model(self.dir / "m.onnx")
        result = run_kiln("run", model, "--batch", "0")
        self.assert_user_error(result, "--batch", "'0' is not an integer from 1 to")
        self.assertNotIn("1.797", result.stderr)
        self.assert_user_error(run_kiln("run", model, "--loop", "x"), "--loop", "'x'")
        self.assert_user_error(run_kiln("run", model, "--no-such-flag"), "--no-such-flag")
        self.assert_user_error(run_kiln("run"), "model", "kiln run --help")
        self.assert_user_error(run_kiln("bench", model, "--duration", "nan"), "--duration",
                               "finite number greater than 0")
        self.assert_user_error(run_kiln("bench", model, "--duration", "inf"), "--duration")
        self.assert_user_error(run_kiln("bench", model, "--duration", "-1"), "--duration")
        self.assertEqual(run_kiln("run", "--help").returncode, 0)
        self.assertEqual(run_kiln("--help").returncode, 0)

    def test_streams_are_bounded_by_threads(self):
        model = small_model(self.dir / "m.onnx")
        result = run_kiln("bench", model, "--streams", "100000", "--iterations", "1", timeout=60)
        self.assert_user_error(result, "--streams 100000", "one per thread")
        self.assertEqual(result.stdout, "")  # refused before the report starts

    def test_threads_beyond_the_cores_are_capped_with_a_warning(self):
        model = small_model(self.dir / "m.onnx")
        result = run_kiln("run", model, "--threads", "10000", timeout=60)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("warning: --threads 10000 is more than the", result.stderr)
        threads = int(re.search(r"steps, (\d+) threads", result.stdout).group(1))
        self.assertLessEqual(threads, os.cpu_count())

    def test_shape_batch_conflicting_with_batch_is_an_error(self):
        model = small_model(self.dir / "m.onnx")
        self.assert_user_error(run_kiln("run", model, "--shape", "image:2,3,4,4", "--batch", "4"),
                               "--batch 4 conflicts with --shape image:2,3,4,4")
        self.assert_user_error(
            run_kiln("bench", model, "--shape", "image:2,3,4,4", "--batch", "4"),
            "fixed batch of 2")

    def test_a_model_without_outputs_is_an_error(self):
        image = helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 3])
        graph = helper.make_graph([], "g", [image], [])
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
        model.ir_version = 8
        onnx.save(model, str(self.dir / "empty.onnx"))
        self.assert_user_error(run_kiln("info", self.dir / "empty.onnx"), "has no graph outputs")
        self.assert_user_error(run_kiln("run", self.dir / "empty.onnx"), "has no graph outputs")


class NonRegularFiles(KilnTestCase):
    def test_info_of_a_fifo_or_directory_is_an_error_not_a_hang(self):
        os.mkfifo(self.dir / "model.onnx")
        self.assert_user_error(run_kiln("info", self.dir / "model.onnx", timeout=30),
                               "is a FIFO, not a regular file")
        self.assert_user_error(run_kiln("info", self.dir, timeout=30), "is a directory")

    def test_a_fifo_in_a_dataset_directory_is_an_error_not_a_hang(self):
        model = small_model(self.dir / "m.onnx")
        data = write_samples(self.dir / "in", 2)
        os.mkfifo(data / "f.bin")
        self.assert_user_error(run_kiln("run", model, "--input", data, timeout=30),
                               "f.bin' is a FIFO")

    def test_info_lists_say_what_a_bad_path_is_and_reject_junk(self):
        model = small_model(self.dir / "m.onnx")
        write_samples(self.dir / "in", 1)
        (self.dir / "dir.info").write_text(f"0 {self.dir / 'in'} 4 4\n")
        self.assert_user_error(run_kiln("run", model, "--input", self.dir / "dir.info"),
                               "line 1", "is a directory")
        (self.dir / "zero.info").write_text("0 /dev/zero 4 4\n")
        self.assert_user_error(run_kiln("run", model, "--input", self.dir / "zero.info"),
                               "line 1", "is a character device")
        (self.dir / "junk.info").write_bytes(b"0 in/s00.bin 4 4\nthis is \x1b[31mjunk\n")
        result = run_kiln("run", model, "--input", self.dir / "junk.info")
        self.assert_user_error(result, "junk.info' line 2: expected 'index path width height'",
                               "\\x1b[31m")
        self.assertNotIn("\x1b", result.stderr)


class OutputDirectories(KilnTestCase):
    def setUp(self):
        super().setUp()
        self.model = small_model(self.dir / "relu.onnx")
        self.data = write_samples(self.dir / "in", 3)
        self.out = self.dir / "out"

    def run_dataset(self, *extra, model=None):
        return run_kiln("run", model or self.model, "--input", self.data, "--output", self.out,
                        "--quiet", *extra)

    def test_resume_refuses_outputs_of_another_model_or_options(self):
        self.assertEqual(self.run_dataset().returncode, 0)
        other = small_model(self.dir / "sigmoid.onnx", op="Sigmoid")
        self.assert_user_error(self.run_dataset("--resume", model=other), "another model",
                               "SHA-256")
        self.assert_user_error(self.run_dataset("--resume", "--shape", "image:1,3,4,4"),
                               "other options")
        manifest = json.loads((self.out / "outputs.json").read_text())
        self.assertEqual(len(manifest["model_sha256"]), 64)
        self.assertEqual(manifest["samples"], ["s00", "s01", "s02"])
        resumed = self.run_dataset("--resume")
        self.assertEqual(resumed.returncode, 0, resumed.stderr)
        self.assertIn("3 skipped", resumed.stdout)

    def test_rerun_into_a_used_directory_needs_resume_or_overwrite(self):
        self.assertEqual(self.run_dataset().returncode, 0)
        np.zeros(48, np.float32).tofile(self.out / "stale_1.bin")
        (self.out / "notes.txt").write_text("mine")
        self.assert_user_error(self.run_dataset(), "already holds", "--overwrite")
        result = self.run_dataset("--overwrite")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertFalse((self.out / "stale_1.bin").exists())
        self.assertEqual((self.out / "notes.txt").read_text(), "mine")  # not kiln's: kept
        self.assert_user_error(self.run_dataset("--overwrite", "--resume"), "give one")

    def test_output_equal_to_or_inside_the_input_is_an_error(self):
        self.out = self.data
        self.assert_user_error(self.run_dataset(), "--output", "--input")
        self.out = self.data / "sub"
        self.assert_user_error(self.run_dataset(), "lies inside the --input")
        self.assertFalse(self.out.exists())

    def test_eval_counts_a_missing_output_named_by_outputs_json(self):
        self.assertEqual(self.run_dataset().returncode, 0)
        (self.out / "s01_1.bin").unlink()
        (self.dir / "labels.txt").write_text("s00 0\ns01 1\ns02 2\n")
        self.assert_user_error(run_kiln("eval", "topk", self.out, self.dir / "labels.txt", "-o",
                                        self.dir / "r.json"), "lacks output 1 of 1", "'s01'")


class InputsAreNeverOverwritten(KilnTestCase):
    def test_outputs_equal_to_inputs_are_errors(self):
        model = small_model(self.dir / "m.onnx")
        before = model.read_bytes()
        write_scores(self.dir / "res", "a", [0.1, 0.9])
        labels = self.dir / "labels.txt"
        labels.write_text("a 1\n")
        self.assert_user_error(run_kiln("eval", "topk", self.dir / "res", labels, "-o", labels),
                               "--result", "reference argument")
        self.assertEqual(labels.read_text(), "a 1\n")
        data = write_samples(self.dir / "in", 1)
        self.assert_user_error(run_kiln("run", model, "--input", data, "--summary",
                                        self.dir / "." / "m.onnx"), "--summary", "MODEL")
        self.assert_user_error(run_kiln("bench", model, "--iterations", "1", "--markdown", model),
                               "--markdown", "MODEL")
        self.assertEqual(model.read_bytes(), before)

    def test_synth_refuses_a_directory_it_did_not_write(self):
        target = self.dir / "mine"
        target.mkdir()
        (target / "val_label.txt").write_text("precious\n")
        self.assert_user_error(run_kiln("synth", "imagenet", "-o", target, "--count", "1"),
                               "not empty", "val_label.txt", "--overwrite")
        self.assertEqual((target / "val_label.txt").read_text(), "precious\n")
        fresh = self.dir / "fresh"
        for _ in range(2):  # its own directory: a rerun replaces its files
            self.assertEqual(run_kiln("synth", "imagenet", "-o", fresh, "--count", "1")
                             .returncode, 0)
        self.assertEqual(run_kiln("synth", "imagenet", "-o", target, "--count", "1",
                                  "--overwrite").returncode, 0)


class OutputsJson(KilnTestCase):
    def test_wrong_types_are_user_errors_naming_file_and_key(self):
        out = self.dir / "out"
        write_scores(out, "a", [0.1, 0.9])
        (self.dir / "labels.txt").write_text("a 1\n")
        for entry, key in (({"index": 1, "shape": "x"}, '"shape"'),
                           ({"index": "1"}, '"index"'),
                           ({"index": 1, "dtype": 3}, '"dtype"')):
            (out / "outputs.json").write_text(json.dumps({"outputs": [entry]}))
            self.assert_user_error(run_kiln("eval", "topk", out, self.dir / "labels.txt", "-o",
                                            self.dir / "r.json"), "outputs.json", key)


class PrepGeometry(KilnTestCase):
    def prep(self, *args):
        env = dict(os.environ, KILN_MAX_TENSOR_BYTES="1G")
        import subprocess
        from cli_support import KILN
        return subprocess.run([KILN, "prep", *map(str, args), "--quiet"], capture_output=True,
                              text=True, timeout=60, env=env)

    def test_huge_sizes_are_errors_before_any_allocation(self):
        self.assertEqual(run_kiln("synth", "imagenet", "-o", self.dir / "syn", "--count", "1")
                         .returncode, 0)
        self.assert_user_error(
            self.prep("imagenet", self.dir / "syn" / "val", "-o", self.dir / "p", "--preset",
                      "resnet", "--labels", self.dir / "syn" / "val_label.txt", "--crop",
                      "60000"), "60000x60000 model input", "limit")
        self.assert_user_error(
            self.prep("coco", self.dir / "syn" / "val", "-o", self.dir / "c", "--size", "60000"),
            "60000x60000")
        self.assert_user_error(
            self.prep("cityscapes", self.dir / "syn", "-o", self.dir / "s", "--size",
                      "60000x30000"), "60000x30000")


class NonFiniteOutputs(KilnTestCase):
    def test_topk_counts_nan_scores_and_ranks_them_last(self):
        out = self.dir / "out"
        write_scores(out, "a", [np.nan, 0.2, 0.1])
        write_scores(out, "b", [0.1, 0.9, np.inf])
        (self.dir / "labels.txt").write_text("a 1\nb 2\n")
        result = run_kiln("eval", "topk", out, self.dir / "labels.txt", "-o", self.dir / "r.json",
                          "--topn", "1")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("2 NaN or infinite scores in 2 of 2 images", result.stdout)
        metrics = json.loads((self.dir / "r.json").read_text())["metrics"]
        self.assertEqual(metrics["non_finite_scores"], 2)
        self.assertEqual(metrics["cumulative_hits"], [2])  # NaN last: class 1 wins for a

    def test_miou_refuses_nan_logits(self):
        from PIL import Image
        out = self.dir / "out"
        out.mkdir()
        np.full((19, 4, 4), np.nan, np.float32).tofile(out / "x_1.bin")
        (self.dir / "gt").mkdir()
        Image.fromarray(np.zeros((8, 8), np.uint8)).save(self.dir / "gt" / "x.png")
        self.assert_user_error(run_kiln("eval", "miou", out, self.dir / "gt", "--output-shape",
                                        "19,4,4", "-o", self.dir / "r.json"),
                               "x_1.bin' holds 304 NaN or infinite logits")

    def test_coco_decode_drops_non_finite_detections(self):
        self.assertEqual(run_kiln("synth", "coco", "-o", self.dir / "syn", "--count", "1",
                                  "--seed", "2").returncode, 0)
        self.assertEqual(run_kiln("prep", "coco", self.dir / "syn" / "val2017", "-o",
                                  self.dir / "prep", "--quiet").returncode, 0)
        image = json.loads((self.dir / "prep.images.json").read_text())["images"][0]
        out = self.dir / "out"
        out.mkdir()
        class_out = np.full((49104, 90), -8, np.float32)
        class_out[:20, 0] = 3  # 20 confident detections...
        class_out[20, 1] = np.nan  # ...a NaN score...
        box_out = np.zeros((49104, 4), np.float32)
        box_out[:5] = np.nan  # ...and five NaN boxes among them
        class_out.tofile(out / f"{image['stem']}_1.bin")
        box_out.tofile(out / f"{image['stem']}_2.bin")
        result = run_kiln("eval", "coco", out, self.dir / "syn" / "annotations" /
                          "instances_val2017.json", "--decode", "efficientdet", "--images",
                          self.dir / "prep.images.json", "-o", self.dir / "r.json")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("warning: dropped 5 detections with a NaN or infinite", result.stderr)
        text = (self.dir / "detections.json").read_text()

        def refuse(token):
            raise AssertionError(f"{token} in detections.json")
        detections = json.loads(text, parse_constant=refuse)
        self.assertNotIn("nan", text.lower())
        self.assertTrue(all(np.isfinite(d["bbox"]).all() and np.isfinite(d["score"])
                            for d in detections))

    def test_duplicate_labels_with_different_classes_are_an_error(self):
        out = self.dir / "out"
        write_scores(out, "a", [0.1, 0.9])
        (self.dir / "labels.txt").write_text("a.JPEG 1\nb.JPEG 0\na.JPEG 1\na.JPEG 0\n")
        self.assert_user_error(run_kiln("eval", "topk", out, self.dir / "labels.txt", "-o",
                                        self.dir / "r.json"),
                               "line 4", "'a' has class 0, an earlier line gave it class 1")
