#!/usr/bin/python3
"""Export kiln's model zoo to ONNX, with reference inputs and outputs.

    /usr/bin/python3 models/export.py NAME|--all --out DIR [--weights FILE] [--opset N] [--tiny]
                                      [--keep-batchnorm] [--seed S] [--threads T] [--force]

NAME is one of: dpn131, rdn_x2, rdn_x2_opset9, lvvit_s, deeplabv2, efficientdet_d0.

For a variant V (``NAME`` + ``_tiny`` with --tiny, + ``_bn`` with --keep-batchnorm, +
``_opset<N>`` when --opset differs from the model's default) it writes to DIR:

    V.onnx                            the model; input ``image`` (batch, 3, H, W), dynamic batch
    V.json                            the manifest (see README.md), written last
    V.b{1,3}.input.image.npy          seeded reference inputs for batch 1 and batch 3
    V.b{1,3}.output.<out>.npy         PyTorch's float32 outputs on them
    V.b{1,3}.output64.<out>.npy       the same network run in float64 (stored as float64)

Without --weights the weights are random but deterministic (torch.manual_seed + a seeded
generator) and keep activations of order 1 (common.init_weights). With --weights the reference
repository's checkpoint is loaded (``state_dict``/``model``/``state_dict_ema`` wrapping and
``module.`` prefixes accepted). Every file is written under a temporary name and renamed. A
variant whose manifest is up to date (same model sources, same arguments, files present and the
ONNX hash matching) is skipped; --force re-exports it.
"""
import argparse
import copy
import hashlib
import json
import os
import sys
import time
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

import numpy as np  # noqa: E402
import onnx  # noqa: E402
import torch  # noqa: E402

import common  # noqa: E402
import deeplabv2  # noqa: E402
import dpn  # noqa: E402
import efficientdet  # noqa: E402
import lvvit  # noqa: E402
import rdn  # noqa: E402
from common import ZooError  # noqa: E402

DEFAULT_SEED = 0
FP64_REL_TOL = 1e-5
BATCHES = (1, 3)


class Spec:
    """What export.py needs to know about one model key."""

    def __init__(self, key, module, build, input_hw, tiny_input_hw, output_names, opset=11,
                 input_range="normal", damp_bn=None, damp_modules=None, extra_init=None,
                 calib_batch=2, tiny_calib_batch=2, ignored_prefixes=(), reference="", damp=0.25,
                 init_kwargs=None):
        self.key = key
        self.module = module
        self.build = build
        self.input_hw = input_hw
        self.tiny_input_hw = tiny_input_hw
        self.output_names = output_names
        self.opset = opset
        self.input_range = input_range
        self.damp_bn = damp_bn or (lambda m: [])
        self.damp_modules = damp_modules or (lambda m: [])
        self.extra_init = extra_init
        self.calib_batch = calib_batch
        self.tiny_calib_batch = tiny_calib_batch
        self.ignored_prefixes = ignored_prefixes
        self.reference = reference
        self.damp = damp
        self.init_kwargs = init_kwargs or {}

    def hw(self, tiny):
        return self.tiny_input_hw if tiny else self.input_hw


def _rdn_damped(model):
    # RDN has no BatchNorm: damp the 1x1 local-fusion conv that ends each residual dense block.
    # The output conv is damped too, so the super-resolved image stays of order 1.
    return ["rdbs.%d.lff" % i for i in range(len(model.rdbs))] + ["output"]


def _lvvit_damped(model):
    # The residual branches of the transformer blocks end in attn.proj and mlp.fc2.
    names = []
    for i in range(len(model.blocks)):
        names += ["blocks.%d.attn.proj" % i, "blocks.%d.mlp.fc2" % i]
    return names


def _lvvit_extra(model, g):
    common.fill_tensor(model.cls_token, g, 0.5)
    common.fill_tensor(model.pos_embed, g, 0.5)


_RDN_SPEC = dict(module=rdn, build=rdn.rdn_x2, input_hw=(114, 114), tiny_input_hw=(32, 32),
                 output_names=["output"], input_range="unit", damp_modules=_rdn_damped,
                 reference="yjn870/RDN-pytorch")

