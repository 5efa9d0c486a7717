"""kiln's data layer against the libraries the reference scripts used.

Decoding and resizing go through tests/data/image_driver (kiln's C++ code on the command line);
whole recipes go through `kiln prep`. The references are Debian's PIL (python3-pil), OpenCV
(python3-opencv), numpy and torch/torchvision, on real photographs shipped by python3-skimage
(and python-matplotlib-data's grace_hopper.jpg when installed) and on generated images.

Run through CTest (data_python_reference), or by hand:
  KILN_IMAGE_DRIVER=build/release/tests/data_image_driver KILN_BINARY=build/release/kiln \\
      /usr/bin/python3 -m unittest discover -s tests/data -p 'test_*.py' -v
Each test prints the statistics it checked (max / mean difference, share of equal values).
"""

import os
import pathlib
import shutil
import struct
import subprocess
import sys
import tempfile
import unittest
import zlib

import numpy as np
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference_preprocess as reference  # noqa: E402

DRIVER = os.environ.get("KILN_IMAGE_DRIVER", "build/release/tests/data_image_driver")
KILN = os.environ.get("KILN_BINARY", "build/release/kiln")


def skimage_data_dir():
    import skimage.data
    return pathlib.Path(os.path.dirname(skimage.data.__file__))


def real_photos():
    """Photographs from Debian packages: color and gray, PNG and JPEG, a few hundred pixels to
    1411 a side."""
    base = skimage_data_dir()
    names = ["astronaut.png", "chelsea.png", "coffee.png", "motorcycle_left.png", "camera.png",
             "coins.png", "rocket.jpg", "retina.jpg", "hubble_deep_field.jpg", "logo.png"]
    photos = [base / n for n in names]
    grace = pathlib.Path("/usr/share/matplotlib/mpl-data/sample_data/grace_hopper.jpg")
    if grace.exists():
        photos.append(grace)
    missing = [str(p) for p in photos if not p.exists()]
    if missing:
        raise RuntimeError(f"missing test photographs (python3-skimage): {missing}")
    return photos


