"""`kiln eval psnr` against an independent computation on real photos (scikit-image's sample
images): Y of BT.601 as RDN's reference writes it, border shaved by the scale, prediction clamped
to [0, 1]; PSNR = 10 log10(255^2 / MSE); SSIM = skimage.metrics.structural_similarity with
Gaussian weights (sigma 1.5), population covariance and data range 255 (Wang et al. 2004)."""
import math
import pathlib
import tempfile
import unittest

import numpy as np
import skimage.data
from PIL import Image
from skimage.metrics import structural_similarity

from eval_test_util import check_kiln, read_result, write_outputs

PHOTOS = ["astronaut", "chelsea", "coffee", "rocket", "hubble_deep_field"]


def luma(rgb, red):
    """rgb: float64 [..., 3] on [0, 255]."""
    return 16. + (red * rgb[..., 0] + 129.057 * rgb[..., 1] + 25.064 * rgb[..., 2]) / 256.


def reference_metrics(hr_u8, pred_chw, scale, red):
    hr_y = luma(hr_u8.astype(np.float64), red)
    pred = np.clip(pred_chw.astype(np.float64) * 255.0, 0.0, 255.0).transpose(1, 2, 0)
    pred_y = luma(pred, red)
    hr_y = hr_y[scale:-scale, scale:-scale]
    pred_y = pred_y[scale:-scale, scale:-scale]
    mse = np.mean((hr_y - pred_y) ** 2)
    psnr = 10 * math.log10(255.0 ** 2 / mse)
    ssim = structural_similarity(hr_y, pred_y, data_range=255, gaussian_weights=True, sigma=1.5,
                                 use_sample_covariance=False)
    return psnr, ssim


class PsnrSsimAgainstSkimage(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        root = pathlib.Path(cls.tmp.name)
        cls.hr_dir = root / "hr"
        cls.hr_dir.mkdir()
        rng = np.random.default_rng(0)
        cls.hr, cls.pred = {}, {}
        for name in PHOTOS:
            photo = Image.fromarray(getattr(skimage.data, name)()).convert("RGB")
            # A 228x228 HR crop, as the RDN guide's preprocessing takes.
            left, top = (photo.width - 228) // 2, (photo.height - 228) // 2
            hr = photo.crop((left, top, left + 228, top + 228))
            hr.save(cls.hr_dir / f"{name}.png")
            # "Super-resolved" output: bicubic down and up, plus noise that leaves [0, 1].
            lr = hr.resize((114, 114), Image.BICUBIC)
            sr = np.asarray(lr.resize((228, 228), Image.BICUBIC), dtype=np.float32) / 255.0
            sr = sr + rng.normal(0, 0.02, sr.shape).astype(np.float32)
            sr[:3, :3] = 1.5  # clamped to 1
            sr[-2:, -3:] = -0.25  # clamped to 0
            cls.hr[name] = np.asarray(hr)
            cls.pred[name] = np.ascontiguousarray(sr.transpose(2, 0, 1))
        cls.out_dir = root / "out"
        write_outputs(cls.out_dir, {name: [p] for name, p in cls.pred.items()}, fmt="bin")
        cls.root = root

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def check(self, luma_name, red, scale):
        result_path = self.root / f"result_{luma_name}_{scale}.json"
        check_kiln(self, "eval", "psnr", self.out_dir, self.hr_dir, "--scale", scale, "--luma",
                   luma_name, "-o", result_path)
        result, rows = read_result(result_path)
        per_image = {e["stem"]: e for e in result["metrics"]["per_image"]}
        psnrs = []
        for name in PHOTOS:
            psnr, ssim = reference_metrics(self.hr[name], self.pred[name], scale, red)
            psnrs.append(psnr)
            self.assertAlmostEqual(per_image[name]["psnr"], psnr, delta=1e-9 * psnr, msg=name)
            self.assertAlmostEqual(per_image[name]["ssim"], ssim, delta=1e-9, msg=name)
            self.assertLess(ssim, 0.99)
        # The rows of RDN_postprocess.py: sorted descending, np.around(, 2), average np.sum / L.
        res = np.array(psnrs)
        res = res[np.argsort(-res)]
        self.assertEqual(rows["Number of images"], str(len(PHOTOS)))
        for i in range(len(PHOTOS)):
            self.assertEqual(rows[f"Top{i + 1} PSNR"], str(np.around(res[i], decimals=2)))
        self.assertEqual(rows["Avg PSNR"], str(np.around(np.sum(res) / len(PHOTOS), decimals=2)))

    def test_rdn_reference_weights(self):
        self.check("rdn", 64.738, 2)

    def test_bt601_weights_scale_3(self):
        self.check("bt601", 65.738, 3)


if __name__ == "__main__":
    unittest.main()
