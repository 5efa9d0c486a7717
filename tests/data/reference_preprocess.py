"""The seed guides' preprocessing scripts, re-stated with the libraries they used (PIL, numpy,
torchvision, torch, OpenCV), so kiln prep can be compared with them value for value and timed
against them. Each function follows one script of Ascend's ModelZoo-PyTorch (ACL_PyTorch/...):

  dpn131   classfication/DPN131/imagenet_torch_preprocess.py (model_config['dpn131'])
  lvvit    classfication/LV-Vit/LV_Vit_preprocess.py (timm transforms_imagenet_eval, which is
           torchvision Resize(248, BICUBIC) + CenterCrop(224) + ToNumpy for crop_pct 0.9)
  resnet   torchvision's Resize(256) + CenterCrop(224) + ToTensor + Normalize(ImageNet)
  rdn      super_resolution/RDN/RDN_preprocess.py (cv2 + mmcv.imresize/impad, then PIL)
  intrada  segmentation/IntraDA/intrada_preprocess.py
  efficientdet_d0  detection/EfficientDetD0/preprocess.py (effdet ResizePad + PrefetchLoader)

Command line (the reference timing of the issue's note; --processes as the seeds' scripts use a
multiprocessing pool):
  python3 reference_preprocess.py PRESET SRC_DIR OUT_DIR [--limit N] [--processes N]
"""

import argparse
import os
import sys
import time

import numpy as np
from PIL import Image

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def _tv():
    import torchvision.transforms as transforms
    from torchvision.transforms import InterpolationMode
    return transforms, InterpolationMode


# --- imagenet_torch_preprocess.py (DPN-131) ------------------------------------------------------

DPN131_CONFIG = {"resize": 256, "centercrop": 224, "mean": [0.486, 0.459, 0.408],
                 "std": [0.235, 0.235, 0.235]}


def _seed_center_crop(img, output_size):
    image_width, image_height = img.size
    crop_height, crop_width = output_size, output_size
    crop_top = int(round((image_height - crop_height) / 2.))
    crop_left = int(round((image_width - crop_width) / 2.))
    return img.crop((crop_left, crop_top, crop_left + crop_width, crop_top + crop_height))


def _seed_resize(img, size, interpolation=Image.BILINEAR):
    w, h = img.size
    if (w <= h and w == size) or (h <= w and h == size):
        return img
    if w < h:
        return img.resize((size, int(size * h / w)), interpolation)
    return img.resize((int(size * w / h), size), interpolation)


def dpn131_pixels(path):
    image = Image.open(path).convert('RGB')
    image = _seed_resize(image, DPN131_CONFIG['resize'])
    return _seed_center_crop(image, DPN131_CONFIG['centercrop'])


def dpn131(path):
    img = np.array(dpn131_pixels(path), dtype=np.float32)
    img = img.transpose(2, 0, 1)
    img = img / 255.
    img -= np.array(DPN131_CONFIG['mean'], dtype=np.float32)[:, None, None]
    img /= np.array(DPN131_CONFIG['std'], dtype=np.float32)[:, None, None]
    return img


# --- LV_Vit_preprocess.py ------------------------------------------------------------------------

def lvvit_pixels(path):
    transforms, InterpolationMode = _tv()
    import math
    scale_size = int(math.floor(224 / 0.9))
    tf = transforms.Compose([transforms.Resize(scale_size, InterpolationMode.BICUBIC),
                             transforms.CenterCrop(224)])
    return tf(Image.open(path).convert('RGB'))


def lvvit(path):
    # timm's ToNumpy: uint8 CHW; then the script's float64 normalisation, cast to float32.
    img = np.array(lvvit_pixels(path), dtype=np.uint8).transpose(2, 0, 1).astype(np.float32)
    img = (img - np.array([x * 255 for x in IMAGENET_MEAN]).reshape(3, 1, 1)) / np.array(
        [x * 255 for x in IMAGENET_STD]).reshape(3, 1, 1)
    return img.astype(np.float32)


# --- torchvision default -------------------------------------------------------------------------

def resnet_pixels(path):
    transforms, _ = _tv()
    tf = transforms.Compose([transforms.Resize(256), transforms.CenterCrop(224)])
    return tf(Image.open(path).convert('RGB'))


def resnet(path):
    transforms, _ = _tv()
    tf = transforms.Compose([transforms.ToTensor(),
                             transforms.Normalize(IMAGENET_MEAN, IMAGENET_STD)])
    return tf(resnet_pixels(path)).numpy()


# --- RDN_preprocess.py ---------------------------------------------------------------------------