def procedural(width, height, seed, channels=3):
    """A generated picture with gradients, texture, sharp edges and grain (not white noise)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    image = np.zeros((height, width, 3))
    for c in range(3):
        angle = rng.uniform(0, np.pi)
        image[..., c] = 128 + 90 * np.sin((x * np.cos(angle) + y * np.sin(angle)) /
                                          rng.uniform(5, 40) + rng.uniform(0, 6))
    for _ in range(6):
        x0, y0 = rng.integers(0, width), rng.integers(0, height)
        image[y0:y0 + rng.integers(3, height // 2 + 4), x0:x0 + rng.integers(3, width // 2 + 4)] = \
            rng.uniform(0, 255, 3)
    image += rng.normal(0, 6, image.shape)
    image = np.clip(np.rint(image), 0, 255).astype(np.uint8)
    return image if channels == 3 else image[..., 0].copy()


def write_raw_png(path, width, height, bit_depth, color_type, samples, plte=None, trns=None):
    """A PNG writer for the formats PIL cannot save (16-bit color, 2-bit gray, ...).
    `samples`: an integer array [height, width, channels] of values < 2**bit_depth."""
    channels = samples.shape[2]
    rows = []
    for row in samples:
        if bit_depth == 16:
            data = row.astype(">u2").tobytes()
        elif bit_depth == 8:
            data = row.astype(np.uint8).tobytes()
        else:
            flat = row.reshape(-1).astype(np.uint32)
            per_byte = 8 // bit_depth
            padded = np.zeros(-(-flat.size // per_byte) * per_byte, np.uint32)
            padded[:flat.size] = flat
            packed = np.zeros(padded.size // per_byte, np.uint32)
            for k in range(per_byte):
                packed |= padded[k::per_byte] << (8 - bit_depth * (k + 1))
            data = packed.astype(np.uint8).tobytes()
        rows.append(b"\x00" + data)
    assert channels in (1, 2, 3, 4)

    def chunk(kind, payload):
        body = kind + payload
        return struct.pack(">I", len(payload)) + body + struct.pack(">I", zlib.crc32(body))

    png = b"\x89PNG\r\n\x1a\n"
    png += chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, 0))
    if plte is not None:
        png += chunk(b"PLTE", bytes(np.asarray(plte, np.uint8).reshape(-1)))
    if trns is not None:
        png += chunk(b"tRNS", trns)
    png += chunk(b"IDAT", zlib.compress(b"".join(rows)))
    png += chunk(b"IEND", b"")
    pathlib.Path(path).write_bytes(png)


def run_driver(*args):
    result = subprocess.run([DRIVER, *map(str, args)], capture_output=True, text=True)
    if result.returncode != 0:
        raise AssertionError(f"image_driver {' '.join(map(str, args))}: {result.stderr}")
    return result


def run_kiln(*args):
    result = subprocess.run([KILN, *map(str, args)], capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        raise AssertionError(f"kiln {' '.join(map(str, args))}: {result.stderr}")
    return result


class Stats:
    """Differences between kiln's and the reference's values, summed over a test."""

    def __init__(self):
        self.count = self.equal = 0
        self.max = 0.0
        self.total = 0.0

    def add(self, kiln, ref):
        diff = np.abs(np.asarray(kiln, np.float64) - np.asarray(ref, np.float64))
        self.count += diff.size
        self.equal += int(np.count_nonzero(diff == 0))
        self.max = max(self.max, float(diff.max()) if diff.size else 0.0)
        self.total += float(diff.sum())

    def line(self):
        return (f"{self.count} values, {100.0 * self.equal / max(self.count, 1):.4f} % equal, "
                f"max diff {self.max:.3g}, mean diff {self.total / max(self.count, 1):.3g}")


class ReferenceTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.dir = pathlib.Path(cls.tmp.name)
        cls.photos = real_photos()
        generated = cls.dir / "generated"
        generated.mkdir()
        cls.generated = []
        for i, (w, h) in enumerate([(333, 251), (64, 48), (1000, 750), (257, 511)]):
            path = generated / f"gen_{i}.png"
            Image.fromarray(procedural(w, h, i)).save(path)
            cls.generated.append(path)
        gray = generated / "gen_gray.png"
        Image.fromarray(procedural(301, 199, 9, channels=1), "L").save(gray)
        cls.generated_gray = gray

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def kiln_decode(self, path, mode="rgb"):
        out = self.dir / "decoded.npy"
        run_driver("decode", path, out, mode)
        return np.load(out)

    def kiln_resize(self, path, width, height, interpolation, mode="rgb"):
        out = self.dir / "resized.npy"
        run_driver("resize", path, width, height, interpolation, out, mode)
        return np.load(out)

    # --- decoding ---------------------------------------------------------------------------

    def decode_variants(self):
        """Files in every PNG/JPEG flavour PIL reads, made from a generated picture."""
        d = self.dir / "variants"
        d.mkdir(exist_ok=True)
        rgb = procedural(67, 45, 3)
        rng = np.random.default_rng(4)
        files = []
        for bits in (1, 2, 4, 8, 16):
            values = (rgb[..., :1].astype(np.uint32) * ((1 << bits) - 1) // 255)
            write_raw_png(d / f"gray{bits}.png", 67, 45, bits, 0, values)
            files.append(d / f"gray{bits}.png")
            if bits <= 8:
                palette = rng.integers(0, 256, (1 << bits, 3))
                write_raw_png(d / f"palette{bits}.png", 67, 45, bits, 3, values, plte=palette)
                files.append(d / f"palette{bits}.png")
        # 16-bit gray above 255 (PIL's 'I' mode saturates when converting to RGB).
        write_raw_png(d / "gray16_high.png", 67, 45, 16, 0,
                      rgb[..., :1].astype(np.uint32) * 257)
        # A short palette with tRNS: indices past PLTE, transparency ignored by convert('RGB').
        write_raw_png(d / "palette_short.png", 67, 45, 8, 3, rgb[..., :1] // 8,
                      plte=rng.integers(0, 256, (20, 3)), trns=bytes(range(0, 200, 10)))
        write_raw_png(d / "gray8_trns.png", 67, 45, 8, 0, rgb[..., :1], trns=b"\x00\x80")
        for bits in (8, 16):
            scale = 257 if bits == 16 else 1
            rgb16 = rgb.astype(np.uint32) * scale + (rng.integers(0, 256, rgb.shape) if bits == 16
                                                     else 0)
            alpha = rng.integers(0, 1 << bits, (45, 67, 1))
            write_raw_png(d / f"rgb{bits}.png", 67, 45, bits, 2, rgb16)
            write_raw_png(d / f"rgba{bits}.png", 67, 45, bits, 6,
                          np.concatenate([rgb16, alpha], axis=2))
            write_raw_png(d / f"gray_alpha{bits}.png", 67, 45, bits, 4,
                          np.concatenate([rgb16[..., :1], alpha], axis=2))
            files += [d / f"rgb{bits}.png", d / f"rgba{bits}.png", d / f"gray_alpha{bits}.png"]
        files += [d / "gray16_high.png", d / "palette_short.png", d / "gray8_trns.png"]
        image = Image.fromarray(procedural(203, 97, 5))
        for name, kwargs in [("q95_444", dict(quality=95, subsampling=0)),
                             ("q75_422", dict(quality=75, subsampling=1)),
                             ("q85_420", dict(quality=85, subsampling=2)),
                             ("progressive", dict(quality=90, progressive=True)),
                             ("optimized", dict(quality=80, optimize=True))]:
            image.save(d / f"{name}.jpg", **kwargs)
            files.append(d / f"{name}.jpg")
        image.convert("L").save(d / "gray.jpg", quality=90)
        image.convert("CMYK").save(d / "cmyk.jpg", quality=90)
        files += [d / "gray.jpg", d / "cmyk.jpg"]
        return files

    def test_decoding_equals_pil_convert_rgb(self):
        stats = Stats()
        files = self.photos + self.generated + [self.generated_gray] + self.decode_variants()
        for path in files:
            with Image.open(path) as im:
                mode = im.mode
                ref = np.asarray(im.convert("RGB"))
            got = self.kiln_decode(path)
            self.assertEqual(got.shape, ref.shape, path)
            stats.add(got, ref)
            np.testing.assert_array_equal(got, ref, err_msg=f"{path} (PIL mode {mode})")
        print(f"\ndecode vs PIL convert('RGB'), {len(files)} files: {stats.line()}")

    def test_unchanged_mode_keeps_gray_values_and_palette_indices(self):
        for path in [skimage_data_dir() / "camera.png", skimage_data_dir() / "palette_color.png",
                     self.generated_gray] + [p for p in self.decode_variants()
                                             if p.name.startswith(("palette", "gray4", "gray8"))]:
            with Image.open(path) as im:
                ref = np.asarray(im)
            got = self.kiln_decode(path, "unchanged")
            np.testing.assert_array_equal(got[..., 0], ref, err_msg=str(path))

    def test_truncated_and_broken_files_are_refused_like_pil(self):
        truncated = skimage_data_dir() / "truncated.jpg"
        with self.assertRaises(OSError):
            with Image.open(truncated) as im:
                im.load()
        result = subprocess.run([DRIVER, "decode", truncated, self.dir / "x.npy"],
                                capture_output=True, text=True)
        self.assertEqual(result.returncode, 1)
        self.assertIn("truncated.jpg", result.stderr)
        self.assertIn("truncated", result.stderr)

    # --- resizing ---------------------------------------------------------------------------

    SIZES = [(224, 224), (256, 341), (1000, 700), (37, 53), (113, 900), (640, 427)]

    def check_resize(self, files, filters, reference_resize, label):
        stats = Stats()
        for path in files:
            with Image.open(path) as im:
                src = im.convert("RGB")
            sizes = self.SIZES + [(src.width // 2, src.height // 2),
                                  (src.width * 2 + 1, src.height + 3)]
            for (w, h) in sizes:
                for name in filters:
                    got = self.kiln_resize(path, w, h, name).astype(np.int64)
                    ref = reference_resize(src, w, h, name).astype(np.int64)
                    self.assertEqual(got.shape, ref.shape)
                    stats.add(got, ref)
                    diff = np.abs(got - ref)
                    self.assertLessEqual(diff.max(), 1, f"{path} {name} {w}x{h}")
                    self.assertGreaterEqual(np.mean(diff == 0), 0.999, f"{path} {name} {w}x{h}")
        print(f"\n{label}: {stats.line()}")
        return stats

    def test_resize_equals_pil_for_every_filter(self):
        filters = {"nearest": Image.NEAREST, "bilinear": Image.BILINEAR, "bicubic": Image.BICUBIC}
        self.check_resize(self.photos[:6] + self.generated, filters,
                          lambda src, w, h, name: np.asarray(src.resize((w, h), filters[name])),
                          "resize vs PIL (nearest, bilinear, bicubic; up and down)")

    def test_gray_resize_equals_pil(self):
        stats = Stats()
        for path in [self.generated_gray, skimage_data_dir() / "camera.png"]:
            with Image.open(path) as im:
                for name, f in [("nearest", Image.NEAREST), ("bilinear", Image.BILINEAR),
                                ("bicubic", Image.BICUBIC)]:
                    for (w, h) in [(100, 77), (640, 500)]:
                        got = self.kiln_resize(path, w, h, name, "unchanged")[..., 0]
                        ref = np.asarray(im.resize((w, h), f))
                        stats.add(got, ref)
                        np.testing.assert_array_equal(got, ref)
        print(f"\ngray resize vs PIL: {stats.line()}")

    def test_resize_equals_opencv(self):
        import cv2
        codes = {"cv-linear": cv2.INTER_LINEAR, "cv-cubic": cv2.INTER_CUBIC}
        self.check_resize(self.photos[:6] + self.generated, codes,
                          lambda src, w, h, name: cv2.resize(np.asarray(src), (w, h),
                                                             interpolation=codes[name]),
                          "resize vs OpenCV (INTER_LINEAR, INTER_CUBIC; up and down)")

    # --- normalisation ----------------------------------------------------------------------

    def kiln_table(self, arithmetic, mean, std):
        out = self.dir / "table.npy"
        run_driver("table", arithmetic, *mean, *std, out)
        return np.load(out)

    def test_normalisation_arithmetic_equals_the_references(self):
        import torch
        import torchvision.transforms as T
        pixels = np.tile(np.arange(256, dtype=np.uint8), (3, 1))  # [3, 256]
        image = Image.fromarray(np.ascontiguousarray(pixels.T[None, :, :]))  # 1 x 256, RGB
        mean, std = reference.IMAGENET_MEAN, reference.IMAGENET_STD
        # torchvision ToTensor + Normalize (resnet preset).
        ref = T.Normalize(mean, std)(T.ToTensor()(image)).numpy()[:, 0, :]
        np.testing.assert_array_equal(self.kiln_table("unit-float32", mean, std), ref)
        # numpy float32 (imagenet_torch_preprocess.py, dpn131).
        dpn_mean, dpn_std = reference.DPN131_CONFIG["mean"], reference.DPN131_CONFIG["std"]
        x = pixels.astype(np.float32) / 255.
        x -= np.array(dpn_mean, dtype=np.float32)[:, None]
        x /= np.array(dpn_std, dtype=np.float32)[:, None]
        np.testing.assert_array_equal(self.kiln_table("unit-float32", dpn_mean, dpn_std), x)
        # numpy float64 (LV_Vit_preprocess.py).
        pm = [v * 255 for v in mean]
        ps = [v * 255 for v in std]
        ref = ((pixels.astype(np.float32) - np.array(pm)[:, None]) /
               np.array(ps)[:, None]).astype(np.float32)
        np.testing.assert_array_equal(self.kiln_table("pixel-float64", pm, ps), ref)
        # torch float32 with float32 constants (effdet PrefetchLoader).
        t = torch.from_numpy(pixels).float().sub_(torch.tensor(pm).view(3, 1)).div_(
            torch.tensor(ps).view(3, 1))
        np.testing.assert_array_equal(self.kiln_table("pixel-float32", pm, ps), t.numpy())
        # ToTensor, *= 255, -= float32 mean (intrada_preprocess.py).
        caffe = (104.00698793, 116.66876762, 122.67891434)
        t = T.ToTensor()(image)[:, 0, :] * 255.
        t -= torch.from_numpy(np.array(caffe, dtype=np.float32).reshape(-1, 1))
        np.testing.assert_array_equal(self.kiln_table("rescaled-float32", caffe, (1, 1, 1)),
                                      t.numpy())

    # --- whole recipes through kiln prep ----------------------------------------------------

    def photo_folder(self):
        folder = self.dir / "photos"
        if not folder.exists():
            folder.mkdir()
            for path in self.photos:
                shutil.copy(path, folder / path.name)
            for i, path in enumerate(self.generated):  # as JPEGs, like ImageNet
                Image.open(path).convert("RGB").save(folder / f"generated_{i}.jpg", quality=90)
        return folder

    def compare_prep(self, task, preset, source, reference_fn, names, shape, channel_flip=False,
                     pixel_step=None, relative=False):
        out = self.dir / f"prep_{preset}"
        run_kiln("prep", task, source, "-o", out, "--preset", preset, "--quiet", "--threads", "2")
        stats = Stats()
        for name, path in names:
            ref = reference_fn(str(path))
            if channel_flip:
                ref = ref[::-1]
            got = np.fromfile(out / f"{name}.bin", dtype=np.float32).reshape(shape)
            self.assertEqual(ref.shape, got.shape)
            stats.add(got, ref)
            tolerance = 1e-6 * (np.maximum(1.0, np.abs(ref)) if relative else 1.0)
            close = np.abs(got - ref) <= tolerance
            # Where kiln's pixels differ from the reference's, at most one uint8 step apart.
            self.assertTrue(np.all(close | (np.abs(got - ref) <= pixel_step * 1.0001)),
                            f"{preset} {name}")
            self.assertGreaterEqual(np.mean(close), 0.999, f"{preset} {name}")
        print(f"\nkiln prep --preset {preset} vs the reference script on {len(names)} images: "
              f"{stats.line()}")
        return out

    def test_imagenet_presets_equal_the_reference_scripts(self):
        folder = self.photo_folder()
        names = [(p.stem, p) for p in sorted(folder.iterdir())]
        self.compare_prep("imagenet", "dpn131", folder, reference.dpn131, names, (3, 224, 224),
                          pixel_step=1 / 255 / 0.235)
        self.compare_prep("imagenet", "lvvit", folder, reference.lvvit, names, (3, 224, 224),
                          pixel_step=1 / (0.224 * 255))
        self.compare_prep("imagenet", "resnet", folder, reference.resnet, names, (3, 224, 224),
                          pixel_step=1 / 255 / 0.224)

    def test_sr_preset_equals_the_rdn_script(self):
        folder = self.photo_folder()
        names = [(p.stem, p) for p in sorted(folder.iterdir())]
        # The script's tensors are BGR (cv2.imread handed to PIL as RGB); kiln's are RGB.
        out = self.compare_prep("sr", "rdn", folder, reference.rdn, names, (3, 114, 114),
                                channel_flip=True, pixel_step=1 / 255)
        for name, path in names:
            _, hr = reference.rdn_images(str(path))
            with Image.open(out.parent / f"{out.name}.hr" / f"{name}.png") as im:
                np.testing.assert_array_equal(np.asarray(im), hr[..., ::-1])

    def test_cityscapes_preset_equals_the_intrada_script(self):
        root = self.dir / "cityscapes"
        city = root / "leftImg8bit" / "val" / "aachen"
        city.mkdir(parents=True)
        names = []
        for i, path in enumerate(self.photos[:6] + self.generated[:2]):
            target = city / f"aachen_{i:06d}_000019_leftImg8bit.png"
            Image.open(path).convert("RGB").save(target)
            names.append((target.stem, target))
        self.compare_prep("cityscapes", "intrada", root, reference.intrada, names,
                          (3, 512, 1024), pixel_step=1.0, relative=True)

    def test_coco_preset_equals_effdet(self):
        root = self.dir / "coco"
        val = root / "val2017"
        val.mkdir(parents=True)
        names = []
        for i, path in enumerate(self.photos + self.generated):
            target = val / f"{i + 1:012d}.jpg"
            Image.open(path).convert("RGB").save(target, quality=92)
            names.append((target.stem, target))
        out = self.compare_prep("coco", "efficientdet_d0", root, reference.efficientdet_d0, names,
                                (3, 512, 512), pixel_step=1 / (0.224 * 255))
        import json
        images = json.loads((out.parent / f"{out.name}.images.json").read_text())["images"]
        for entry, (name, path) in zip(images, names):
            _, scale = reference.efficientdet_pixels(str(path))
            self.assertEqual(entry["stem"], name)
            self.assertEqual(entry["scale"], scale)
            self.assertEqual(entry["image_id"], int(name))


if __name__ == "__main__":
    unittest.main()
