"""Reference (numpy) postprocess of EfficientDet, as rwightman/efficientdet-pytorch does it.

This is the oracle kiln's C++ detection postprocess is tested against; every convention is spelled
out here so that a port can match it exactly. Numbers are computed in float64.

Inputs -- the two outputs of ``efficientdet_d0.onnx`` (models/efficientdet.py):
  class_out: float array [B, A, C] of class logits (C = 90 for COCO), before the sigmoid.
  box_out:   float array [B, A, 4] of box regressions (ty, tx, th, tw) relative to anchors.
  A = 9 * sum over levels l = 3..7 of (H / 2^l) * (W / 2^l); anchor index a enumerates level P3
  first, then P4 .. P7; inside a level, locations in row-major order (y, then x); inside a
  location, the 9 anchors in the order (octave scale 0, 1, 2) x (aspect (1, 1), (1.4, 0.7),
  (0.7, 1.4)) -- scale major, aspect minor.

Anchors (``generate_anchors``), for each level l with stride s = 2^l, octave o in {0, 1/3, 2/3}
and aspect (ax, ay):  base = anchor_scale (4.0) * s * 2^o;  half widths hx = base * ax / 2,
hy = base * ay / 2; centres cx = s/2 + s*i (i = 0 .. W/s - 1), cy = s/2 + s*j; the anchor is
(cy - hy, cx - hx, cy + hy, cx + hx) = (ymin, xmin, ymax, xmax) in input-image pixels.

Box decoding (``decode_boxes``): with anchor centre (yc_a, xc_a) and size (ha, wa):
  w = exp(tw) * wa, h = exp(th) * ha, yc = ty * ha + yc_a, xc = tx * wa + xc_a,
  box = (xc - w/2, yc - h/2, xc + w/2, yc + h/2) as (x1, y1, x2, y2).

Per image (``postprocess``):
  1. top-k: the k = min(5000, A*C) largest logits of class_out[b] flattened as index a*C + c,
     in descending order; ties are broken by the smaller flat index (stable sort). The anchor of
     a candidate is index // C, its class index % C.
  2. decode the candidates' boxes; if ``img_size`` is given, clip x to [0, W/scale] and y to
     [0, H/scale] (W, H: original image size, scale: img_scale) -- the reference clips before NMS.
  3. score = sigmoid(logit).
  4. per-class NMS, IoU threshold 0.5: candidates in descending score order (ties: top-k order);
     a candidate is dropped if its IoU with an already kept box *of the same class* is > 0.5
     (strictly). IoU = inter / (area1 + area2 - inter), areas (x2 - x1) * (y2 - y1), no +1.
     Kept boxes stay in descending score order (over all classes).
  5. keep the first 100 (max_det).
  6. convert (x1, y1, x2, y2) to (x, y, w, h) = (x1, y1, x2 - x1, y2 - y1), multiply all four by
     img_scale (original pixels per input pixel), class id = class index + 1 (1 .. 90).
Output: float64 array [B, max_det, 6], rows (x, y, w, h, score, class_id); rows past the number of
detections of an image are all zero.

Where PyTorch may differ: torch.topk and torchvision's NMS do not promise an order for equal
values; this reference uses the stable order above. Everything else is the same arithmetic.
"""
import numpy as np

MAX_DETECTION_POINTS = 5000
MAX_DETECTIONS_PER_IMAGE = 100
IOU_THRESHOLD = 0.5
ANCHOR_SCALE = 4.0
ASPECT_RATIOS = ((1.0, 1.0), (1.4, 0.7), (0.7, 1.4))
NUM_SCALES = 3
MIN_LEVEL, MAX_LEVEL = 3, 7


def generate_anchors(image_size=(512, 512), min_level=MIN_LEVEL, max_level=MAX_LEVEL, num_scales=NUM_SCALES,
                     aspect_ratios=ASPECT_RATIOS, anchor_scale=ANCHOR_SCALE):
    """Anchors [A, 4] as (ymin, xmin, ymax, xmax), float64, in the order described above.
    ``image_size`` is (height, width); each must be divisible by 2^max_level."""
    h, w = image_size
    levels = []
    for level in range(min_level, max_level + 1):
        stride = 2 ** level
        if h % stride or w % stride:
            raise ValueError("image size %s is not divisible by the stride %d" % ((h, w), stride))
        ys = np.arange(stride / 2.0, h, stride)
        xs = np.arange(stride / 2.0, w, stride)
        xv, yv = np.meshgrid(xs, ys)  # row-major: y outer, x inner
        xv, yv = xv.reshape(-1), yv.reshape(-1)
        per_anchor = []
        for octave in range(num_scales):
            for ax, ay in aspect_ratios:
                base = anchor_scale * stride * 2.0 ** (octave / float(num_scales))
                hx, hy = base * ax / 2.0, base * ay / 2.0
                per_anchor.append(np.stack([yv - hy, xv - hx, yv + hy, xv + hx], axis=1))
        levels.append(np.stack(per_anchor, axis=1).reshape(-1, 4))  # location major, anchor minor
    return np.concatenate(levels, axis=0)


