"""`kiln eval coco` against an independent, straightforward numpy/Python implementation of the
COCO bbox protocol, on `kiln synth coco` datasets (polygons and crowd regions) with perturbed
ground-truth boxes as detections: the 12 summary numbers must agree to 1e-6.

The protocol, as written here from its description (COCO's detection evaluation page and
pycocotools' documented behaviour): per image and category, detections sorted by score and cut
to 100; at each IoU threshold 0.50:0.05:0.95 each detection, best first, takes the unmatched
ground truth with the highest IoU >= the threshold, preferring regular ground truths to ignored
ones (crowd, or area outside the range: area < lo or > hi); crowd regions may be taken many times
and their IoU is intersection over the detection's area; detections on ignored ground truths,
and unmatched detections outside the area range, do not count. AP: detections of all images in
score order, precision interpolated at 101 recall points (the best precision at recall >= r, 0
when never reached), averaged over thresholds and categories that have ground truth; AR: the
final recall with 1, 10 or 100 detections per image and category, averaged the same way."""
import json
import pathlib
import tempfile
import unittest

import numpy as np

from eval_test_util import check_kiln, read_result, run_kiln

IOU_THRESHOLDS = np.linspace(0.5, 0.95, 10)
RECALL_POINTS = np.linspace(0.0, 1.0, 101)
AREA_RANGES = {"all": (0, 1e10), "small": (0, 32 ** 2), "medium": (32 ** 2, 96 ** 2),
               "large": (96 ** 2, 1e10)}


def box_iou(det, gt, crowd):
    dx, dy, dw, dh = det
    gx, gy, gw, gh = gt
    w = min(dx + dw, gx + gw) - max(dx, gx)
    h = min(dy + dh, gy + gh) - max(dy, gy)
    if w <= 0 or h <= 0:
        return 0.0
    inter = w * h
    union = dw * dh if crowd else dw * dh + gw * gh - inter
    return inter / union


def match(dets, gts, area_range, threshold):
    """dets: best first; gts: dicts. Returns 'tp', 'fp' or 'ignore' per detection."""
    lo, hi = area_range
    ignored = [g["iscrowd"] == 1 or g["area"] < lo or g["area"] > hi for g in gts]
    taken = [False] * len(gts)
    statuses = []
    for d in dets:
        chosen = None
        for want_ignored in (False, True):
            best = threshold
            for j, g in enumerate(gts):
                if ignored[j] != want_ignored or (taken[j] and g["iscrowd"] != 1):
                    continue
                v = box_iou(d["bbox"], g["bbox"], g["iscrowd"] == 1)
                if v >= best:  # a later ground truth with the same IoU wins
                    best, chosen = v, j
            if chosen is not None:
                break
        if chosen is None:
            area = d["bbox"][2] * d["bbox"][3]
            statuses.append("ignore" if area < lo or area > hi else "fp")
        else:
            taken[chosen] = True
            statuses.append("ignore" if ignored[chosen] else "tp")
    return statuses


def reference_stats(ground_truth, detections):
    image_ids = sorted(im["id"] for im in ground_truth["images"])
    category_ids = sorted(c["id"] for c in ground_truth["categories"])
    gts, dts = {}, {}
    for g in ground_truth["annotations"]:
        gts.setdefault((g["image_id"], g["category_id"]), []).append(g)
    for d in detections:
        dts.setdefault((d["image_id"], d["category_id"]), []).append(d)

    ap = {}  # (area, max_det, threshold index) -> list over categories
    ar = {}
    for c in category_ids:
        for area_name, area_range in AREA_RANGES.items():
            # Per image: the 100 best detections and their statuses at each threshold.
            per_image = []
            kept_gts = 0
            for i in image_ids:
                g = gts.get((i, c), [])
                d = sorted(dts.get((i, c), []), key=lambda x: -x["score"])[:100]
                kept_gts += sum(1 for x in g if not (x["iscrowd"] == 1 or x["area"] < area_range[0]
                                                     or x["area"] > area_range[1]))
                statuses = [match(d, g, area_range, t) for t in IOU_THRESHOLDS]
                per_image.append((d, statuses))
            if kept_gts == 0:
                continue  # the category has no ground truth here: left out of the means
            for max_det in (1, 10, 100):
                for t in range(len(IOU_THRESHOLDS)):
                    ranked = []
                    for d, statuses in per_image:
                        for det, status in list(zip(d, statuses[t]))[:max_det]:
                            ranked.append((det["score"], status))
                    ranked.sort(key=lambda x: -x[0])  # stable: image order, then rank
                    flags = [s for _, s in ranked if s != "ignore"]
                    tp = np.cumsum([f == "tp" for f in flags]).astype(float)
                    fp = np.cumsum([f == "fp" for f in flags]).astype(float)
                    recall = tp / kept_gts
                    precision = tp / np.maximum(tp + fp, 1e-300)
                    points = [precision[recall >= r].max() if np.any(recall >= r) else 0.0
                              for r in RECALL_POINTS]
                    ap.setdefault((area_name, max_det, t), []).append(np.mean(points))
                    ar.setdefault((area_name, max_det, t), []).append(
                        recall[-1] if len(recall) else 0.0)

    def mean_ap(area, max_det, thresholds):
        values = [v for t in thresholds for v in ap.get((area, max_det, t), [])]
        return float(np.mean(values)) if values else -1.0

    def mean_ar(area, max_det):
        values = [v for t in range(10) for v in ar.get((area, max_det, t), [])]
        return float(np.mean(values)) if values else -1.0

    every = range(10)
    return [mean_ap("all", 100, every), mean_ap("all", 100, [0]), mean_ap("all", 100, [5]),
            mean_ap("small", 100, every), mean_ap("medium", 100, every),
            mean_ap("large", 100, every), mean_ar("all", 1), mean_ar("all", 10),
            mean_ar("all", 100), mean_ar("small", 100), mean_ar("medium", 100),
            mean_ar("large", 100)]


