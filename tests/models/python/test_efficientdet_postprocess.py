"""The numpy EfficientDet postprocess on hand-worked cases, and against the PyTorch pipeline of
the reference (torch.topk + torchvision batched_nms) on random outputs."""
import unittest

import numpy as np
import torch

import zoo_test_util  # noqa: F401
import efficientdet_postprocess as pp


def logit(p):
    return float(np.log(p / (1 - p)))


class Anchors(unittest.TestCase):
    def test_count_and_first_anchors(self):
        a = pp.generate_anchors((512, 512))
        self.assertEqual(a.shape, (49104, 4))
        # P3, location (0, 0): centre (4, 4); octave 0, aspect (1, 1): base 4 * 8 = 32
        np.testing.assert_allclose(a[0], [4 - 16, 4 - 16, 4 + 16, 4 + 16])
        # aspect (1.4, 0.7): x half-width 32 * 1.4 / 2, y half-height 32 * 0.7 / 2
        np.testing.assert_allclose(a[1], [4 - 11.2, 4 - 22.4, 4 + 11.2, 4 + 22.4])
        # octave 1: base 32 * 2^(1/3)
        b = 32 * 2 ** (1 / 3.0) / 2
        np.testing.assert_allclose(a[3], [4 - b, 4 - b, 4 + b, 4 + b])
        # second location of P3 is x + 8
        np.testing.assert_allclose(a[9], [4 - 16, 12 - 16, 4 + 16, 12 + 16])
        # first anchor of P7 (stride 128): after 9 * (64^2 + 32^2 + 16^2 + 8^2) anchors
        i = 9 * (4096 + 1024 + 256 + 64)
        np.testing.assert_allclose(a[i], [64 - 256, 64 - 256, 64 + 256, 64 + 256])

    def test_rectangular_and_bad_size(self):
        self.assertEqual(pp.generate_anchors((128, 256)).shape[0], 9 * (16 * 32 + 8 * 16 + 4 * 8 + 2 * 4 + 1 * 2))
        with self.assertRaises(ValueError):
            pp.generate_anchors((100, 128))


class Decode(unittest.TestCase):
    def test_zero_codes_give_the_anchor(self):
        anchors = np.array([[10.0, 20.0, 50.0, 100.0]])  # y1 x1 y2 x2
        np.testing.assert_allclose(pp.decode_boxes(np.zeros((1, 4)), anchors), [[20, 10, 100, 50]])

    def test_hand_worked(self):
        anchors = np.array([[0.0, 0.0, 10.0, 20.0]])  # centre (5, 10), h 10, w 20
        codes = np.array([[0.5, -0.25, np.log(2.0), 0.0]])  # ty tx th tw
        # yc = 5 + 0.5*10 = 10, xc = 10 - 0.25*20 = 5, h = 20, w = 20
        np.testing.assert_allclose(pp.decode_boxes(codes, anchors), [[-5, 0, 15, 20]])


class Nms(unittest.TestCase):
    def test_same_class_overlap_dropped_other_class_kept(self):
        boxes = np.array([[0, 0, 10, 10], [1, 0, 11, 10], [1, 0, 11, 10], [50, 50, 60, 60]], dtype=float)
        scores = np.array([0.9, 0.8, 0.7, 0.6])
        classes = np.array([3, 3, 5, 3])
        # IoU(box0, box1) = 90 / 110 > 0.5: box1 dropped; box2 is another class: kept
        self.assertEqual(pp.batched_nms(boxes, scores, classes).tolist(), [0, 2, 3])

    def test_threshold_is_strict(self):
        # IoU exactly 0.5 (intersection 200, union 400) is not "> 0.5": both kept
        boxes = np.array([[0, 0, 30, 10], [10, 0, 40, 10]], dtype=float)
        self.assertEqual(pp.batched_nms(boxes, np.array([0.9, 0.8]), np.array([0, 0])).tolist(), [0, 1])
        self.assertEqual(pp.batched_nms(boxes, np.array([0.9, 0.8]), np.array([0, 0]), 0.49).tolist(), [0])

    def test_score_order_wins_not_index_order(self):
        boxes = np.array([[0, 0, 10, 10], [0, 0, 10, 10]], dtype=float)
        self.assertEqual(pp.batched_nms(boxes, np.array([0.2, 0.7]), np.array([1, 1])).tolist(), [1])