def rdn_images(path, size=228, scale=2):
    """(lr, hr) as the script makes them: uint8 HWC arrays in the script's (BGR) channel order."""
    import cv2
    image = cv2.imread(path)
    org_h, org_w = image.shape[0], image.shape[1]
    scale_ratio = min(size / org_w, size / org_h)
    new_w = int(np.floor(org_w * scale_ratio))
    new_h = int(np.floor(org_h * scale_ratio))
    image = cv2.resize(image, (new_w, new_h), interpolation=cv2.INTER_LINEAR)  # mmcv.imresize
    rh, rw = image.shape[0], image.shape[1]
    pad_left = (size - rw) // 2
    pad_top = (size - rh) // 2
    pad_right = size - pad_left - rw
    pad_bottom = size - pad_top - rh
    image = cv2.copyMakeBorder(image, pad_top, pad_bottom, pad_left, pad_right,
                               cv2.BORDER_CONSTANT, value=0)  # mmcv.impad, pad_val=0
    image = Image.fromarray(image)
    image_width = (image.width // scale) * scale
    image_height = (image.height // scale) * scale
    hr = image.resize((image_width, image_height), resample=Image.BICUBIC)
    lr = hr.resize((hr.width // scale, hr.height // scale), resample=Image.BICUBIC)
    return np.array(lr), np.array(hr)


def rdn(path):
    lr, _ = rdn_images(path)
    return np.expand_dims(lr.astype(np.float32).transpose([2, 0, 1]), 0)[0] / 255.0


# --- intrada_preprocess.py -----------------------------------------------------------------------

def intrada_pixels(path):
    transforms, InterpolationMode = _tv()
    return transforms.Resize((512, 1024), InterpolationMode.BICUBIC)(
        Image.open(path).convert('RGB'))


def intrada(path):
    import torch
    transforms, _ = _tv()
    image = transforms.ToTensor()(intrada_pixels(path))
    image *= 255.
    image = torch.flip(image, [0])  # the script's flip(image, 0): RGB -> BGR
    image -= torch.from_numpy(
        np.array((104.00698793, 116.66876762, 122.67891434), dtype=np.float32).reshape(-1, 1, 1))
    return image.numpy().astype(np.float32)


# --- EfficientDetD0/preprocess.py (effdet) -------------------------------------------------------

def efficientdet_pixels(path, target=512):
    img = Image.open(path).convert('RGB')
    width, height = img.size
    img_scale = min(target / height, target / width)
    scaled_h = int(height * img_scale)
    scaled_w = int(width * img_scale)
    fill = tuple([int(round(255 * x)) for x in IMAGENET_MEAN])  # resolve_fill_color('mean')
    new_img = Image.new("RGB", (target, target), color=fill)
    new_img.paste(img.resize((scaled_w, scaled_h), Image.BILINEAR))
    return new_img, 1. / img_scale


def efficientdet_d0(path):
    import torch
    new_img, _ = efficientdet_pixels(path)
    x = torch.from_numpy(np.moveaxis(np.array(new_img, dtype=np.uint8), 2, 0)).unsqueeze(0)
    mean = torch.tensor([v * 255 for v in IMAGENET_MEAN]).view(1, 3, 1, 1)
    std = torch.tensor([v * 255 for v in IMAGENET_STD]).view(1, 3, 1, 1)
    return x.float().sub_(mean).div_(std)[0].numpy()


PRESETS = {"dpn131": dpn131, "lvvit": lvvit, "resnet": resnet, "rdn": rdn, "intrada": intrada,
           "efficientdet_d0": efficientdet_d0}
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png")


def _prepare_files(job):
    preset, source, output, names = job
    for name in names:
        tensor = PRESETS[preset](os.path.join(source, name))
        tensor.tofile(os.path.join(output, name.split('.')[0] + ".bin"))
    return len(names)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("preset", choices=sorted(PRESETS))
    parser.add_argument("source")
    parser.add_argument("output")
    parser.add_argument("--limit", type=int, default=0)
    parser.add_argument("--processes", type=int, default=1)
    args = parser.parse_args()
    files = sorted(f for f in os.listdir(args.source) if f.lower().endswith(IMAGE_EXTENSIONS))
    if args.limit:
        files = files[:args.limit]
    os.makedirs(args.output, exist_ok=True)
    start = time.perf_counter()
    chunks = [files[i::args.processes] for i in range(args.processes)]
    jobs = [(args.preset, args.source, args.output, chunk) for chunk in chunks]
    if args.processes == 1:
        _prepare_files(jobs[0])
    else:
        import multiprocessing
        with multiprocessing.Pool(args.processes) as pool:
            pool.map(_prepare_files, jobs)
    seconds = time.perf_counter() - start
    print(f"{args.preset}: {len(files)} images in {seconds:.2f} s, "
          f"{len(files) / seconds:.1f} images/s ({args.processes} processes)")


if __name__ == "__main__":
    sys.exit(main())