SPECS = {
    "dpn131": Spec("dpn131", dpn, dpn.dpn131, (224, 224), (128, 128), ["logits"],
                   damp_bn=dpn.residual_last_bns, reference="Cadene/pretrained-models.pytorch dpn.py"),
    "rdn_x2": Spec("rdn_x2", opset=11, **_RDN_SPEC),
    "rdn_x2_opset9": Spec("rdn_x2_opset9", opset=9, **_RDN_SPEC),
    "lvvit_s": Spec("lvvit_s", lvvit, lvvit.lvvit_s, (224, 224), (64, 64), ["logits"],
                    damp_modules=_lvvit_damped, extra_init=_lvvit_extra,
                    reference="zihangJiang/TokenLabeling"),
    "deeplabv2": Spec("deeplabv2", deeplabv2, deeplabv2.deeplabv2, (512, 1024), (128, 256), ["seg_logits"],
                      damp_bn=deeplabv2.residual_last_bns, calib_batch=1,
                      # 23 dilated blocks in layer3: with x0.25 the float32 rounding grows to
                      # 1.2e-5 of the output (over the 1e-5 check); x0.125 gives 2.8e-6.
                      damp=0.125,
                      ignored_prefixes=deeplabv2.ignored_checkpoint_prefixes,
                      reference="valeoai/ADVENT (as used by feipan664/IntraDA)"),
    "efficientdet_d0": Spec("efficientdet_d0", efficientdet, efficientdet.efficientdet_d0, (512, 512), (128, 128),
                            ["class_out", "box_out"], damp_bn=efficientdet.residual_last_bns,
                            extra_init=efficientdet.init_extra, calib_batch=2, tiny_calib_batch=8,
                            # float32 vs float64: 8.4e-6 of the output without, 5.8e-6 with
                            init_kwargs=dict(center_depthwise=True),
                            reference="rwightman/efficientdet-pytorch (tf_efficientdet_d0)"),
}
ALL_KEYS = ["dpn131", "rdn_x2", "rdn_x2_opset9", "lvvit_s", "deeplabv2", "efficientdet_d0"]


# ------------------------------------------------------------------------------------------
# small helpers
# ------------------------------------------------------------------------------------------

def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _tmp_path(path):
    return "%s.tmp%d" % (path, os.getpid())


def _write_atomic_bytes(path, data):
    tmp = _tmp_path(path)
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def _save_npy_atomic(path, array):
    tmp = _tmp_path(path)
    with open(tmp, "wb") as f:
        np.save(f, array)
    os.replace(tmp, path)


def variant_name(key, tiny=False, keep_batchnorm=False, opset=None):
    spec = SPECS[key]
    name = key + ("_tiny" if tiny else "") + ("_bn" if keep_batchnorm else "")
    if opset is not None and opset != spec.opset:
        name += "_opset%d" % opset
    return name


def source_hash(spec, args_record):
    """Hash of everything an export depends on: this script, common.py, the model's module, the
    arguments, and the library versions that shape the ONNX."""
    h = hashlib.sha256()
    for path in sorted({os.path.abspath(__file__), os.path.abspath(common.__file__),
                        os.path.abspath(spec.module.__file__)}):
        with open(path, "rb") as f:
            h.update(os.path.basename(path).encode() + b"\0" + f.read() + b"\0")
    record = dict(args_record, torch=torch.__version__, onnx=onnx.__version__, numpy=np.__version__)
    h.update(json.dumps(record, sort_keys=True).encode())
    return h.hexdigest()


# ------------------------------------------------------------------------------------------
# weights
# ------------------------------------------------------------------------------------------

_WRAPPER_KEYS = ("state_dict", "model", "state_dict_ema", "model_ema", "net")


def read_checkpoint(path):
    """The state dict inside a reference checkpoint: unwraps ``state_dict`` / ``model`` /
    ``state_dict_ema`` (first found, in that order) and strips ``module.`` prefixes."""
    if not os.path.isfile(path):
        raise ZooError("%s: no such file" % path)
    try:
        obj = torch.load(path, map_location="cpu")
    except Exception as e:  # torch.load raises many types for a bad file
        raise ZooError("%s: not a PyTorch checkpoint (%s: %s)" % (path, type(e).__name__,
                                                                  " ".join(str(e).split())))
    if isinstance(obj, torch.nn.Module):
        obj = obj.state_dict()
    depth = 0
    while isinstance(obj, dict) and not all(torch.is_tensor(v) for v in obj.values()) and depth < 3:
        inner = next((obj[k] for k in _WRAPPER_KEYS if k in obj and isinstance(obj[k], dict)), None)
        if inner is None:
            raise ZooError("%s: no state dict found (top-level keys: %s)" % (
                path, ", ".join(sorted(map(str, obj.keys()))[:8])))
        obj = inner
        depth += 1
    if not isinstance(obj, dict) or not obj:
        raise ZooError("%s: checkpoint holds no tensors" % path)
    state = {}
    for k, v in obj.items():
        if not torch.is_tensor(v):
            raise ZooError("%s: entry %r is not a tensor" % (path, k))
        while k.startswith("module."):
            k = k[len("module."):]
        state[k] = v
    return state


