"""A small numpy interpreter for the ONNX graphs of the tiny zoo models (tests only).

onnxruntime is not packaged in Debian, so the tests check the exported graphs with this. It
computes every float tensor in float64, so its output can be compared with the zoo's float64
PyTorch reference to ~1e-9: a mismatch means the ONNX graph is not the PyTorch network (a baked
batch size, a wrong padding, a mis-exported op). Only the ops and attributes the zoo's exports
use are implemented; anything else raises NotImplementedError naming the op.
"""
import math

import numpy as np
import onnx
from onnx import numpy_helper

_FLOAT_TYPES = {onnx.TensorProto.FLOAT, onnx.TensorProto.DOUBLE, onnx.TensorProto.FLOAT16}


def _np_dtype(onnx_type):
    if onnx_type in _FLOAT_TYPES:
        return np.float64
    return onnx.mapping.TENSOR_TYPE_TO_NP_TYPE[onnx_type]


def _tensor(t):
    a = numpy_helper.to_array(t)
    return a.astype(np.float64) if a.dtype.kind == "f" else a


def _im2col_conv(x, w, b, pads, strides, dilations, group):
    n, c, h, wd = x.shape
    m, cg, kh, kw = w.shape
    pt, pl, pb, pr = pads[0], pads[1], pads[2], pads[3]
    x = np.pad(x, ((0, 0), (0, 0), (pt, pb), (pl, pr)))
    sh, sw = strides
    dh, dw = dilations
    ho = (h + pt + pb - dh * (kh - 1) - 1) // sh + 1
    wo = (wd + pl + pr - dw * (kw - 1) - 1) // sw + 1
    cols = np.empty((n, c, kh, kw, ho, wo), dtype=x.dtype)
    for i in range(kh):
        for j in range(kw):
            cols[:, :, i, j] = x[:, :, i * dh:i * dh + sh * (ho - 1) + 1:sh, j * dw:j * dw + sw * (wo - 1) + 1:sw]
    outs = []
    mg = m // group
    for g in range(group):
        cg_cols = cols[:, g * cg:(g + 1) * cg].reshape(n, cg * kh * kw, ho * wo)
        wg = w[g * mg:(g + 1) * mg].reshape(mg, cg * kh * kw)
        outs.append(np.einsum("mk,nkp->nmp", wg, cg_cols, optimize=True))
    y = np.concatenate(outs, axis=1).reshape(n, m, ho, wo)
    if b is not None:
        y = y + b.reshape(1, m, 1, 1)
    return y


def _pool(x, kernel, strides, pads, ceil_mode, kind, count_include_pad=0):
    n, c, h, w = x.shape
    kh, kw = kernel
    sh, sw = strides
    pt, pl, pb, pr = pads
    rnd = math.ceil if ceil_mode else math.floor
    ho = int(rnd((h + pt + pb - kh) / sh)) + 1
    wo = int(rnd((w + pl + pr - kw) / sw)) + 1
    # extra room on the far side for ceil-mode windows
    eb = max(0, (ho - 1) * sh + kh - (h + pt + pb))
    er = max(0, (wo - 1) * sw + kw - (w + pl + pr))
    fill = -np.inf if kind == "max" else 0.0
    xp = np.pad(x, ((0, 0), (0, 0), (pt, pb + eb), (pl, pr + er)), constant_values=fill)
    valid = np.pad(np.ones((h, w)), ((pt, pb + eb), (pl, pr + er)))
    if count_include_pad:
        valid = np.pad(np.ones((h + pt + pb, w + pl + pr)), ((0, eb), (0, er)))
    out = np.empty((n, c, ho, wo), dtype=x.dtype)
    for i in range(ho):
        for j in range(wo):
            win = xp[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw]
            if kind == "max":
                out[:, :, i, j] = win.max(axis=(2, 3))
            else:
                cnt = valid[i * sh:i * sh + kh, j * sw:j * sw + kw].sum()
                out[:, :, i, j] = win.sum(axis=(2, 3)) / cnt
    return out


def _softmax_legacy(x, axis):
    """Softmax of opsets < 13: the input is seen as 2-D, [prod(shape[:axis]), rest]."""
    axis = axis % x.ndim
    flat = x.reshape(int(np.prod(x.shape[:axis])), -1)
    e = np.exp(flat - flat.max(axis=1, keepdims=True))
    return (e / e.sum(axis=1, keepdims=True)).reshape(x.shape)


