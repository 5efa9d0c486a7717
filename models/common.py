"""Shared helpers of the kiln model zoo: deterministic weights, MAC counting, checkpoint loading.

Everything here is plain PyTorch (Debian's python3-torch 1.13) and numpy.
"""
import math

import torch
import torch.nn as nn


class ZooError(Exception):
    """A user-facing error: the message is printed as one line and export.py exits with status 1."""


class MatMul(nn.Module):
    """``a @ b`` as a module, so forward hooks can count the MACs of attention matmuls.

    It has no parameters and exports as a plain ONNX MatMul.
    """

    def forward(self, a, b):
        return a @ b


# --------------------------------------------------------------------------------------------
# MAC counting
# --------------------------------------------------------------------------------------------

def count_params(model):
    """Number of parameters (not buffers) of ``model``."""
    return sum(p.numel() for p in model.parameters())


def count_macs(model, input_shape, inplace=False):
    """Multiply-accumulates of one forward pass of ``model`` on an input of ``input_shape``.

    Counts Conv2d (output elements x in_channels/groups x kernel area), Linear (output elements x
    in_features) and ``MatMul`` modules (output elements x inner dimension). BatchNorm, activations,
    pooling and element-wise ops are not counted (that is how the published figures count).
    The forward runs on a deep copy of the model moved to the ``meta`` device, so it is free
    (``inplace=True`` moves ``model`` itself, losing its weights, and saves the copy).
    """
    import copy

    meta = (model if inplace else copy.deepcopy(model)).to("meta").eval()
    total = [0]

    def conv_hook(m, inp, out):
        k = m.kernel_size[0] * m.kernel_size[1]
        total[0] += out.numel() * (m.in_channels // m.groups) * k

    def linear_hook(m, inp, out):
        total[0] += out.numel() * m.in_features

    def matmul_hook(m, inp, out):
        total[0] += out.numel() * inp[0].shape[-1]

    handles = []
    for m in meta.modules():
        if isinstance(m, nn.Conv2d):
            handles.append(m.register_forward_hook(conv_hook))
        elif isinstance(m, nn.Linear):
            handles.append(m.register_forward_hook(linear_hook))
        elif isinstance(m, MatMul):
            handles.append(m.register_forward_hook(matmul_hook))
    with torch.no_grad():
        meta(torch.empty(*input_shape, device="meta"))
    for h in handles:
        h.remove()
    return total[0]


# --------------------------------------------------------------------------------------------
# Deterministic random weights that keep activations of order 1
# --------------------------------------------------------------------------------------------

def init_weights(model, generator, damp_bn=(), conv_gain=math.sqrt(2.0), bias_std=0.05,
                 damp_modules=(), damp=0.25, inputs=None, center_depthwise=False):
    """Give ``model`` deterministic random weights whose activations stay of order 1.

    The recipe (issue 3):
      1. Conv/Linear weights ~ N(0, gain^2 / fan_in), biases ~ N(0, bias_std^2); modules named in
         ``damp_modules`` (the last conv of a residual branch that has no BatchNorm) are scaled by
         ``damp``. LayerNorm/GroupNorm affine parameters get mild random values.
      2. BatchNorm gamma ~ U(0.5, 1.5) and beta ~ N(0, 0.1^2); the BatchNorms named in ``damp_bn``
         (the last BatchNorm of each residual branch) get gamma and beta multiplied by ``damp``.
      3. One training-mode forward over ``inputs`` (a random batch) sets every BatchNorm's running
         statistics to the batch statistics (momentum=None, so one batch gives exact values).
         Each BatchNorm then computes (nearly) what it computed in training mode: a normalised
         activation, which is what keeps 100+ layer networks at order 1.
      4. The four stored BatchNorm tensors are perturbed without changing what the BatchNorm
         computes: var' = (var + eps) s^2 - eps, gamma' = gamma s (s ~ U(1, 2)), and
         mean' = mean + d, beta' = beta + gamma' d / sqrt(var' + eps) (d ~ N(0, 0.5^2) * std).
         So folding code sees generic values, not the trivial mean 0 / var 1.
    ``generator`` is a torch.Generator seeded by the caller: same seed, same weights.
    """
    names = dict(model.named_modules())
    for name in list(damp_bn) + list(damp_modules):
        if name not in names:
            raise KeyError("init_weights: no module named %r" % name)
    damp_bn = set(damp_bn)
    damp_modules = set(damp_modules)

    with torch.no_grad():
        for name, m in model.named_modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                fan_in = m.weight[0].numel()
                std = conv_gain / math.sqrt(fan_in)
                if name in damp_modules:
                    std *= damp
                w = torch.randn(m.weight.shape, generator=generator) * std
                if center_depthwise and isinstance(m, nn.Conv2d) and m.groups > 1 \
                        and m.groups == m.in_channels and m.weight[0].numel() > 1:
                    # Zero-mean depthwise filters: on the positive output of a Swish/ReLU a
                    # random 3x3 filter has a large mean response, and the next BatchNorm then
                    # subtracts two large numbers -- a float32 rounding amplifier.
                    w = w - w.mean(dim=(1, 2, 3), keepdim=True)
                m.weight.copy_(w)
                if m.bias is not None:
                    m.bias.copy_(torch.randn(m.bias.shape, generator=generator) * bias_std)
            elif isinstance(m, (nn.LayerNorm, nn.GroupNorm)) and m.weight is not None:
                m.weight.copy_(torch.rand(m.weight.shape, generator=generator) * 0.4 + 0.8)
                m.bias.copy_(torch.randn(m.bias.shape, generator=generator) * 0.05)
            elif isinstance(m, nn.BatchNorm2d):
                gamma = torch.rand(m.num_features, generator=generator) + 0.5
                beta = torch.randn(m.num_features, generator=generator) * 0.1
                if name in damp_bn:
                    gamma *= damp
                    beta *= damp
                m.weight.copy_(gamma)
                m.bias.copy_(beta)

    bns = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    if not bns:
        return
    if inputs is None:
        raise ValueError("init_weights: a model with BatchNorm needs a calibration batch")

    saved_momentum = [m.momentum for m in bns]
    for m in bns:
        m.reset_running_stats()
        m.momentum = None  # cumulative average: one batch gives exactly its statistics
    was_training = model.training
    model.train()
    with torch.no_grad():
        model(inputs)
    model.train(was_training)
    for m, mom in zip(bns, saved_momentum):
        m.momentum = mom

    with torch.no_grad():
        for m in bns:
            n = m.num_features
            s = torch.rand(n, generator=generator, dtype=torch.float64) + 1.0
            var = m.running_var.double()
            mean = m.running_mean.double()
            gamma = m.weight.double()
            beta = m.bias.double()
            var2 = (var + m.eps) * s * s - m.eps
            gamma2 = gamma * s
            d = torch.randn(n, generator=generator, dtype=torch.float64) * 0.5 * torch.sqrt(var + m.eps)
            mean2 = mean + d
            beta2 = beta + gamma2 * d / torch.sqrt(var2 + m.eps)
            m.running_var.copy_(var2.float())
            m.running_mean.copy_(mean2.float())
            m.weight.copy_(gamma2.float())
            m.bias.copy_(beta2.float())
            m.num_batches_tracked.fill_(1)


def fill_tensor(t, generator, std):
    with torch.no_grad():
        t.copy_(torch.randn(t.shape, generator=generator) * std)