def perturbed_detections(ground_truth, rng, noise):
    """Detections from the ground truth: jittered boxes, misses, duplicates, wrong categories,
    false positives, boxes inside crowd regions, one image with 130 detections of a category,
    and scores rounded to two decimals for a third of them (ties)."""
    cats = [c["id"] for c in ground_truth["categories"]]
    sizes = {im["id"]: (im["width"], im["height"]) for im in ground_truth["images"]}
    dets = []

    def add(image_id, category_id, box, score):
        if rng.random() < 0.33:
            score = round(score, 2)
        dets.append({"image_id": image_id, "category_id": int(category_id),
                     "bbox": [float(v) for v in box], "score": float(score)})

    for g in ground_truth["annotations"]:
        x, y, w, h = g["bbox"]
        if g["iscrowd"]:
            for _ in range(3):  # people inside the crowd region
                add(g["image_id"], g["category_id"],
                    [x + rng.random() * w / 2, y + rng.random() * h / 2, w / 3, h / 3],
                    rng.random())
            continue
        if rng.random() < 0.1:
            continue  # missed
        for _ in range(2 if rng.random() < 0.15 else 1):  # sometimes a duplicate
            box = [x + rng.normal(0, noise) * w, y + rng.normal(0, noise) * h,
                   w * np.exp(rng.normal(0, noise)), h * np.exp(rng.normal(0, noise))]
            category = g["category_id"] if rng.random() > 0.05 else rng.choice(cats)
            add(g["image_id"], category, box, rng.random())
    for image_id, (width, height) in sizes.items():
        for _ in range(rng.integers(0, 6)):  # false positives
            w, h = rng.uniform(4, width / 2), rng.uniform(4, height / 2)
            add(image_id, rng.choice(cats), [rng.uniform(0, width - w), rng.uniform(0, height - h),
                                             w, h], rng.random() * 0.8)
    first = ground_truth["annotations"][0]
    for k in range(130):  # more than 100 detections of one category on one image
        x, y, w, h = first["bbox"]
        add(first["image_id"], first["category_id"],
            [x + rng.normal(0, 0.3) * w, y + rng.normal(0, 0.3) * h, w, h], rng.random())
    order = rng.permutation(len(dets))
    return [dets[i] for i in order]


class CocoAgainstIndependentReference(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.root = pathlib.Path(cls.tmp.name)
        synth = run_kiln("synth", "coco", "-o", cls.root / "coco", "--count", "80", "--seed", "3")
        if synth.returncode != 0:
            raise AssertionError(f"kiln synth coco failed: {synth.stderr}")
        cls.annotations = cls.root / "coco" / "annotations" / "instances_val2017.json"
        cls.ground_truth = json.loads(cls.annotations.read_text())

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def check(self, noise, seed):
        rng = np.random.default_rng(seed)
        dets = perturbed_detections(self.ground_truth, rng, noise)
        dets_path = self.root / f"dets_{seed}.json"
        dets_path.write_text(json.dumps(dets))
        result_path = self.root / f"result_{seed}.json"
        run = check_kiln(self, "eval", "coco", dets_path, self.annotations, "-o", result_path)
        result, rows = read_result(result_path)
        names = ["AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR100", "ARs", "ARm",
                 "ARl"]
        kiln_stats = [result["metrics"]["stats"][n] for n in names]
        expected = reference_stats(self.ground_truth, dets)
        np.testing.assert_allclose(kiln_stats, expected, rtol=0, atol=1e-6)
        self.assertEqual(rows["AP"], f"{expected[0]:0.3f}")
        self.assertIn(" Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = "
                      f"{expected[0]:0.3f}", run.stdout)
        return expected

    def test_mild_noise(self):
        stats = self.check(0.05, 1)
        self.assertGreater(stats[0], 0.3)
        crowds = sum(a["iscrowd"] for a in self.ground_truth["annotations"])
        self.assertGreater(crowds, 0, "the synthetic set should have crowd regions")

    def test_strong_noise(self):
        stats = self.check(0.2, 2)
        self.assertGreater(stats[1], stats[2])  # AP50 > AP75


if __name__ == "__main__":
    unittest.main()
