"""Generates full-size workloads for timing `kiln eval` (not a test; nothing here asserts a time):

  coco: 5 000 images, ~7 objects each over COCO's 80 categories, 100 detections per image
  miou: 500 images: DeepLab-v2 logits [19, 65, 129] (float32 .bin + outputs.json) and
        1024 x 2048 Cityscapes label-id PNGs
  topk: 50 000 images x 1 000 classes (float32 .bin + outputs.json) and val_label.txt
  psnr: 100 images: [3, 228, 228] outputs and their HR PNGs

Usage: /usr/bin/python3 tests/eval/make_eval_workloads.py DIR [coco] [miou] [topk] [psnr]
then e.g. `time kiln eval coco DIR/coco/dets.json DIR/coco/instances.json -o DIR/coco.json`;
the commands are printed at the end."""
import json
import pathlib
import sys

import numpy as np
from PIL import Image

COCO_IDS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25,
            27, 28, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 46, 47, 48, 49, 50, 51,
            52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63, 64, 65, 67, 70, 72, 73, 74, 75, 76, 77,
            78, 79, 80, 81, 82, 84, 85, 86, 87, 88, 89, 90]


def coco(root, rng):
    root.mkdir(parents=True, exist_ok=True)
    images, annotations, detections = [], [], []
    for image_id in range(1, 5001):
        w, h = 640, int(rng.integers(360, 640))
        images.append({"id": image_id, "file_name": f"{image_id:012d}.jpg", "width": w,
                       "height": h})
        objects = []
        for _ in range(int(rng.integers(1, 14))):
            bw, bh = rng.uniform(4, w / 2), rng.uniform(4, h / 2)
            box = [rng.uniform(0, w - bw), rng.uniform(0, h - bh), bw, bh]
            category = int(rng.choice(COCO_IDS))
            annotations.append({"id": len(annotations) + 1, "image_id": image_id,
                                "category_id": category, "bbox": box,
                                "area": bw * bh * rng.uniform(0.5, 0.9),
                                "iscrowd": int(rng.random() < 0.01)})
            objects.append((category, box))
        for k in range(100):  # perturbed objects first, then false positives
            if k < 3 * len(objects):
                category, (x, y, bw, bh) = objects[k % len(objects)]
                box = [x + rng.normal(0, 0.1) * bw, y + rng.normal(0, 0.1) * bh,
                       bw * np.exp(rng.normal(0, 0.1)), bh * np.exp(rng.normal(0, 0.1))]
            else:
                category = int(rng.choice(COCO_IDS))
                bw, bh = rng.uniform(4, w / 2), rng.uniform(4, h / 2)
                box = [rng.uniform(0, w - bw), rng.uniform(0, h - bh), bw, bh]
            detections.append({"image_id": image_id, "category_id": category,
                               "bbox": [round(v, 2) for v in box],
                               "score": round(float(rng.random()), 5)})
    categories = [{"id": c, "name": f"category{c}", "supercategory": "thing"} for c in COCO_IDS]
    (root / "instances.json").write_text(json.dumps(
        {"images": images, "annotations": annotations, "categories": categories}))
    (root / "dets.json").write_text(json.dumps(detections))
    return f"kiln eval coco {root}/dets.json {root}/instances.json -o {root}/result.json"


def write_manifest(out, shape):
    (out / "outputs.json").write_text(json.dumps({"model": "workload", "format": "bin", "outputs": [
        {"index": 1, "name": "output", "dtype": "float32", "shape": list(shape)}]}))


def miou(root, rng):
    out, gt = root / "out", root / "gt"
    out.mkdir(parents=True, exist_ok=True)
    gt.mkdir(parents=True, exist_ok=True)
    write_manifest(out, (19, 65, 129))
    for i in range(500):
        stem = f"city_{i // 100:06d}_{i:06d}_leftImg8bit"
        logits = rng.standard_normal((19, 65, 129)).astype(np.float32) * 3
        logits.tofile(out / f"{stem}_1.bin")
        # Blocky label ids (regions, as real label maps are), 0..33.
        blocks = rng.integers(0, 34, size=(32, 64)).astype(np.uint8)
        label = np.kron(blocks, np.ones((32, 32), dtype=np.uint8))
        Image.fromarray(label, mode="L").save(gt / f"{stem}.png", compress_level=1)
    return f"kiln eval miou {out} {gt} -o {root}/result.json"


def topk(root, rng):
    out = root / "out"
    out.mkdir(parents=True, exist_ok=True)
    write_manifest(out, (1000,))
    lines = []
    for i in range(1, 50001):
        stem = f"ILSVRC2012_val_{i:08d}"
        rng.standard_normal(1000).astype(np.float32).tofile(out / f"{stem}_1.bin")
        lines.append(f"{stem}.JPEG {int(rng.integers(0, 1000))}")
    (root / "val_label.txt").write_text("\n".join(lines) + "\n")
    return f"kiln eval topk {out} {root}/val_label.txt -o {root}/result.json"


def psnr(root, rng):
    out, hr_dir = root / "out", root / "hr"
    out.mkdir(parents=True, exist_ok=True)
    hr_dir.mkdir(parents=True, exist_ok=True)
    write_manifest(out, (3, 228, 228))
    for i in range(100):
        hr = rng.integers(0, 256, size=(228, 228, 3)).astype(np.uint8)
        Image.fromarray(hr).save(hr_dir / f"img{i:03d}.png")
        sr = (hr.astype(np.float32) / 255 + rng.normal(0, 0.02, hr.shape)).astype(np.float32)
        np.ascontiguousarray(sr.transpose(2, 0, 1)).tofile(out / f"img{i:03d}_1.bin")
    return f"kiln eval psnr {out} {hr_dir} --scale 2 -o {root}/result.json"


def main():
    root = pathlib.Path(sys.argv[1])
    tasks = sys.argv[2:] or ["coco", "miou", "topk", "psnr"]
    rng = np.random.default_rng(0)
    commands = [globals()[task](root / task, rng) for task in tasks]
    print("\n".join(commands))


if __name__ == "__main__":
    main()
