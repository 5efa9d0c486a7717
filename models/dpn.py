"""DPN (Dual Path Networks, Chen et al. 2017, arXiv:1707.01629) -- guide 000, DPN-131.

Written after the structure of Cadene's pretrained-models.pytorch ``dpn.py`` (itself Ross
Wightman's port of cypw's MXNet DPNs); module and parameter names follow it so that the
checkpoint ``dpn131-7af84be88.pth`` loads as is:
``features.conv1_1.conv.weight``, ``features.conv2_1.c1x1_w_s1.bn.running_mean``, ...,
``features.conv5_bn_ac.bn.weight``, ``last_linear.weight``.

Every block is pre-activation (BatchNorm -> ReLU -> Conv); the block input is the concat of the
residual path and the densely growing path, so most BatchNorms follow a Concat, not a Conv, and
cannot be folded into a convolution. Inference uses the reference's "test time pool": a 7x7/1
average pool, the 1x1-conv classifier, then (global average + global max) / 2.
"""
from collections import OrderedDict

import torch
import torch.nn as nn
import torch.nn.functional as F

BN_EPS = 0.001


class CatBnAct(nn.Module):
    def __init__(self, in_chs):
        super().__init__()
        self.bn = nn.BatchNorm2d(in_chs, eps=BN_EPS)
        self.act = nn.ReLU(inplace=True)

    def forward(self, x):
        if isinstance(x, tuple):
            x = torch.cat(x, dim=1)
        return self.act(self.bn(x))


class BnActConv2d(nn.Module):
    def __init__(self, in_chs, out_chs, kernel_size, stride, padding=0, groups=1):
        super().__init__()
        self.bn = nn.BatchNorm2d(in_chs, eps=BN_EPS)
        self.act = nn.ReLU(inplace=True)
        self.conv = nn.Conv2d(in_chs, out_chs, kernel_size, stride, padding, groups=groups, bias=False)

    def forward(self, x):
        return self.conv(self.act(self.bn(x)))


class InputBlock(nn.Module):
    def __init__(self, num_init_features, kernel_size=7, padding=3):
        super().__init__()
        self.conv = nn.Conv2d(3, num_init_features, kernel_size=kernel_size, stride=2, padding=padding,
                              bias=False)
        self.bn = nn.BatchNorm2d(num_init_features, eps=BN_EPS)
        self.act = nn.ReLU(inplace=True)
        self.pool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)

    def forward(self, x):
        return self.pool(self.act(self.bn(self.conv(x))))


class DualPathBlock(nn.Module):
    """One DPN block. ``block_type``: 'proj' (first block of conv2), 'down' (first of conv3-5,
    stride 2) or 'normal'. Output: (residual path, dense path)."""

    def __init__(self, in_chs, num_1x1_a, num_3x3_b, num_1x1_c, inc, groups, block_type="normal"):
        super().__init__()
        self.num_1x1_c = num_1x1_c
        self.key_stride = 2 if block_type == "down" else 1
        self.has_proj = block_type in ("proj", "down")
        if self.has_proj:
            # The reference names the projection by its stride (c1x1_w_s1 / c1x1_w_s2).
            proj = BnActConv2d(in_chs, num_1x1_c + 2 * inc, kernel_size=1, stride=self.key_stride)
            if self.key_stride == 2:
                self.c1x1_w_s2 = proj
            else:
                self.c1x1_w_s1 = proj
        self.c1x1_a = BnActConv2d(in_chs, num_1x1_a, kernel_size=1, stride=1)
        self.c3x3_b = BnActConv2d(num_1x1_a, num_3x3_b, kernel_size=3, stride=self.key_stride, padding=1,
                                  groups=groups)
        self.c1x1_c = BnActConv2d(num_3x3_b, num_1x1_c + inc, kernel_size=1, stride=1)

    def forward(self, x):
        x_in = torch.cat(x, dim=1) if isinstance(x, tuple) else x
        if self.has_proj:
            proj = self.c1x1_w_s2 if self.key_stride == 2 else self.c1x1_w_s1
            x_s = proj(x_in)
            x_s1 = x_s[:, :self.num_1x1_c, :, :]
            x_s2 = x_s[:, self.num_1x1_c:, :, :]
        else:
            x_s1, x_s2 = x
        out = self.c1x1_c(self.c3x3_b(self.c1x1_a(x_in)))
        out1 = out[:, :self.num_1x1_c, :, :]
        out2 = out[:, self.num_1x1_c:, :, :]
        resid = x_s1 + out1
        dense = torch.cat([x_s2, out2], dim=1)
        return resid, dense


class DPN(nn.Module):
    """DPN with the reference's constructor arguments plus ``bw_base`` (64 in every published
    DPN; the tiny variant shrinks it) and ``test_pool_kernel`` (7 = input/32 for 224x224)."""

    def __init__(self, num_init_features=64, k_r=96, groups=32, k_sec=(3, 4, 20, 3),
                 inc_sec=(16, 32, 24, 128), num_classes=1000, bw_base=64, test_pool_kernel=7):
        super().__init__()
        self.test_pool_kernel = test_pool_kernel
        bw_factor = 4
        blocks = OrderedDict()
        blocks["conv1_1"] = InputBlock(num_init_features, kernel_size=7, padding=3)
        in_chs = num_init_features
        for stage, (n_blocks, inc) in enumerate(zip(k_sec, inc_sec)):
            bw = bw_base * bw_factor * (1 << stage)
            r = (k_r * bw) // (bw_base * bw_factor)
            name = "conv%d_" % (stage + 2)
            first = "proj" if stage == 0 else "down"
            blocks[name + "1"] = DualPathBlock(in_chs, r, r, bw, inc, groups, first)
            in_chs = bw + 3 * inc
            for i in range(2, n_blocks + 1):
                blocks[name + str(i)] = DualPathBlock(in_chs, r, r, bw, inc, groups, "normal")
                in_chs += inc
        blocks["conv5_bn_ac"] = CatBnAct(in_chs)
        self.features = nn.Sequential(blocks)
        # The classifier is a 1x1 conv so the test-time pooling can run after it.
        self.last_linear = nn.Conv2d(in_chs, num_classes, kernel_size=1, bias=True)

    def forward(self, x):
        x = self.features(x)
        x = F.avg_pool2d(x, kernel_size=self.test_pool_kernel, stride=1, count_include_pad=False)
        x = self.last_linear(x)
        # adaptive "avgmax" pool of the reference: 0.5 * (global avg + global max)
        x = 0.5 * (F.adaptive_avg_pool2d(x, 1) + F.adaptive_max_pool2d(x, 1))
        return torch.flatten(x, 1)


def dpn131(tiny=False):
    if tiny:
        return DPN(num_init_features=16, k_r=16, groups=4, k_sec=(2, 2, 3, 2), inc_sec=(4, 8, 8, 16),
                   bw_base=8, test_pool_kernel=3)
    return DPN(num_init_features=128, k_r=160, groups=40, k_sec=(4, 8, 28, 3), inc_sec=(16, 32, 32, 128))


def residual_last_bns(model):
    """Names of the last BatchNorm of each residual branch (damped by the weight init): the BN in
    front of each block's last 1x1 conv."""
    return [name + ".c1x1_c.bn" for name, m in model.named_modules() if isinstance(m, DualPathBlock)]