def load_weights(model, path, spec):
    """Load the checkpoint at ``path`` into ``model``; one-line ZooError on any mismatch."""
    state = read_checkpoint(path)
    state = {k: v for k, v in state.items() if not k.startswith(tuple(spec.ignored_prefixes))}
    own = model.state_dict()
    missing = [k for k in own if k not in state and not k.endswith("num_batches_tracked")]
    unexpected = [k for k in state if k not in own]
    if missing or unexpected:
        parts = []
        if missing:
            parts.append("%d missing keys (e.g. %s)" % (len(missing), ", ".join(missing[:3])))
        if unexpected:
            parts.append("%d unexpected keys (e.g. %s)" % (len(unexpected), ", ".join(unexpected[:3])))
        raise ZooError("%s: does not match %s: %s" % (path, spec.key, "; ".join(parts)))
    for k, v in state.items():
        if tuple(v.shape) != tuple(own[k].shape):
            raise ZooError("%s: %s has shape %s, %s expects %s" % (
                path, k, list(v.shape), spec.key, list(own[k].shape)))
    model.load_state_dict(state, strict=False)


def build_model(spec, tiny, seed, weights=None):
    """The model in eval mode, with deterministic random weights or the given checkpoint."""
    torch.manual_seed(seed)
    model = spec.build(tiny)
    if weights:
        load_weights(model, weights, spec)
    else:
        g = torch.Generator().manual_seed(seed)
        if spec.extra_init is not None:
            spec.extra_init(model, g)
        h, w = spec.hw(tiny)
        n = spec.tiny_calib_batch if tiny else spec.calib_batch
        calib = make_input(spec, n, h, w, g)
        common.init_weights(model, g, damp_bn=spec.damp_bn(model), damp_modules=spec.damp_modules(model),
                            damp=spec.damp, inputs=calib, **spec.init_kwargs)
    return model.eval()


def make_input(spec, batch, h, w, generator):
    if spec.input_range == "unit":
        return torch.rand(batch, 3, h, w, generator=generator)
    return torch.randn(batch, 3, h, w, generator=generator)


def reference_input(spec, tiny, batch, seed):
    """Image i of every reference batch comes from its own seeded generator, so the batch-1 input
    is the first image of the batch-3 input."""
    h, w = spec.hw(tiny)
    images = [make_input(spec, 1, h, w, torch.Generator().manual_seed(seed * 1000 + 100 + i)) for i in range(batch)]
    return torch.cat(images, 0)


def _as_tuple(out):
    return tuple(out) if isinstance(out, (tuple, list)) else (out,)


# ------------------------------------------------------------------------------------------
# export of one variant
# ------------------------------------------------------------------------------------------

_REF_CACHE = {}


def compute_references(spec, model, tiny, seed, cache_key, log=print):
    """{batch: (input, [fp32 outputs], [fp64 outputs], [rel errors])}; cached in memory so that
    rdn_x2 and rdn_x2_opset9 (same network) compute them once.

    float32 runs once per batch size. The float64 network runs once, on the largest batch: the
    smaller batches are its leading images (see reference_input), so their float64 outputs are
    slices of it -- float64 convolution on a CPU is slow (RDN: 287 GMACs per image)."""
    if cache_key in _REF_CACHE:
        return _REF_CACHE[cache_key]
    _REF_CACHE.clear()
    model64 = copy.deepcopy(model).double()
    inputs = {b: reference_input(spec, tiny, b, seed) for b in BATCHES}
    big = max(BATCHES)
    for b in BATCHES:
        assert torch.equal(inputs[b], inputs[big][:b])
    with torch.no_grad():
        t0 = time.time()
        out64_big = [o.numpy().copy() for o in _as_tuple(model64(inputs[big].double()))]
        t64 = time.time() - t0
    del model64
    refs = {}
    for b in BATCHES:
        with torch.no_grad():
            t0 = time.time()
            out32 = [o.numpy().copy() for o in _as_tuple(model(inputs[b]))]
            t32 = time.time() - t0
        out64 = [o[:b].copy() for o in out64_big]
        errs = []
        for a, a64 in zip(out32, out64):
            scale = float(np.max(np.abs(a64)))
            errs.append(float(np.max(np.abs(a.astype(np.float64) - a64))) / (scale if scale > 0 else 1.0))
        log("  batch %d: float32 %.1fs%s, rel err vs float64 %s" % (
            b, t32, ", float64 %.1fs" % t64 if b == big else "", ", ".join("%.2e" % e for e in errs)))
        refs[b] = (inputs[b].numpy(), out32, out64, errs)
    _REF_CACHE[cache_key] = refs
    return refs