def decode_boxes(rel_codes, anchors):
    """(ty, tx, th, tw) codes [N, 4] + anchors [N, 4] (yxyx) -> boxes [N, 4] as (x1, y1, x2, y2)."""
    rel_codes = np.asarray(rel_codes, dtype=np.float64)
    anchors = np.asarray(anchors, dtype=np.float64)
    yc_a = (anchors[:, 0] + anchors[:, 2]) / 2
    xc_a = (anchors[:, 1] + anchors[:, 3]) / 2
    ha = anchors[:, 2] - anchors[:, 0]
    wa = anchors[:, 3] - anchors[:, 1]
    ty, tx, th, tw = rel_codes.T
    w = np.exp(tw) * wa
    h = np.exp(th) * ha
    yc = ty * ha + yc_a
    xc = tx * wa + xc_a
    return np.stack([xc - w / 2.0, yc - h / 2.0, xc + w / 2.0, yc + h / 2.0], axis=1)


def box_iou(box, boxes):
    """IoU of one (x1, y1, x2, y2) box with each of ``boxes`` [N, 4]."""
    ix1 = np.maximum(box[0], boxes[:, 0])
    iy1 = np.maximum(box[1], boxes[:, 1])
    ix2 = np.minimum(box[2], boxes[:, 2])
    iy2 = np.minimum(box[3], boxes[:, 3])
    inter = np.clip(ix2 - ix1, 0, None) * np.clip(iy2 - iy1, 0, None)
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    union = area + areas - inter
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(union > 0, inter / union, 0.0)


def batched_nms(boxes, scores, classes, iou_threshold=IOU_THRESHOLD):
    """Greedy per-class NMS. Returns the indices kept, in descending score order (stable)."""
    order = np.argsort(-np.asarray(scores, dtype=np.float64), kind="stable")
    kept = []
    kept_by_class = {}
    for i in order:
        c = int(classes[i])
        prev = kept_by_class.get(c)
        if prev:
            if np.any(box_iou(boxes[i], boxes[np.array(prev)]) > iou_threshold):
                continue
        kept.append(i)
        kept_by_class.setdefault(c, []).append(i)
    return np.array(kept, dtype=np.int64)


def postprocess(class_out, box_out, image_size=(512, 512), img_scale=None, img_size=None,
                max_det=MAX_DETECTIONS_PER_IMAGE, topk=MAX_DETECTION_POINTS, iou_threshold=IOU_THRESHOLD,
                anchors=None):
    """Detections [B, max_det, 6] = (x, y, w, h, score, class_id) per image; see the module doc.

    class_out [B, A, C], box_out [B, A, 4]: the model outputs. ``image_size``: the model input
    (height, width), for the anchors. ``img_scale``: scalar or [B], original-image pixels per
    input pixel (1.0 if None). ``img_size``: None or [B, 2] original (width, height) to clip to.
    """
    class_out = np.asarray(class_out, dtype=np.float64)
    box_out = np.asarray(box_out, dtype=np.float64)
    if class_out.ndim != 3 or box_out.ndim != 3 or box_out.shape[2] != 4 or class_out.shape[:2] != box_out.shape[:2]:
        raise ValueError("expected class_out [B, A, C] and box_out [B, A, 4], got %s and %s"
                         % (class_out.shape, box_out.shape))
    batch, num_anchors, num_classes = class_out.shape
    if anchors is None:
        anchors = generate_anchors(image_size)
    if anchors.shape[0] != num_anchors:
        raise ValueError("%d anchors for image size %s, outputs have %d" % (anchors.shape[0], image_size, num_anchors))
    scales = np.broadcast_to(np.asarray(1.0 if img_scale is None else img_scale, dtype=np.float64), (batch,))
    out = np.zeros((batch, max_det, 6), dtype=np.float64)
    k = min(topk, num_anchors * num_classes)
    for b in range(batch):
        flat = class_out[b].reshape(-1)
        top = np.argsort(-flat, kind="stable")[:k]
        anchor_idx = top // num_classes
        cls_idx = top % num_classes
        boxes = decode_boxes(box_out[b][anchor_idx], anchors[anchor_idx])
        if img_size is not None:
            w_max, h_max = np.asarray(img_size[b], dtype=np.float64) / scales[b]
            boxes = np.clip(boxes, 0.0, np.array([w_max, h_max, w_max, h_max]))
        scores = 1.0 / (1.0 + np.exp(-flat[top]))
        keep = batched_nms(boxes, scores, cls_idx, iou_threshold)[:max_det]
        n = len(keep)
        if n == 0:
            continue
        kb = boxes[keep]
        xywh = np.stack([kb[:, 0], kb[:, 1], kb[:, 2] - kb[:, 0], kb[:, 3] - kb[:, 1]], axis=1) * scales[b]
        out[b, :n, :4] = xywh
        out[b, :n, 4] = scores[keep]
        out[b, :n, 5] = cls_idx[keep] + 1
    return out
