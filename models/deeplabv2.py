"""DeepLab-v2 with a ResNet-101 backbone, ADVENT / IntraDA flavour -- guide 003.

Written after the structure of valeoai/ADVENT ``advent/model/deeplabv2.py`` (which IntraDA
installs and uses); parameter names follow it (``conv1``, ``bn1``, ``layer1..4.<i>.conv1..3``,
``bn1..3``, ``downsample.0/1``, ``layer5``/``layer6.conv2d_list.<j>``) so an IntraDA checkpoint
loads as is. Details that differ from torchvision's ResNet-101 and that this file keeps:

* the stride of a bottleneck sits on its first 1x1 conv, not on the 3x3 conv;
* the stem max pool uses ``ceil_mode=True`` (512x1024 -> 129x257 after it);
* layer3 and layer4 keep stride 1 and use dilation 2 and 4 (output stride 8), and every one of
  their blocks' 3x3 convs is dilated; their first block always has a projection shortcut;
* the classifier ("ASPP" of DeepLab-v2) is four 3x3 convs with dilation = padding = 6, 12, 18, 24
  straight to 19 classes, whose outputs are summed.

ADVENT builds the model with ``multi_level=True``: ``layer5`` is a second classifier on layer3's
output, used only for training losses (evaluation takes the main output, ``model(x)[1]``).
The exported network returns the main output only, 1x19x65x129 for 1x3x512x1024; ``layer5`` is not
built and its keys are ignored when a checkpoint is loaded (see ``ignored_checkpoint_prefixes``).
"""
import torch.nn as nn

BN_EPS = 1e-5


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, inplanes, planes, stride=1, dilation=1, downsample=None):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, kernel_size=1, stride=stride, bias=False)
        self.bn1 = nn.BatchNorm2d(planes, eps=BN_EPS)
        self.conv2 = nn.Conv2d(planes, planes, kernel_size=3, stride=1, padding=dilation, bias=False,
                               dilation=dilation)
        self.bn2 = nn.BatchNorm2d(planes, eps=BN_EPS)
        self.conv3 = nn.Conv2d(planes, planes * 4, kernel_size=1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * 4, eps=BN_EPS)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x):
        residual = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + residual)


class ClassifierModule(nn.Module):
    def __init__(self, inplanes, dilation_series, padding_series, num_classes):
        super().__init__()
        self.conv2d_list = nn.ModuleList(
            nn.Conv2d(inplanes, num_classes, kernel_size=3, stride=1, padding=p, dilation=d, bias=True)
            for d, p in zip(dilation_series, padding_series))

    def forward(self, x):
        out = self.conv2d_list[0](x)
        for conv in self.conv2d_list[1:]:
            out = out + conv(x)
        return out


class ResNetMulti(nn.Module):
    def __init__(self, layers=(3, 4, 23, 3), num_classes=19, base_width=64):
        super().__init__()
        w = base_width
        self.inplanes = w
        self.conv1 = nn.Conv2d(3, w, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(w, eps=BN_EPS)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1, ceil_mode=True)
        self.layer1 = self._make_layer(w, layers[0])
        self.layer2 = self._make_layer(w * 2, layers[1], stride=2)
        self.layer3 = self._make_layer(w * 4, layers[2], stride=1, dilation=2)
        self.layer4 = self._make_layer(w * 8, layers[3], stride=1, dilation=4)
        self.layer6 = ClassifierModule(w * 8 * 4, [6, 12, 18, 24], [6, 12, 18, 24], num_classes)

    def _make_layer(self, planes, blocks, stride=1, dilation=1):
        downsample = None
        if stride != 1 or self.inplanes != planes * 4 or dilation in (2, 4):
            downsample = nn.Sequential(
                nn.Conv2d(self.inplanes, planes * 4, kernel_size=1, stride=stride, bias=False),
                nn.BatchNorm2d(planes * 4, eps=BN_EPS))
        layers = [Bottleneck(self.inplanes, planes, stride, dilation=dilation, downsample=downsample)]
        self.inplanes = planes * 4
        for _ in range(1, blocks):
            layers.append(Bottleneck(self.inplanes, planes, dilation=dilation))
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.layer6(x)


# Keys of the reference checkpoint that this inference model does not use (the auxiliary
# classifier of multi-level training).
ignored_checkpoint_prefixes = ("layer5.",)


def deeplabv2(tiny=False):
    if tiny:
        return ResNetMulti(layers=(1, 1, 2, 1), num_classes=19, base_width=8)
    return ResNetMulti(layers=(3, 4, 23, 3), num_classes=19)


def residual_last_bns(model):
    return [name + ".bn3" for name, m in model.named_modules() if isinstance(m, Bottleneck)]


def analytic_params(layers=(3, 4, 23, 3), w=64, num_classes=19):
    """Parameter count written out by hand: convs, 2 BN parameters per channel, the classifier."""
    n = 3 * w * 49 + 2 * w
    inplanes = w
    for i, nb in enumerate(layers):
        planes = w << i
        for b in range(nb):
            n += inplanes * planes + planes * planes * 9 + planes * planes * 4 + 2 * (planes * 6)
            if b == 0:
                n += inplanes * planes * 4 + 2 * planes * 4
            inplanes = planes * 4
    n += 4 * (inplanes * num_classes * 9 + num_classes)
    return n


def analytic_macs(H=512, W=1024, layers=(3, 4, 23, 3), w=64, num_classes=19):
    """MACs (convs only) written out by hand for an HxW input."""
    h, wd = (H + 1) // 2, (W + 1) // 2            # conv1 7x7/2, pad 3
    macs = h * wd * 3 * w * 49
    ceil_div = lambda n: -(-(n + 2 - 3) // 2) + 1   # max pool 3/2, pad 1, ceil mode
    h, wd = ceil_div(h), ceil_div(wd)
    inplanes = w
    for i, nb in enumerate(layers):
        planes = w << i
        for b in range(nb):
            if b == 0 and i == 1:                   # layer2: stride 2 on the first 1x1 conv
                h, wd = (h - 1) // 2 + 1, (wd - 1) // 2 + 1
            px = h * wd
            macs += px * (inplanes * planes + planes * planes * 9 + planes * planes * 4)
            if b == 0:
                macs += px * inplanes * planes * 4
            inplanes = planes * 4
    macs += 4 * h * wd * inplanes * num_classes * 9
    return macs
