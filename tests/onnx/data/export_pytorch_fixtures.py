"""Writes the PyTorch-exported ONNX fixtures of tests/onnx/pytorch_export_test.cpp.

Run once with Debian's interpreter when the fixtures must change, and commit the .onnx files:
    /usr/bin/python3 tests/onnx/data/export_pytorch_fixtures.py
The tests never run Python. One small network covers the ops whose ONNX form changed between
opsets 9 and 17 (Upsample/Resize, Slice, Pad, Clip, Split, Squeeze/Unsqueeze, ReduceSum, TopK,
Softmax, LayerNormalization, HardSwish), exported with a dynamic batch at each opset.
"""
import os

import torch
import torch.nn as nn
import torch.nn.functional as F


class Mixed(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.bn = nn.BatchNorm2d(8)
        self.norm = nn.LayerNorm(12)
        self.fc = nn.Linear(12, 5)

    def forward(self, x):  # x: [batch, 3, 6, 8]
        y = F.relu(self.bn(self.conv(x)))
        y = F.interpolate(y, scale_factor=2, mode="nearest")                          # 12x16
        y = F.interpolate(y, scale_factor=2, mode="bilinear", align_corners=False)    # 24x32
        y = F.max_pool2d(y, 2)                                                        # 12x16
        y = y[:, :, 1:-1, :]                                                          # 10x16
        a, b = torch.chunk(y, 2, dim=1)                                               # 4 ch each
        z = torch.softmax(a, dim=-1) + torch.log_softmax(b, dim=-1)
        z = F.pad(z, (1, 3, 0, 2), value=-1.0).clamp(-0.5, 0.5)                       # 12x20
        t = z.mean(dim=1).transpose(1, 2)                                             # [b, 20, 12]
        t = self.norm(t)
        t = t.sum(dim=1, keepdim=True).squeeze(1).unsqueeze(0)                        # [1, b, 12]
        values, indices = torch.topk(t, 3)
        logits = self.fc(F.hardswish(t) + F.gelu(t))
        return logits, values, indices


def main():
    torch.manual_seed(0)
    model = Mixed().eval()
    with torch.no_grad():
        model.bn.running_mean.uniform_(-0.5, 0.5)
        model.bn.running_var.uniform_(0.5, 1.5)
    out_dir = os.path.dirname(os.path.abspath(__file__))
    x = torch.randn(2, 3, 6, 8)
    for opset in (9, 11, 13, 17):
        torch.onnx.export(
            model, x, os.path.join(out_dir, f"pytorch_mixed_opset{opset}.onnx"),
            opset_version=opset, input_names=["image"],
            output_names=["logits", "values", "indices"],
            dynamic_axes={"image": {0: "batch"}})


if __name__ == "__main__":
    main()
