"""EfficientDet-D0 (Tan et al. 2020, arXiv:1911.09070) -- guide 004.

Written after the structure of rwightman/efficientdet-pytorch (``effdet/efficientdet.py``,
``effdet/config``) with timm's ``tf_efficientnet_b0`` as backbone, which is what the guide's
``pth2onnx.py`` builds (``get_efficientdet_config('tf_efficientdet_d0')``). Parameter names
follow the reference so its D0 checkpoint loads as is: ``backbone.conv_stem``, ``backbone.bn1``,
``backbone.blocks.<stage>.<block>.{conv_pw,bn1,conv_dw,bn2,se.conv_reduce,se.conv_expand,
conv_pwl,bn3}``, ``fpn.resample.3.conv.{conv,bn}``, ``fpn.cell.<r>.fnode.<n>.combine.edge_weights``,
``fpn.cell.<r>.fnode.<n>.combine.resample.<offset>.conv.{conv,bn}``,
``fpn.cell.<r>.fnode.<n>.after_combine.conv.{conv_dw,conv_pw,bn}``,
``class_net/box_net.conv_rep.<i>.{conv_dw,conv_pw}``, ``class_net/box_net.bn_rep.<i>.<level>.bn``,
``class_net/box_net.predict.{conv_dw,conv_pw}``.

The TF-compatible configuration: BatchNorm eps 1e-3, Swish (x * sigmoid(x)) activations,
TensorFlow 'SAME' padding, a bias before every BatchNorm in the BiFPN and heads
("redundant bias"), BiFPN with fast normalised fusion (relu(w_i) / (sum relu(w) + 1e-4)),
max-pool downsampling and nearest-neighbour upsampling. 'SAME' padding is made static: a conv or
pool with stride 1 pads symmetrically inside the op; a stride-2 one is preceded by an explicit Pad
(zeros for convs, -inf for max pools, as timm's Conv2dSame / MaxPool2dSame) computed from the
input size at trace time -- the exported ONNX has fixed spatial sizes and a dynamic batch.

Outputs (as in the reference ``_post_process``): per level, class logits N x (9*90) x H x W and box
regressions N x (9*4) x H x W are transposed to NHWC and flattened, then levels P3..P7 are
concatenated: ``class_out`` N x A x 90 and ``box_out`` N x A x 4 with A = 9 * sum(H_l * W_l)
(49104 for 512x512). Anchor a = (y * W_l + x) * 9 + k within level l; box codes are
(ty, tx, th, tw). See efficientdet_postprocess.py.
"""
import math
from collections import OrderedDict

import torch
import torch.nn as nn
import torch.nn.functional as F

BN_EPS = 1e-3


class Swish(nn.Module):
    def forward(self, x):
        return x * torch.sigmoid(x)