def run(model_path, feeds):
    """Run the ONNX model at ``model_path`` on ``feeds`` ({input name: array}); returns the list of
    graph outputs (float outputs in float64)."""
    model = onnx.load(model_path)
    opset = model.opset_import[0].version
    env = {t.name: _tensor(t) for t in model.graph.initializer}
    for name, value in feeds.items():
        env[name] = value.astype(np.float64) if value.dtype.kind == "f" else value
    for node in model.graph.node:
        a = {att.name: onnx.helper.get_attribute_value(att) for att in node.attribute}
        ins = [env[i] if i else None for i in node.input]
        op = node.op_type
        if op == "Constant":
            out = _tensor(a["value"])
        elif op == "Conv":
            x, w = ins[0], ins[1]
            k = w.shape[2:]
            out = _im2col_conv(x, w, ins[2] if len(ins) > 2 else None, a.get("pads", [0, 0, 0, 0]),
                               a.get("strides", [1, 1]), a.get("dilations", [1, 1]), a.get("group", 1))
            assert list(k) == list(a.get("kernel_shape", k))
        elif op == "BatchNormalization":
            x, s, bias, mean, var = ins
            shp = (1, -1) + (1,) * (x.ndim - 2)
            out = (x - mean.reshape(shp)) / np.sqrt(var.reshape(shp) + a.get("epsilon", 1e-5)) * s.reshape(shp) + bias.reshape(shp)
        elif op == "Relu":
            out = np.maximum(ins[0], 0)
        elif op == "Sigmoid":
            out = 1.0 / (1.0 + np.exp(-ins[0]))
        elif op == "Erf":
            out = np.vectorize(math.erf)(ins[0]) if ins[0].size else ins[0]
        elif op == "Sqrt":
            out = np.sqrt(ins[0])
        elif op == "Pow":
            out = np.power(ins[0], ins[1])
        elif op in ("Add", "Sub", "Mul"):
            out = {"Add": np.add, "Sub": np.subtract, "Mul": np.multiply}[op](ins[0], ins[1])
        elif op == "Div":
            if ins[0].dtype.kind in "iu":
                out = (ins[0] / ins[1]).astype(ins[0].dtype)
            else:
                out = ins[0] / ins[1]
        elif op == "Equal":
            out = np.equal(ins[0], ins[1])
        elif op == "Where":
            out = np.where(ins[0], ins[1], ins[2])
        elif op == "MatMul":
            out = np.matmul(ins[0], ins[1])
        elif op == "Gemm":
            x, w = ins[0], ins[1]
            x = x.T if a.get("transA", 0) else x
            w = w.T if a.get("transB", 0) else w
            out = a.get("alpha", 1.0) * (x @ w)
            if len(ins) > 2 and ins[2] is not None:
                out = out + a.get("beta", 1.0) * ins[2]
        elif op == "Concat":
            out = np.concatenate(ins, axis=a["axis"])
        elif op == "Slice":
            data, starts, ends = ins[0], ins[1], ins[2]
            axes = ins[3] if len(ins) > 3 and ins[3] is not None else np.arange(len(starts))
            steps = ins[4] if len(ins) > 4 and ins[4] is not None else np.ones(len(starts), dtype=np.int64)
            sl = [slice(None)] * data.ndim
            for st, en, ax, sp in zip(starts, ends, axes, steps):
                dim = data.shape[ax]
                st, en = int(st), int(en)
                if sp > 0:
                    st = min(max(st + dim if st < 0 else st, 0), dim)
                    en = min(max(en + dim if en < 0 else en, 0), dim)
                else:
                    st = min(max(st + dim if st < 0 else st, -1), dim - 1)
                    en = min(max(en + dim if en < 0 else en, -1), dim - 1)
                    en = None if en < 0 else en
                sl[int(ax)] = slice(st, en, int(sp))
            out = data[tuple(sl)]
        elif op == "Gather":
            out = np.take(ins[0], ins[1], axis=a.get("axis", 0))
        elif op == "Shape":
            out = np.array(ins[0].shape, dtype=np.int64)
        elif op == "Reshape":
            shape = [int(s) for s in ins[1]]
            shape = [ins[0].shape[i] if s == 0 else s for i, s in enumerate(shape)]
            out = ins[0].reshape(shape)
        elif op == "Transpose":
            out = np.transpose(ins[0], a.get("perm"))
        elif op == "Flatten":
            ax = a.get("axis", 1)
            out = ins[0].reshape(int(np.prod(ins[0].shape[:ax])), -1)
        elif op == "Unsqueeze":
            axes = a["axes"] if opset < 13 else [int(v) for v in ins[1]]
            out = ins[0]
            for ax in sorted(ax % (out.ndim + len(axes)) for ax in axes):
                out = np.expand_dims(out, ax)
        elif op == "Squeeze":
            axes = a["axes"] if opset < 13 else [int(v) for v in ins[1]]
            out = np.squeeze(ins[0], axis=tuple(axes))
        elif op == "Expand":
            out = np.broadcast_to(ins[0], np.broadcast_shapes(ins[0].shape, tuple(int(s) for s in ins[1]))).copy()
        elif op == "ConstantOfShape":
            val = _tensor(a["value"]) if "value" in a else np.zeros(1, dtype=np.float64)
            out = np.full(tuple(int(s) for s in ins[0]), val.reshape(-1)[0], dtype=val.dtype)
        elif op == "Cast":
            out = ins[0].astype(_np_dtype(a["to"]))
        elif op in ("ReduceMean", "ReduceSum", "ReduceMax"):
            axes = a.get("axes")
            if axes is None and op == "ReduceSum" and opset >= 13 and len(ins) > 1 and ins[1] is not None:
                axes = [int(v) for v in ins[1]]
            f = {"ReduceMean": np.mean, "ReduceSum": np.sum, "ReduceMax": np.max}[op]
            out = f(ins[0], axis=None if axes is None else tuple(axes), keepdims=bool(a.get("keepdims", 1)))
        elif op == "Softmax":
            if opset < 13:
                out = _softmax_legacy(ins[0], a.get("axis", 1))
            else:
                x = ins[0]
                e = np.exp(x - x.max(axis=a.get("axis", -1), keepdims=True))
                out = e / e.sum(axis=a.get("axis", -1), keepdims=True)
        elif op == "MaxPool":
            out = _pool(ins[0], a["kernel_shape"], a.get("strides", [1, 1]), a.get("pads", [0, 0, 0, 0]),
                        a.get("ceil_mode", 0), "max")
        elif op == "AveragePool":
            out = _pool(ins[0], a["kernel_shape"], a.get("strides", [1, 1]), a.get("pads", [0, 0, 0, 0]),
                        a.get("ceil_mode", 0), "avg", a.get("count_include_pad", 0))
        elif op == "GlobalAveragePool":
            out = ins[0].mean(axis=(2, 3), keepdims=True)
        elif op == "GlobalMaxPool":
            out = ins[0].max(axis=(2, 3), keepdims=True)
        elif op == "Pad":
            if a.get("mode", b"constant") not in (b"constant", "constant"):
                raise NotImplementedError("Pad mode %r" % a["mode"])
            if opset >= 11:
                pads = [int(p) for p in ins[1]]
                value = float(ins[2]) if len(ins) > 2 and ins[2] is not None else 0.0
            else:
                pads, value = a["pads"], a.get("value", 0.0)
            r = ins[0].ndim
            out = np.pad(ins[0], [(pads[i], pads[i + r]) for i in range(r)], constant_values=value)
        elif op == "DepthToSpace":
            x, bs = ins[0], a["blocksize"]
            n, c, h, w = x.shape
            if a.get("mode", b"DCR") in (b"CRD", "CRD"):
                out = x.reshape(n, c // bs ** 2, bs, bs, h, w).transpose(0, 1, 4, 2, 5, 3)
            else:
                out = x.reshape(n, bs, bs, c // bs ** 2, h, w).transpose(0, 3, 4, 1, 5, 2)
            out = out.reshape(n, c // bs ** 2, h * bs, w * bs)
        elif op == "Resize":
            mode = a.get("mode", b"nearest")
            ctm = a.get("coordinate_transformation_mode", b"half_pixel")
            if mode not in (b"nearest", "nearest") or ctm not in (b"asymmetric", "asymmetric"):
                raise NotImplementedError("Resize mode %r / %r" % (mode, ctm))
            x = ins[0]
            scales = ins[2] if len(ins) > 2 and ins[2] is not None and ins[2].size else None
            if scales is None:
                sizes = [int(s) for s in ins[3]]
                scales = [o / i for o, i in zip(sizes, x.shape)]
            else:
                sizes = [int(math.floor(d * s)) for d, s in zip(x.shape, scales)]
            out = x
            for ax, (osz, sc) in enumerate(zip(sizes, scales)):
                idx = np.minimum(np.floor(np.arange(osz) / sc).astype(np.int64), x.shape[ax] - 1)
                out = np.take(out, idx, axis=ax)
        elif op == "Identity":
            out = ins[0]
        else:
            raise NotImplementedError("op %s (node %s)" % (op, node.name))
        env[node.output[0]] = out
    return [env[o.name] for o in model.graph.output]