def manifest_up_to_date(manifest_path, out_dir, shash):
    try:
        with open(manifest_path) as f:
            man = json.load(f)
    except (OSError, ValueError):
        return False
    if man.get("source_hash") != shash:
        return False
    files = [man["onnx"]]
    for ref in man.get("reference", {}).values():
        for group in ("inputs", "outputs", "outputs64"):
            files += list(ref.get(group, {}).values())
    if not all(os.path.isfile(os.path.join(out_dir, f)) for f in files):
        return False
    return sha256_file(os.path.join(out_dir, man["onnx"])) == man.get("sha256")


def export_variant(key, out_dir, tiny=False, opset=None, keep_batchnorm=False, weights=None,
                   seed=DEFAULT_SEED, force=False, log=print):
    """Export one variant; returns (manifest dict, skipped?)."""
    if key not in SPECS:
        raise ZooError("unknown model %r (known: %s)" % (key, ", ".join(ALL_KEYS)))
    spec = SPECS[key]
    opset_used = spec.opset if opset is None else opset
    name = variant_name(key, tiny, keep_batchnorm, opset)
    os.makedirs(out_dir, exist_ok=True)
    weights_sha = sha256_file(weights) if weights and os.path.isfile(weights) else None
    if weights and weights_sha is None:
        raise ZooError("%s: no such file" % weights)
    args_record = dict(key=key, tiny=tiny, opset=opset_used, keep_batchnorm=keep_batchnorm, seed=seed,
                       weights_sha256=weights_sha)
    shash = source_hash(spec, args_record)
    manifest_path = os.path.join(out_dir, name + ".json")
    if not force and manifest_up_to_date(manifest_path, out_dir, shash):
        log("%s: up to date, skipped" % name)
        with open(manifest_path) as f:
            return json.load(f), True

    t_start = time.time()
    log("%s: building %s%s" % (name, key, " (tiny)" if tiny else ""))
    model = build_model(spec, tiny, seed, weights)
    h, w = spec.hw(tiny)
    params = common.count_params(model)
    macs = common.count_macs(model, (1, 3, h, w))

    refs = compute_references(spec, model, tiny, seed, (spec.build, tiny, seed, weights_sha), log)
    for b, (_, _, _, errs) in refs.items():
        for out_name, err in zip(spec.output_names, errs):
            if not err < FP64_REL_TOL:
                msg = "%s: float32 output %r differs from float64 by %.2e (relative, batch %d), over %.0e" % (
                    name, out_name, err, b, FP64_REL_TOL)
                if not weights:
                    raise ZooError(msg)
                # A real checkpoint is what it is: say so, but export it.
                log("  warning: " + msg)

    # ONNX export (eval mode folds Conv+BatchNorm; PRESERVE keeps the BatchNormalization nodes)
    onnx_file = name + ".onnx"
    onnx_path = os.path.join(out_dir, onnx_file)
    tmp = _tmp_path(onnx_path)
    dynamic_axes = {"image": {0: "batch"}}
    for out_name in spec.output_names:
        dynamic_axes[out_name] = {0: "batch"}
    training = torch.onnx.TrainingMode.PRESERVE if keep_batchnorm else torch.onnx.TrainingMode.EVAL
    x1 = torch.from_numpy(refs[1][0])
    t0 = time.time()
    try:
        with warnings.catch_warnings():
            # Expected: the 'SAME' pads read the input size as Python ints (TracerWarning), and the
            # exporter's notes on shape inference; neither is actionable for a user.
            warnings.simplefilter("ignore", torch.jit.TracerWarning)
            warnings.filterwarnings("ignore", category=UserWarning, module=r"torch\.onnx")
            torch.onnx.export(model, (x1,), tmp, export_params=True, opset_version=opset_used,
                              do_constant_folding=True, input_names=["image"],
                              output_names=list(spec.output_names), dynamic_axes=dynamic_axes, training=training)
        onnx.checker.check_model(tmp)
    except ZooError:
        raise
    except Exception as e:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise ZooError("%s: ONNX export at opset %d failed (%s: %s)" % (
            name, opset_used, type(e).__name__, " ".join(str(e).split())[:300]))
    graph = onnx.load(tmp, load_external_data=False).graph
    histogram = {}
    for node in graph.node:
        histogram[node.op_type] = histogram.get(node.op_type, 0) + 1
    os.replace(tmp, onnx_path)
    onnx_sha = sha256_file(onnx_path)
    log("  ONNX %s: %.1f MB, %d nodes, exported and checked in %.1fs" % (
        onnx_file, os.path.getsize(onnx_path) / 1e6, len(graph.node), time.time() - t0))

    reference = {}
    fp64_check = {}
    for b, (x, out32, out64, errs) in refs.items():
        prefix = "%s.b%d." % (name, b)
        entry = {"inputs": {"image": prefix + "input.image.npy"}, "outputs": {}, "outputs64": {}}
        _save_npy_atomic(os.path.join(out_dir, entry["inputs"]["image"]), x.astype(np.float32))
        for out_name, a, a64 in zip(spec.output_names, out32, out64):
            f32 = prefix + "output.%s.npy" % out_name
            f64 = prefix + "output64.%s.npy" % out_name
            _save_npy_atomic(os.path.join(out_dir, f32), a.astype(np.float32))
            _save_npy_atomic(os.path.join(out_dir, f64), a64.astype(np.float64))
            entry["outputs"][out_name] = f32
            entry["outputs64"][out_name] = f64
        reference[str(b)] = entry
        fp64_check[str(b)] = {n: float("%.3e" % e) for n, e in zip(spec.output_names, errs)}

    out32_b1 = refs[1][1]
    manifest = {
        "name": name,
        "model": key,
        "onnx": onnx_file,
        "opset": opset_used,
        "tiny": bool(tiny),
        "keep_batchnorm": bool(keep_batchnorm),
        "params": int(params),
        "macs": int(macs),
        "sha256": onnx_sha,
        "inputs": [{"name": "image", "shape": ["batch", 3, h, w], "dtype": "float32",
                    "range": "uniform [0, 1)" if spec.input_range == "unit" else "standard normal"}],
        "outputs": [{"name": n, "shape": ["batch"] + list(a.shape[1:]), "dtype": "float32"}
                    for n, a in zip(spec.output_names, out32_b1)],
        "op_histogram": dict(sorted(histogram.items())),
        "reference": reference,
        "fp64_rel_err": fp64_check,
        "seed": seed,
        "weights": os.path.basename(weights) if weights else None,
        "weights_sha256": weights_sha,
        "reference_repo": spec.reference,
        "source_hash": shash,
    }
    _write_atomic_bytes(manifest_path, (json.dumps(manifest, indent=1) + "\n").encode())
    log("  %s done in %.1fs (params %d, MACs %.3fG)" % (name, time.time() - t_start, params, macs / 1e9))
    return manifest, False