def _same_pads(size, k, s, d=1):
    """TensorFlow 'SAME' padding (before, after) of one spatial dimension."""
    total = max((-(-size // s) - 1) * s + (k - 1) * d + 1 - size, 0)
    return total // 2, total - total // 2


class Conv2dSame(nn.Conv2d):
    """nn.Conv2d with TensorFlow 'SAME' padding. Stride 1 (odd kernel): symmetric padding in the
    conv. Otherwise an explicit zero Pad whose amounts come from the input size as Python ints, so
    the exported graph has a constant Pad."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, dilation=1, groups=1, bias=True):
        static = stride == 1 and (dilation * (kernel_size - 1)) % 2 == 0
        padding = (dilation * (kernel_size - 1)) // 2 if static else 0
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias)
        self.dynamic_same = not static

    def forward(self, x):
        if self.dynamic_same:
            ph = _same_pads(int(x.shape[-2]), self.kernel_size[0], self.stride[0], self.dilation[0])
            pw = _same_pads(int(x.shape[-1]), self.kernel_size[1], self.stride[1], self.dilation[1])
            if any(ph + pw):
                x = F.pad(x, [pw[0], pw[1], ph[0], ph[1]])
        return super().forward(x)


class MaxPool2dSame(nn.Module):
    """Max pool with TensorFlow 'SAME' padding: explicit Pad with -inf, then an unpadded pool."""

    def __init__(self, kernel_size, stride):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride

    def forward(self, x):
        ph = _same_pads(int(x.shape[-2]), self.kernel_size, self.stride)
        pw = _same_pads(int(x.shape[-1]), self.kernel_size, self.stride)
        if any(ph + pw):
            x = F.pad(x, [pw[0], pw[1], ph[0], ph[1]], value=-float("inf"))
        return F.max_pool2d(x, self.kernel_size, self.stride)


# ------------------------------------------------------------------------------------------
# Backbone: timm's tf_efficientnet_b0 with features_only=True, out_indices=(2, 3, 4)
# ------------------------------------------------------------------------------------------

class SqueezeExcite(nn.Module):
    def __init__(self, chs, reduced_chs):
        super().__init__()
        self.conv_reduce = nn.Conv2d(chs, reduced_chs, 1, bias=True)
        self.act1 = Swish()
        self.conv_expand = nn.Conv2d(reduced_chs, chs, 1, bias=True)

    def forward(self, x):
        s = x.mean((2, 3), keepdim=True)
        s = self.conv_expand(self.act1(self.conv_reduce(s)))
        return x * torch.sigmoid(s)


class DepthwiseSeparableConv(nn.Module):
    def __init__(self, in_chs, out_chs, k, stride, se_ratio):
        super().__init__()
        self.has_residual = stride == 1 and in_chs == out_chs
        self.conv_dw = Conv2dSame(in_chs, in_chs, k, stride, groups=in_chs, bias=False)
        self.bn1 = nn.BatchNorm2d(in_chs, eps=BN_EPS)
        self.act1 = Swish()
        self.se = SqueezeExcite(in_chs, max(1, int(in_chs * se_ratio)))
        self.conv_pw = Conv2dSame(in_chs, out_chs, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_chs, eps=BN_EPS)

    def forward(self, x):
        y = self.act1(self.bn1(self.conv_dw(x)))
        y = self.bn2(self.conv_pw(self.se(y)))
        return x + y if self.has_residual else y


class InvertedResidual(nn.Module):
    def __init__(self, in_chs, out_chs, k, stride, exp_ratio, se_ratio):
        super().__init__()
        mid = in_chs * exp_ratio
        self.has_residual = stride == 1 and in_chs == out_chs
        self.conv_pw = Conv2dSame(in_chs, mid, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(mid, eps=BN_EPS)
        self.act1 = Swish()
        self.conv_dw = Conv2dSame(mid, mid, k, stride, groups=mid, bias=False)
        self.bn2 = nn.BatchNorm2d(mid, eps=BN_EPS)
        self.act2 = Swish()
        # timm's EfficientNet reduces the SE from the block's input channels, not its expansion.
        self.se = SqueezeExcite(mid, max(1, int(in_chs * se_ratio)))
        self.conv_pwl = Conv2dSame(mid, out_chs, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(out_chs, eps=BN_EPS)

    def forward(self, x):
        y = self.act1(self.bn1(self.conv_pw(x)))
        y = self.act2(self.bn2(self.conv_dw(y)))
        y = self.bn3(self.conv_pwl(self.se(y)))
        return x + y if self.has_residual else y


# (block type, repeats, kernel, stride, expansion, out channels) of EfficientNet-B0
B0_STAGES = (("ds", 1, 3, 1, 1, 16), ("ir", 2, 3, 2, 6, 24), ("ir", 2, 5, 2, 6, 40), ("ir", 3, 3, 2, 6, 80),
             ("ir", 3, 5, 1, 6, 112), ("ir", 4, 5, 2, 6, 192), ("ir", 1, 3, 1, 6, 320))


class EfficientNetFeatures(nn.Module):
    """EfficientNet trunk returning the stride 8, 16 and 32 features (ends of stages 2, 4, 6)."""

    def __init__(self, stages=B0_STAGES, stem_chs=32, se_ratio=0.25):
        super().__init__()
        self.conv_stem = Conv2dSame(3, stem_chs, 3, stride=2, bias=False)
        self.bn1 = nn.BatchNorm2d(stem_chs, eps=BN_EPS)
        self.act1 = Swish()
        blocks = []
        in_chs = stem_chs
        for kind, repeats, k, stride, exp, out_chs in stages:
            stage = []
            for i in range(repeats):
                s = stride if i == 0 else 1
                if kind == "ds":
                    stage.append(DepthwiseSeparableConv(in_chs, out_chs, k, s, se_ratio))
                else:
                    stage.append(InvertedResidual(in_chs, out_chs, k, s, exp, se_ratio))
                in_chs = out_chs
            blocks.append(nn.Sequential(*stage))
        self.blocks = nn.Sequential(*blocks)
        self.out_stages = (2, 4, 6)
        self.feature_channels = [stages[i][5] for i in self.out_stages]

    def forward(self, x):
        x = self.act1(self.bn1(self.conv_stem(x)))
        features = []
        for i, stage in enumerate(self.blocks):
            x = stage(x)
            if i in self.out_stages:
                features.append(x)
        return features


# ------------------------------------------------------------------------------------------
# BiFPN and heads
# ------------------------------------------------------------------------------------------

class ConvBnAct2d(nn.Module):
    def __init__(self, in_chs, out_chs, kernel_size, bias, bn=True, act=False):
        super().__init__()
        self.conv = Conv2dSame(in_chs, out_chs, kernel_size, bias=bias)
        self.bn = nn.BatchNorm2d(out_chs, eps=BN_EPS) if bn else None
        self.act = Swish() if act else None

    def forward(self, x):
        x = self.conv(x)
        if self.bn is not None:
            x = self.bn(x)
        if self.act is not None:
            x = self.act(x)
        return x


class SeparableConv2d(nn.Module):
    def __init__(self, in_chs, out_chs, kernel_size=3, bias=True, bn=True):
        super().__init__()
        self.conv_dw = Conv2dSame(in_chs, in_chs, kernel_size, groups=in_chs, bias=False)
        self.conv_pw = Conv2dSame(in_chs, out_chs, 1, bias=bias)
        self.bn = nn.BatchNorm2d(out_chs, eps=BN_EPS) if bn else None

    def forward(self, x):
        x = self.conv_pw(self.conv_dw(x))
        return self.bn(x) if self.bn is not None else x


class ResampleFeatureMap(nn.Sequential):
    """1x1 conv + BN when the channel count changes, then 'SAME' max-pool 3x3/2 (downsample) or
    nearest x2 (upsample)."""

    def __init__(self, in_chs, out_chs, reduction_ratio):
        super().__init__()
        if in_chs != out_chs:
            self.add_module("conv", ConvBnAct2d(in_chs, out_chs, 1, bias=True, bn=True))
        if reduction_ratio > 1:
            stride = int(reduction_ratio)
            self.add_module("downsample", MaxPool2dSame(stride + 1, stride))
        elif reduction_ratio < 1:
            self.add_module("upsample", nn.UpsamplingNearest2d(scale_factor=int(1 // reduction_ratio)))


class FpnCombine(nn.Module):
    """Resample the inputs of one BiFPN node to its resolution and fuse them with fast normalised
    weights."""

    def __init__(self, feature_info, nodes, fpn_chs, inputs_offsets, target_reduction):
        super().__init__()
        self.inputs_offsets = list(inputs_offsets)
        self.resample = nn.ModuleDict()
        for offset in self.inputs_offsets:
            if offset < len(feature_info):
                in_chs, in_red = feature_info[offset]
            else:
                in_chs, in_red = fpn_chs, nodes[offset - len(feature_info)]["reduction"]
            self.resample[str(offset)] = ResampleFeatureMap(in_chs, fpn_chs, target_reduction / in_red)
        self.edge_weights = nn.Parameter(torch.ones(len(self.inputs_offsets)))

    def forward(self, x):
        nodes = [self.resample[str(o)](x[o]) for o in self.inputs_offsets]
        w = F.relu(self.edge_weights)
        w_sum = torch.sum(w)
        x = torch.stack([(nodes[i] * w[i]) / (w_sum + 0.0001) for i in range(len(nodes))], dim=-1)
        return torch.sum(x, dim=-1)


def bifpn_nodes(min_level=3, max_level=7):
    """The BiFPN graph of the reference's ``bifpn_config``: a top-down then a bottom-up path.
    Inputs are offsets into [P3..P7, node0, node1, ...]."""
    num_levels = max_level - min_level + 1
    node_ids = {min_level + i: [i] for i in range(num_levels)}
    next_id = num_levels
    nodes = []
    for i in range(max_level - 1, min_level - 1, -1):
        nodes.append({"reduction": 1 << i, "inputs_offsets": [node_ids[i][-1], node_ids[i + 1][-1]]})
        node_ids[i].append(next_id)
        next_id += 1
    for i in range(min_level + 1, max_level + 1):
        nodes.append({"reduction": 1 << i, "inputs_offsets": node_ids[i] + [node_ids[i - 1][-1]]})
        node_ids[i].append(next_id)
        next_id += 1
    return nodes


class BiFpnLayer(nn.Module):
    def __init__(self, feature_info, fpn_chs, num_levels=5):
        super().__init__()
        self.num_levels = num_levels
        nodes = bifpn_nodes()
        self.fnode = nn.ModuleList()
        for cfg in nodes:
            combine = FpnCombine(feature_info, nodes, fpn_chs, cfg["inputs_offsets"], cfg["reduction"])
            after_combine = nn.Sequential(OrderedDict([
                ("act", Swish()),
                ("conv", SeparableConv2d(fpn_chs, fpn_chs, 3, bias=True, bn=True))]))
            self.fnode.append(nn.Sequential(OrderedDict([("combine", combine), ("after_combine", after_combine)])))
        self.feature_info = [(fpn_chs, cfg["reduction"]) for cfg in nodes][-num_levels:]

    def forward(self, x):
        x = list(x)
        for fn in self.fnode:
            x.append(fn(x))
        return x[-self.num_levels:]


class BiFpn(nn.Module):
    def __init__(self, backbone_chs, fpn_chs, cell_repeats, num_levels=5):
        super().__init__()
        feature_info = [(c, 8 << i) for i, c in enumerate(backbone_chs)]
        self.resample = nn.ModuleDict()
        in_chs, reduction = feature_info[-1]
        for level in range(len(feature_info), num_levels):
            self.resample[str(level)] = ResampleFeatureMap(in_chs, fpn_chs, 2)
            in_chs, reduction = fpn_chs, reduction * 2
            feature_info.append((in_chs, reduction))
        self.cell = nn.Sequential()
        for rep in range(cell_repeats):
            layer = BiFpnLayer(feature_info, fpn_chs, num_levels)
            self.cell.add_module(str(rep), layer)
            feature_info = layer.feature_info

    def forward(self, x):
        x = list(x)
        for r in self.resample.values():
            x.append(r(x[-1]))
        for layer in self.cell:
            x = layer(x)
        return x


class HeadNet(nn.Module):
    def __init__(self, fpn_chs, num_outputs, repeats, num_levels=5, num_anchors=9):
        super().__init__()
        self.num_levels = num_levels
        self.conv_rep = nn.ModuleList(SeparableConv2d(fpn_chs, fpn_chs, 3, bias=True, bn=False)
                                      for _ in range(repeats))
        self.bn_rep = nn.ModuleList(
            nn.ModuleList(nn.Sequential(OrderedDict([("bn", nn.BatchNorm2d(fpn_chs, eps=BN_EPS))]))
                          for _ in range(num_levels))
            for _ in range(repeats))
        self.act = Swish()
        self.predict = SeparableConv2d(fpn_chs, num_outputs * num_anchors, 3, bias=True, bn=False)

    def forward(self, x):
        outputs = []
        for level in range(self.num_levels):
            y = x[level]
            for conv, bns in zip(self.conv_rep, self.bn_rep):
                y = self.act(bns[level](conv(y)))
            outputs.append(self.predict(y))
        return outputs


class EfficientDet(nn.Module):
    def __init__(self, num_classes=90, fpn_chs=64, fpn_cell_repeats=3, box_class_repeats=3,
                 stages=B0_STAGES, stem_chs=32, num_anchors=9):
        super().__init__()
        self.num_classes = num_classes
        self.backbone = EfficientNetFeatures(stages, stem_chs)
        self.fpn = BiFpn(self.backbone.feature_channels, fpn_chs, fpn_cell_repeats)
        self.class_net = HeadNet(fpn_chs, num_classes, box_class_repeats, num_anchors=num_anchors)
        self.box_net = HeadNet(fpn_chs, 4, box_class_repeats, num_anchors=num_anchors)

    def forward(self, x):
        feats = self.fpn(self.backbone(x))
        cls = self.class_net(feats)
        box = self.box_net(feats)
        b = x.shape[0]
        class_out = torch.cat([c.permute(0, 2, 3, 1).reshape(b, -1, self.num_classes) for c in cls], 1)
        box_out = torch.cat([o.permute(0, 2, 3, 1).reshape(b, -1, 4) for o in box], 1)
        return class_out, box_out


TINY_STAGES = (("ds", 1, 3, 1, 1, 8), ("ir", 1, 3, 2, 2, 8), ("ir", 2, 5, 2, 2, 16), ("ir", 1, 3, 2, 2, 16),
               ("ir", 1, 5, 1, 2, 24), ("ir", 2, 5, 2, 2, 24), ("ir", 1, 3, 1, 2, 32))


def efficientdet_d0(tiny=False):
    if tiny:
        return EfficientDet(num_classes=90, fpn_chs=16, fpn_cell_repeats=2, box_class_repeats=2,
                            stages=TINY_STAGES, stem_chs=8)
    return EfficientDet()


def residual_last_bns(model):
    """The last BatchNorm of each backbone block that has a skip connection."""
    out = []
    for name, m in model.named_modules():
        if isinstance(m, InvertedResidual) and m.has_residual:
            out.append(name + ".bn3")
        elif isinstance(m, DepthwiseSeparableConv) and m.has_residual:
            out.append(name + ".bn2")
    return out


def init_extra(model, generator):
    """BiFPN fusion weights: random positive values instead of the reference's ones."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, FpnCombine):
                m.edge_weights.copy_(torch.rand(m.edge_weights.shape, generator=generator) + 0.5)
