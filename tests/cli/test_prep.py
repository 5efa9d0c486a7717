"""End-to-end tests of `kiln synth` and `kiln prep`: real processes on synthetic datasets in the
tasks' real layouts, checking the files, the .info lists, the labels and the error paths.

Run through CTest (cli_end_to_end) or by hand:
  KILN_BINARY=build/release/kiln /usr/bin/python3 -m unittest discover -s tests/cli -p 'test_prep.py'
"""

import json
import os
import pathlib
import subprocess
import tempfile
import unittest

import numpy as np
from PIL import Image

KILN = os.environ.get("KILN_BINARY", "build/release/kiln")


def run_kiln(*args, timeout=300):
    return subprocess.run([KILN, *map(str, args)], capture_output=True, text=True,
                          timeout=timeout)


class PrepCliTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = pathlib.Path(self.tmp.name)

    def tearDown(self):
        self.tmp.cleanup()

    def ok(self, *args):
        result = run_kiln(*args)
        self.assertEqual(result.returncode, 0, result.stderr)
        return result

    def assert_user_error(self, result, *fragments):
        self.assertEqual(result.returncode, 1, result.stderr)
        lines = result.stderr.strip().splitlines()
        self.assertTrue(lines and lines[-1].startswith("kiln: error: "), result.stderr)
        for fragment in fragments:
            self.assertIn(fragment, lines[-1])

    def synth(self, task, count, *extra):
        out = self.dir / f"{task}_data"
        self.ok("synth", task, "-o", out, "--count", count, "--seed", 3, *extra)
        return out

    def info_lines(self, path):
        return [line.split() for line in path.read_text().splitlines()]

    def test_imagenet_layout_info_and_labels(self):
        data = self.synth("imagenet", 20)
        self.assertEqual(len(list((data / "val").glob("ILSVRC2012_val_*.JPEG"))), 20)
        labels = (data / "val_label.txt").read_text().splitlines()
        self.assertEqual(labels[0].split()[0], "ILSVRC2012_val_00000001.JPEG")
        out = self.dir / "prep" / "dpn131"
        result = self.ok("prep", "imagenet", data, "-o", out, "--preset", "dpn131",
                         "--threads", 2)
        self.assertIn("prepared 20 samples", result.stdout)
        info = self.info_lines(self.dir / "prep" / "dpn131.info")
        self.assertEqual(len(info), 20)
        self.assertEqual(info[3], ["3", "dpn131/ILSVRC2012_val_00000004.bin", "224", "224"])
        for index, path, width, height in info:
            size = (self.dir / "prep" / path).stat().st_size
            self.assertEqual(size, 3 * 224 * 224 * 4)
        self.assertEqual((self.dir / "prep" / "dpn131.labels.txt").read_text().splitlines(),
                         labels)
        tensor = np.fromfile(out / "ILSVRC2012_val_00000001.bin", dtype=np.float32)
        self.assertTrue(-2.07 < tensor.min() < tensor.max() < 2.52)  # (x - 0.486) / 0.235

    def test_explicit_options_and_dtypes(self):
        data = self.synth("imagenet", 3)
        self.ok("prep", "imagenet", data / "val", "-o", self.dir / "u8", "--resize", 342,
                "--crop", 299, "--interp", "bicubic", "--dtype", "uint8", "--quiet")
        info = self.info_lines(self.dir / "u8.info")
        self.assertEqual(info[0][2:], ["299", "299"])
        raw = np.fromfile(self.dir / "u8" / "ILSVRC2012_val_00000001.bin", dtype=np.uint8)
        self.assertEqual(raw.size, 3 * 299 * 299)
        # The same pixels PIL gives: shorter side 342 (bicubic), center crop 299, CHW.
        with Image.open(data / "val" / "ILSVRC2012_val_00000001.JPEG") as im:
            im = im.convert("RGB")
            w, h = im.size
            size = (342, int(342 * h / w)) if w <= h else (int(342 * w / h), 342)
            im = im.resize(size, Image.BICUBIC)
            left, top = int(round((size[0] - 299) / 2.)), int(round((size[1] - 299) / 2.))
            ref = np.asarray(im.crop((left, top, left + 299, top + 299))).transpose(2, 0, 1)
        np.testing.assert_array_equal(raw.reshape(3, 299, 299), ref)
        self.ok("prep", "imagenet", data, "-o", self.dir / "f16", "--preset", "resnet",
                "--dtype", "float16", "--quiet")
        half = np.fromfile(self.dir / "f16" / "ILSVRC2012_val_00000001.bin", dtype=np.float16)
        self.assertEqual(half.size, 3 * 224 * 224)

    def test_sr_cityscapes_and_coco_side_files(self):
        sr = self.synth("sr", 5)
        self.assertEqual(sorted(p.stem for p in sr.glob("*.png")),
                         ["baby", "bird", "butterfly", "head", "woman"])
        self.ok("prep", "sr", sr, "-o", self.dir / "rdn", "--quiet")
        self.assertEqual(self.info_lines(self.dir / "rdn.info")[0],
                         ["0", "rdn/baby.bin", "114", "114"])
        with Image.open(self.dir / "rdn.hr" / "woman.png") as hr:
            self.assertEqual((hr.mode, hr.size), ("RGB", (228, 228)))

        city = self.synth("cityscapes", 3, "--size", "512x256")
        left = sorted((city / "leftImg8bit" / "val").glob("*/*_leftImg8bit.png"))
        gt = sorted((city / "gtFine" / "val").glob("*/*_gtFine_labelIds.png"))
        self.assertEqual(len(left), 3)
        self.assertEqual(len(gt), 3)
        with Image.open(gt[0]) as labels:
            self.assertEqual(labels.mode, "L")
            ids = set(np.unique(np.asarray(labels)).tolist())
        self.assertTrue({7, 11, 23} <= ids, ids)  # road, building, sky
        self.ok("prep", "cityscapes", city, "-o", self.dir / "seg", "--quiet")
        info = self.info_lines(self.dir / "seg.info")
        self.assertEqual(info[0][1:], ["seg/frankfurt_000000_000019_leftImg8bit.bin", "1024", "512"])
        copied = self.dir / "seg.gt" / "frankfurt_000000_000019_leftImg8bit.png"
        self.assertEqual(copied.read_bytes(), (city / "gtFine" / "val" / "frankfurt" /
                         "frankfurt_000000_000019_gtFine_labelIds.png").read_bytes())

        coco = self.synth("coco", 12)
        instances = json.loads((coco / "annotations" / "instances_val2017.json").read_text())
        self.assertEqual(len(instances["images"]), 12)
        self.assertEqual(len(instances["categories"]), 80)
        self.assertTrue(any(a["iscrowd"] == 1 for a in instances["annotations"]) or
                        len(instances["annotations"]) < 30)
        self.ok("prep", "coco", coco, "-o", self.dir / "det", "--quiet")
        images = json.loads((self.dir / "det.images.json").read_text())["images"]
        self.assertEqual([i["image_id"] for i in images],
                         sorted(i["id"] for i in instances["images"]))
        first = images[0]
        self.assertEqual(set(first), {"stem", "file_name", "image_id", "width", "height", "scale"})
        self.assertAlmostEqual(first["scale"], max(first["width"], first["height"]) / 512)

    def test_bad_images_stop_prep_or_are_skipped(self):
        data = self.synth("imagenet", 4)
        val = data / "val"
        (val / "broken.jpg").write_bytes((val / "ILSVRC2012_val_00000002.JPEG").read_bytes()[:900])
        (val / "empty.png").write_bytes(b"")
        with open(data / "val_label.txt", "a") as labels:
            labels.write("broken.jpg 1\nempty.png 2\n")
        result = run_kiln("prep", "imagenet", data, "-o", self.dir / "out", "--preset", "resnet",
                          "--quiet")
        self.assert_user_error(result, "--skip-bad")
        self.assertRegex(result.stderr, r"(broken\.jpg|empty\.png)")
        self.assertFalse((self.dir / "out.info").exists())

        result = self.ok("prep", "imagenet", data, "-o", self.dir / "out", "--preset", "resnet",
                         "--skip-bad", "--quiet")
        self.assertIn("2 skipped", result.stdout)
        skipped = (self.dir / "out.skipped.txt").read_text().splitlines()
        self.assertEqual(len(skipped), 2)
        self.assertIn("truncated", skipped[0])
        self.assertIn("empty file", skipped[1])
        self.assertEqual(len(self.info_lines(self.dir / "out.info")), 4)

    def test_resume_reuses_complete_outputs(self):
        data = self.synth("imagenet", 6)
        out = self.dir / "out"
        self.ok("prep", "imagenet", data, "-o", out, "--preset", "lvvit", "--quiet")
        before = (out / "ILSVRC2012_val_00000005.bin").read_bytes()
        (out / "ILSVRC2012_val_00000005.bin").write_bytes(before[:100])  # an interrupted write
        (out / "unrelated.txt").write_text("keep me")
        result = self.ok("prep", "imagenet", data, "-o", out, "--preset", "lvvit", "--quiet")
        self.assertIn("1 new", result.stdout)
        self.assertIn("5 reused", result.stdout)
        self.assertEqual((out / "ILSVRC2012_val_00000005.bin").read_bytes(), before)
        self.assertEqual((out / "unrelated.txt").read_text(), "keep me")
        result = run_kiln("prep", "imagenet", data, "-o", out, "--preset", "dpn131", "--quiet")
        self.assert_user_error(result, "another recipe")

    def test_synth_is_deterministic(self):
        a = self.dir / "a"
        b = self.dir / "b"
        self.ok("synth", "coco", "-o", a, "--count", 4, "--seed", 11, "--threads", 1)
        self.ok("synth", "coco", "-o", b, "--count", 4, "--seed", 11, "--threads", 2)
        files = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
        self.assertEqual(files, sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file()))
        for f in files:
            self.assertEqual((a / f).read_bytes(), (b / f).read_bytes(), f)

    def test_usage_errors(self):
        data = self.synth("imagenet", 1)
        self.assert_user_error(run_kiln("prep", "imagenet", data, "-o", self.dir / "x"),
                               "--preset")
        self.assert_user_error(run_kiln("prep", "kitti", data, "-o", self.dir / "x"),
                               "unknown task")
        self.assert_user_error(run_kiln("prep", "coco", data, "-o", self.dir / "x", "--preset",
                                        "dpn131"), "is for imagenet")
        self.assert_user_error(run_kiln("prep", "imagenet", self.dir / "missing", "-o",
                                        self.dir / "x", "--preset", "resnet"), "missing")
        self.assert_user_error(run_kiln("prep", "imagenet", data, "-o", self.dir / "x",
                                        "--preset", "resnet", "--interp", "lanczos"),
                               "unknown interpolation")
        help_text = run_kiln("prep", "--help").stdout
        for preset in ("dpn131", "lvvit", "resnet", "rdn", "intrada", "efficientdet_d0"):
            self.assertIn(preset, help_text)


if __name__ == "__main__":
    unittest.main()