class EndToEnd(unittest.TestCase):
    def tiny_case(self):
        """Two levels' worth of anchors are not needed: give explicit anchors."""
        anchors = np.array([[0, 0, 10, 10], [0, 1, 10, 11], [20, 20, 40, 40]], dtype=float)  # yxyx
        cls = np.full((1, 3, 2), -10.0)
        cls[0, 0, 1] = logit(0.9)   # anchor 0, class index 1
        cls[0, 1, 1] = logit(0.8)   # anchor 1 overlaps anchor 0 (IoU 9/11): same class -> dropped
        cls[0, 1, 0] = logit(0.7)   # anchor 1, class index 0: kept
        cls[0, 2, 0] = logit(0.6)
        box = np.zeros((1, 3, 4))
        return cls, box, anchors

    def test_hand_worked(self):
        cls, box, anchors = self.tiny_case()
        det = pp.postprocess(cls, box, anchors=anchors, img_scale=2.0, max_det=5, topk=4)
        self.assertEqual(det.shape, (1, 5, 6))
        np.testing.assert_allclose(det[0, 0], [0, 0, 20, 20, 0.9, 2])
        np.testing.assert_allclose(det[0, 1], [2, 0, 20, 20, 0.7, 1])
        np.testing.assert_allclose(det[0, 2], [40, 40, 40, 40, 0.6, 1])
        np.testing.assert_allclose(det[0, 3:], 0)

    def test_topk_limits_candidates(self):
        cls, box, anchors = self.tiny_case()
        det = pp.postprocess(cls, box, anchors=anchors, topk=1)
        self.assertEqual(int((det[0, :, 4] > 0).sum()), 1)

    def test_clip_to_original_image(self):
        cls, box, anchors = self.tiny_case()
        det = pp.postprocess(cls, box, anchors=anchors, img_scale=2.0, img_size=[[50, 60]], topk=4)
        # clip in input pixels to (50/2, 60/2): the third box (20..40) becomes x 20..25, y 20..30
        np.testing.assert_allclose(det[0, 2, :4], [40, 40, 10, 20])

    def test_matches_torch_reference_pipeline(self):
        import torchvision
        rng = np.random.default_rng(0)
        image_size = (128, 128)
        anchors = pp.generate_anchors(image_size)
        a, c = anchors.shape[0], 90
        cls = rng.normal(-2.0, 1.5, size=(2, a, c))
        box = rng.normal(0, 0.3, size=(2, a, 4))
        scales = np.array([1.5, 0.75])
        ours = pp.postprocess(cls, box, image_size, img_scale=scales)
        for b in range(2):
            # the reference's _post_process + generate_detections, in torch float64
            flat = torch.from_numpy(cls[b].reshape(-1))
            _, top = torch.topk(flat, k=5000)
            idx, classes = top // c, top % c
            boxes = torch.from_numpy(pp.decode_boxes(box[b][idx.numpy()], anchors[idx.numpy()]))
            scores = flat[top].sigmoid()
            keep = torchvision.ops.batched_nms(boxes, scores, classes, 0.5)[:100]
            kb = boxes[keep].clone()
            kb[:, 2] -= kb[:, 0]
            kb[:, 3] -= kb[:, 1]
            kb *= scales[b]
            ref = torch.cat([kb, scores[keep, None], (classes[keep, None] + 1).double()], 1).numpy()
            np.testing.assert_allclose(ours[b, :len(ref)], ref, rtol=1e-12, atol=1e-9)


if __name__ == "__main__":
    unittest.main()
