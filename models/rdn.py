"""RDN (Residual Dense Network, Zhang et al. 2018, arXiv:1802.08797) -- guide 001, x2 super-resolution.

Written after the structure of yjn870/RDN-pytorch ``models.py``; parameter names follow it
(``sfe1``, ``sfe2``, ``rdbs.<i>.layers.<j>.conv``, ``rdbs.<i>.lff``, ``gff.0``, ``gff.1``,
``upscale.0``, ``output``) so that the reference checkpoint ``rdn_x2.pth`` (a bare state dict)
loads as is. Input is RGB in [0, 1] (the reference divides 8-bit pixels by 255).

The x2 upscaler is conv(G0 -> 4 G0) + PixelShuffle(2): exported at opset 11 it is a DepthToSpace
(mode CRD), at opset 9 a Reshape -> Transpose (6-D) -> Reshape, as the guide's ONNX had.
"""
import torch
import torch.nn as nn


class DenseLayer(nn.Module):
    def __init__(self, in_channels, out_channels):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x):
        return torch.cat([x, self.relu(self.conv(x))], 1)


class RDB(nn.Module):
    """Residual dense block: ``num_layers`` densely connected 3x3 conv+ReLU, a 1x1 local feature
    fusion back to ``growth_rate`` channels, and a local residual."""

    def __init__(self, in_channels, growth_rate, num_layers):
        super().__init__()
        self.layers = nn.Sequential(*[DenseLayer(in_channels + growth_rate * i, growth_rate)
                                      for i in range(num_layers)])
        self.lff = nn.Conv2d(in_channels + growth_rate * num_layers, growth_rate, kernel_size=1)

    def forward(self, x):
        return x + self.lff(self.layers(x))


class RDN(nn.Module):
    def __init__(self, scale_factor=2, num_channels=3, num_features=64, growth_rate=64, num_blocks=16,
                 num_layers=8):
        super().__init__()
        if num_features != growth_rate:
            # The reference chains RDB(G0, ...) then RDB(G, ...): every block's input has G channels,
            # so it only works with G0 == G (as in all its configurations).
            raise ValueError("RDN needs num_features == growth_rate")
        if scale_factor not in (2, 3, 4):
            raise ValueError("RDN scale_factor must be 2, 3 or 4")
        self.num_blocks = num_blocks
        g0, g = num_features, growth_rate
        self.sfe1 = nn.Conv2d(num_channels, g0, kernel_size=3, padding=1)
        self.sfe2 = nn.Conv2d(g0, g0, kernel_size=3, padding=1)
        self.rdbs = nn.ModuleList([RDB(g0, g, num_layers)] +
                                  [RDB(g, g, num_layers) for _ in range(num_blocks - 1)])
        self.gff = nn.Sequential(
            nn.Conv2d(g * num_blocks, g0, kernel_size=1),
            nn.Conv2d(g0, g0, kernel_size=3, padding=1))
        ups = []
        if scale_factor in (2, 4):
            for _ in range(scale_factor // 2):
                ups += [nn.Conv2d(g0, g0 * 4, kernel_size=3, padding=1), nn.PixelShuffle(2)]
        else:
            ups += [nn.Conv2d(g0, g0 * scale_factor ** 2, kernel_size=3, padding=1),
                    nn.PixelShuffle(scale_factor)]
        self.upscale = nn.Sequential(*ups)
        self.output = nn.Conv2d(g0, num_channels, kernel_size=3, padding=1)

    def forward(self, x):
        sfe1 = self.sfe1(x)
        x = self.sfe2(sfe1)
        local_features = []
        for rdb in self.rdbs:
            x = rdb(x)
            local_features.append(x)
        x = self.gff(torch.cat(local_features, 1)) + sfe1
        x = self.upscale(x)
        return self.output(x)


def rdn_x2(tiny=False):
    if tiny:
        return RDN(scale_factor=2, num_features=16, growth_rate=16, num_blocks=3, num_layers=3)
    return RDN(scale_factor=2, num_features=64, growth_rate=64, num_blocks=16, num_layers=8)


def analytic_params(G0=64, G=64, D=16, C=8, scale=2, ch=3):
    """Parameter count of RDN written out by hand (checks the module tree)."""
    conv = lambda cin, cout, k: cin * cout * k * k + cout
    n = conv(ch, G0, 3) + conv(G0, G0, 3)
    for _ in range(D):
        n += sum(conv(G + G * i, G, 3) for i in range(C)) + conv(G + G * C, G, 1)
    n += conv(G * D, G0, 1) + conv(G0, G0, 3)
    n += conv(G0, G0 * 4, 3) * (scale // 2)
    n += conv(G0, ch, 3)
    return n


def analytic_macs(H=114, W=114, G0=64, G=64, D=16, C=8, scale=2, ch=3):
    """MACs of RDN x2 on an HxW input, written out by hand (conv MACs only; the pixel shuffle
    moves data and the residual adds are not counted)."""
    px = H * W
    macs = px * (ch * G0 * 9 + G0 * G0 * 9)
    macs += D * px * (sum((G + G * i) * G * 9 for i in range(C)) + (G + G * C) * G)
    macs += px * (G * D * G0 + G0 * G0 * 9)
    macs += px * G0 * G0 * 4 * 9
    macs += px * scale * scale * G0 * ch * 9
    return macs