# ------------------------------------------------------------------------------------------
# command line
# ------------------------------------------------------------------------------------------

def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="export.py", description="Export kiln's model zoo to ONNX with reference outputs.")
    parser.add_argument("name", nargs="?", help="model key: " + ", ".join(ALL_KEYS))
    parser.add_argument("--all", action="store_true", help="export all six models")
    parser.add_argument("--out", required=True, help="output directory")
    parser.add_argument("--weights", help="reference checkpoint to load instead of random weights")
    parser.add_argument("--opset", type=int, help="ONNX opset (default: the guide's, 11; 9 for rdn_x2_opset9)")
    parser.add_argument("--tiny", action="store_true", help="the small variant for tests")
    parser.add_argument("--keep-batchnorm", action="store_true",
                        help="keep BatchNormalization nodes (TrainingMode.PRESERVE)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="weight and input seed (default 0)")
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads (default 2)")
    parser.add_argument("--force", action="store_true", help="export even if the manifest is up to date")
    args = parser.parse_args(argv)

    try:
        if args.all == bool(args.name):
            raise ZooError("give one model name or --all")
        if args.all and args.weights:
            raise ZooError("--weights needs one model name, not --all")
        keys = ALL_KEYS if args.all else [args.name]
        for k in keys:
            if k not in SPECS:
                raise ZooError("unknown model %r (known: %s)" % (k, ", ".join(ALL_KEYS)))
        torch.set_num_threads(max(1, args.threads))
        t0 = time.time()
        for k in keys:
            export_variant(k, args.out, tiny=args.tiny, opset=args.opset, keep_batchnorm=args.keep_batchnorm,
                           weights=args.weights, seed=args.seed, force=args.force)
        print("total %.1fs" % (time.time() - t0))
    except ZooError as e:
        print("export.py: error: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
