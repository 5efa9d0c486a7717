"""LV-ViT (All Tokens Matter: Token Labeling, Jiang et al. 2021, arXiv:2104.10858) -- guide 002, LV-ViT-S.

Written after the structure of zihangJiang/TokenLabeling (``tlt/models/lvvit.py`` and
``models/layers.py``); parameter names follow it so that ``lvvit_s-26M-224-83.3.pth.tar`` loads:
``patch_embed.conv1/bn1/conv2/bn2/conv3/bn3/proj``, ``cls_token``, ``pos_embed``,
``blocks.<i>.norm1``, ``blocks.<i>.attn.qkv`` (no bias), ``blocks.<i>.attn.proj``,
``blocks.<i>.norm2``, ``blocks.<i>.mlp.fc1/fc2``, ``norm``, ``head``, ``aux_head``.

LV-ViT-S: a 4-conv patch stem (7x7/2 conv, two 3x3 convs with BatchNorm+ReLU, then an 8x8/8
projection to 384 channels: 14x14 tokens for 224x224), a class token, 16 pre-norm transformer
blocks (6 heads of 64, MLP ratio 3, GELU) whose residual branches are divided by skip_lam = 2,
and at inference ``head(cls) + 0.5 * max over patch tokens of aux_head(tokens)``.
"""
import torch
import torch.nn as nn

from common import MatMul


class Mlp(nn.Module):
    def __init__(self, in_features, hidden_features):
        super().__init__()
        self.fc1 = nn.Linear(in_features, hidden_features)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden_features, in_features)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


class Attention(nn.Module):
    def __init__(self, dim, num_heads, qkv_bias=False):
        super().__init__()
        self.num_heads = num_heads
        self.head_dim = dim // num_heads
        self.scale = self.head_dim ** -0.5
        self.qkv = nn.Linear(dim, self.head_dim * num_heads * 3, bias=qkv_bias)
        self.proj = nn.Linear(self.head_dim * num_heads, dim)
        self.qk = MatMul()
        self.av = MatMul()

    def forward(self, x):
        b, n, c = x.shape
        qkv = self.qkv(x).reshape(b, n, 3, self.num_heads, self.head_dim).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        attn = self.qk(q * self.scale, k.transpose(-2, -1)).softmax(dim=-1)
        x = self.av(attn, v).transpose(1, 2).reshape(b, n, self.head_dim * self.num_heads)
        return self.proj(x)


class Block(nn.Module):
    def __init__(self, dim, num_heads, mlp_ratio, skip_lam):
        super().__init__()
        self.skip_lam = skip_lam
        self.norm1 = nn.LayerNorm(dim)
        self.attn = Attention(dim, num_heads)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = Mlp(dim, int(dim * mlp_ratio))

    def forward(self, x):
        x = x + self.attn(self.norm1(x)) / self.skip_lam
        x = x + self.mlp(self.norm2(x)) / self.skip_lam
        return x


class PatchEmbed4_2(nn.Module):
    """The reference's 4-layer conv stem (``p_emb='4_2'``); ``stem_chs`` is 64 there."""

    def __init__(self, patch_size=16, in_chans=3, embed_dim=384, stem_chs=64):
        super().__init__()
        new_patch = patch_size // 2
        self.conv1 = nn.Conv2d(in_chans, stem_chs, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(stem_chs)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(stem_chs, stem_chs, kernel_size=3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(stem_chs)
        self.conv3 = nn.Conv2d(stem_chs, stem_chs, kernel_size=3, stride=1, padding=1, bias=False)
        self.bn3 = nn.BatchNorm2d(stem_chs)
        self.proj = nn.Conv2d(stem_chs, embed_dim, kernel_size=new_patch, stride=new_patch)

    def forward(self, x):
        x = self.relu(self.bn1(self.conv1(x)))
        x = self.relu(self.bn2(self.conv2(x)))
        x = self.relu(self.bn3(self.conv3(x)))
        return self.proj(x)


class LVViT(nn.Module):
    def __init__(self, img_size=224, patch_size=16, num_classes=1000, embed_dim=384, depth=16, num_heads=6,
                 mlp_ratio=3.0, skip_lam=2.0, stem_chs=64):
        super().__init__()
        self.patch_embed = PatchEmbed4_2(patch_size, 3, embed_dim, stem_chs)
        num_patches = (img_size // patch_size) ** 2
        self.cls_token = nn.Parameter(torch.zeros(1, 1, embed_dim))
        self.pos_embed = nn.Parameter(torch.zeros(1, num_patches + 1, embed_dim))
        self.blocks = nn.ModuleList([Block(embed_dim, num_heads, mlp_ratio, skip_lam) for _ in range(depth)])
        self.norm = nn.LayerNorm(embed_dim)
        self.head = nn.Linear(embed_dim, num_classes)
        self.aux_head = nn.Linear(embed_dim, num_classes)

    def forward(self, x):
        x = self.patch_embed(x)
        x = x.flatten(2).transpose(1, 2)
        cls_tokens = self.cls_token.expand(x.shape[0], -1, -1)
        x = torch.cat((cls_tokens, x), dim=1) + self.pos_embed
        for blk in self.blocks:
            x = blk(x)
        x = self.norm(x)
        x_cls = self.head(x[:, 0])
        x_aux = self.aux_head(x[:, 1:])
        return x_cls + 0.5 * x_aux.max(1)[0]


def lvvit_s(tiny=False):
    if tiny:
        return LVViT(img_size=64, embed_dim=64, depth=2, num_heads=2, mlp_ratio=3.0, skip_lam=2.0, stem_chs=16,
                     num_classes=1000)
    return LVViT(img_size=224, embed_dim=384, depth=16, num_heads=6, mlp_ratio=3.0, skip_lam=2.0)
