"""models/export.py on the tiny variants: files, manifest, ONNX checker, determinism, caching,
--keep-batchnorm, opset 9 vs 11, --weights round trip and the one-line errors."""
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import numpy as np
import onnx
import torch

import zoo_test_util
from zoo_test_util import REPO
import export

EXPORT = os.path.join(REPO, "models", "export.py")
TINY_INPUTS = {"dpn131": (128, 128), "rdn_x2": (32, 32), "rdn_x2_opset9": (32, 32), "lvvit_s": (64, 64),
               "deeplabv2": (128, 256), "efficientdet_d0": (128, 128)}
OUTPUTS = {"dpn131": {"logits": [1000]}, "rdn_x2": {"output": [3, 64, 64]},
           "rdn_x2_opset9": {"output": [3, 64, 64]}, "lvvit_s": {"logits": [1000]},
           "deeplabv2": {"seg_logits": [19, 17, 33]},
           "efficientdet_d0": {"class_out": [3069, 90], "box_out": [3069, 4]}}


def run_cli(*args):
    return subprocess.run([sys.executable, EXPORT] + list(args), capture_output=True, text=True)


def load_json(path):
    with open(path) as f:
        return json.load(f)


def run_main(*args):
    """export.main in this process (no torch import per call): (exit status, stderr)."""
    import contextlib
    import io
    err, out = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        status = export.main(list(args))
    return status, err.getvalue()


def sha(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


class TinyExports(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = zoo_test_util.tiny_export_dir()

    def manifest(self, name):
        with open(os.path.join(self.dir, name + ".json")) as f:
            return json.load(f)

    def test_files_and_manifest(self):
        for key in export.ALL_KEYS:
            name = key + "_tiny"
            m = self.manifest(name)
            h, w = TINY_INPUTS[key]
            self.assertEqual(m["name"], name)
            self.assertEqual(m["model"], key)
            self.assertEqual(m["onnx"], name + ".onnx")
            self.assertEqual(m["opset"], 9 if key == "rdn_x2_opset9" else 11)
            self.assertIs(m["tiny"], True)
            self.assertIs(m["keep_batchnorm"], False)
            self.assertGreater(m["params"], 0)
            self.assertGreater(m["macs"], 0)
            self.assertEqual(m["inputs"][0]["name"], "image")
            self.assertEqual(m["inputs"][0]["shape"], ["batch", 3, h, w])
            self.assertEqual(m["inputs"][0]["dtype"], "float32")
            self.assertEqual({o["name"]: o["shape"][1:] for o in m["outputs"]}, OUTPUTS[key])
            self.assertTrue(all(o["shape"][0] == "batch" for o in m["outputs"]))
            self.assertEqual(sum(m["op_histogram"].values()) > 0, True)
            self.assertIn("source_hash", m)
            onnx_path = os.path.join(self.dir, m["onnx"])
            self.assertEqual(sha(onnx_path), m["sha256"])
            self.assertLess(os.path.getsize(onnx_path), 5 * 1024 * 1024)
            self.assertEqual(sorted(m["reference"]), ["1", "3"])
            for b, ref in m["reference"].items():
                self.assertEqual(ref["inputs"], {"image": "%s.b%s.input.image.npy" % (name, b)})
                x = np.load(os.path.join(self.dir, ref["inputs"]["image"]))
                self.assertEqual(x.shape, (int(b), 3, h, w))
                self.assertEqual(x.dtype, np.float32)
                for out in m["outputs"]:
                    o = out["name"]
                    self.assertEqual(ref["outputs"][o], "%s.b%s.output.%s.npy" % (name, b, o))
                    self.assertEqual(ref["outputs64"][o], "%s.b%s.output64.%s.npy" % (name, b, o))
                    y = np.load(os.path.join(self.dir, ref["outputs"][o]))
                    y64 = np.load(os.path.join(self.dir, ref["outputs64"][o]))
                    self.assertEqual(list(y.shape), [int(b)] + out["shape"][1:])
                    self.assertEqual((y.dtype, y64.dtype), (np.float32, np.float64))
                    # float32 vs float64 within 1e-5 of the largest output, and of order 1
                    scale = np.abs(y64).max()
                    self.assertLess(np.abs(y - y64).max() / scale, 1e-5)
                    self.assertLess(scale, 100.0)
                    self.assertGreater(y.std(), 1e-2)

    def test_onnx_checker_and_signature(self):
        for key in export.ALL_KEYS:
            path = os.path.join(self.dir, key + "_tiny.onnx")
            onnx.checker.check_model(path)
            model = onnx.load(path)
            self.assertEqual([i.name for i in model.graph.input], ["image"])
            dims = model.graph.input[0].type.tensor_type.shape.dim
            self.assertEqual(dims[0].dim_param, "batch")
            self.assertEqual([d.dim_value for d in dims[1:]], [3] + list(TINY_INPUTS[key]))
            self.assertEqual([o.name for o in model.graph.output], list(OUTPUTS[key]))
            for o in model.graph.output:
                self.assertEqual(o.type.tensor_type.shape.dim[0].dim_param, "batch")

    def test_topology_markers(self):
        hist = {k: self.manifest(k + "_tiny")["op_histogram"] for k in export.ALL_KEYS}
        # DPN: BatchNorms after a concat survive Conv+BN folding
        self.assertGreater(hist["dpn131"].get("BatchNormalization", 0), 0)
        self.assertGreater(hist["dpn131"]["Concat"], 0)
        # RDN: DepthToSpace at opset 11, Reshape/Transpose(6-D)/Reshape at opset 9
        self.assertEqual(hist["rdn_x2"].get("DepthToSpace"), 1)
        self.assertNotIn("DepthToSpace", hist["rdn_x2_opset9"])
        m9 = onnx.load(os.path.join(self.dir, "rdn_x2_opset9_tiny.onnx"))
        perms = [list(a.ints) for n in m9.graph.node if n.op_type == "Transpose" for a in n.attribute]
        self.assertEqual(perms, [[0, 1, 4, 2, 5, 3]])
        self.assertEqual(m9.opset_import[0].version, 9)
        # LV-ViT: attention matmuls, softmax, GELU (Erf)
        self.assertGreaterEqual(hist["lvvit_s"]["MatMul"], 4)
        self.assertEqual(hist["lvvit_s"]["Softmax"], 2)
        self.assertIn("Erf", hist["lvvit_s"])
        # DeepLab: ceil-mode pool and dilated convs; ASPP sums four convs
        md = onnx.load(os.path.join(self.dir, "deeplabv2_tiny.onnx"))
        pool = [n for n in md.graph.node if n.op_type == "MaxPool"][0]
        self.assertEqual({a.name: a.i for a in pool.attribute if a.name == "ceil_mode"}, {"ceil_mode": 1})
        dil = sorted({tuple(a.ints)[0] for n in md.graph.node if n.op_type == "Conv" for a in n.attribute
                      if a.name == "dilations"})
        self.assertEqual(dil, [1, 2, 4, 6, 12, 18, 24])
        # EfficientDet: static 'SAME' pads, -inf padded max pools, nearest upsampling, fusion sums
        me = onnx.load(os.path.join(self.dir, "efficientdet_d0_tiny.onnx"))
        self.assertIn("Pad", hist["efficientdet_d0"])
        self.assertIn("Resize", hist["efficientdet_d0"])
        self.assertIn("ReduceSum", hist["efficientdet_d0"])
        self.assertEqual(hist["efficientdet_d0"]["MaxPool"], 2 * 4 + 2)  # 4 bottom-up nodes per cell + P6, P7
        self.assertNotIn("Shape", [n.op_type for n in me.graph.node if n.output[0].startswith("/backbone")])

    def test_onnx_runs_and_matches_reference(self):
        """The ONNX graphs, run by a numpy interpreter in float64, reproduce PyTorch's float64
        outputs at batch 1 and 3 (dynamic batch). Exporter-folded Conv+BN weights are rounded to
        float32, hence the 1e-5 relative tolerance rather than ~1e-12."""
        import onnx_numpy
        for key in export.ALL_KEYS:
            m = self.manifest(key + "_tiny")
            for b, ref in m["reference"].items():
                x = np.load(os.path.join(self.dir, ref["inputs"]["image"]))
                outs = onnx_numpy.run(os.path.join(self.dir, m["onnx"]), {"image": x})
                for spec, y in zip(m["outputs"], outs):
                    y64 = np.load(os.path.join(self.dir, ref["outputs64"][spec["name"]]))
                    self.assertEqual(y.shape, y64.shape)
                    err = np.abs(y - y64).max() / np.abs(y64).max()
                    self.assertLess(err, 1e-5, "%s batch %s %s: %.2e" % (key, b, spec["name"], err))

    def test_caching_skips_up_to_date(self):
        m, skipped = export.export_variant("rdn_x2", self.dir, tiny=True, log=lambda *a: None)
        self.assertTrue(skipped)
        self.assertEqual(m["name"], "rdn_x2_tiny")
        r = run_cli("lvvit_s", "--tiny", "--out", self.dir)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("up to date, skipped", r.stdout)

    def test_deterministic_bytes(self):
        d = tempfile.mkdtemp(prefix="kiln_zoo_det_")
        try:
            for key in ("dpn131", "rdn_x2_opset9", "lvvit_s", "efficientdet_d0"):
                export.export_variant(key, d, tiny=True, log=lambda *a: None)
                name = key + "_tiny"
                for f in sorted(os.listdir(d)):
                    if f.startswith(name + "."):
                        self.assertEqual(sha(os.path.join(d, f)), sha(os.path.join(self.dir, f)), f)
        finally:
            shutil.rmtree(d)


class ExportOptions(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="kiln_zoo_opt_")

    def tearDown(self):
        shutil.rmtree(self.dir)

    def test_keep_batchnorm_and_opset_suffix(self):
        r = run_cli("deeplabv2", "--tiny", "--keep-batchnorm", "--out", self.dir)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(os.path.join(self.dir, "deeplabv2_tiny_bn.json")) as f:
            m = json.load(f)
        self.assertIs(m["keep_batchnorm"], True)
        self.assertEqual(m["op_histogram"]["BatchNormalization"], 20)   # every BN kept
        plain = load_json(os.path.join(zoo_test_util.tiny_export_dir(), "deeplabv2_tiny.json"))
        self.assertNotIn("BatchNormalization", plain["op_histogram"])   # folded into the convs
        # same network, same reference outputs
        for f in ("b1.output.seg_logits.npy", "b3.output.seg_logits.npy"):
            a = np.load(os.path.join(self.dir, "deeplabv2_tiny_bn." + f))
            b = np.load(os.path.join(zoo_test_util.tiny_export_dir(), "deeplabv2_tiny." + f))
            np.testing.assert_array_equal(a, b)
        status, err = run_main("rdn_x2", "--tiny", "--opset", "13", "--out", self.dir)
        self.assertEqual(status, 0, err)
        m = load_json(os.path.join(self.dir, "rdn_x2_tiny_opset13.json"))
        self.assertEqual((m["name"], m["opset"]), ("rdn_x2_tiny_opset13", 13))
        self.assertEqual(onnx.load(os.path.join(self.dir, m["onnx"])).opset_import[0].version, 13)
        self.assertEqual(export.variant_name("rdn_x2", opset=11), "rdn_x2")
        self.assertEqual(export.variant_name("rdn_x2_opset9", True, True, 9), "rdn_x2_opset9_tiny_bn")
        self.assertEqual(export.variant_name("dpn131", True, True, 13), "dpn131_tiny_bn_opset13")


class Weights(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="kiln_zoo_w_")

    def tearDown(self):
        shutil.rmtree(self.dir)

    def save_wrapped(self, state, name, wrapper="state_dict"):
        path = os.path.join(self.dir, name)
        state = {"module." + k: v for k, v in state.items()}
        torch.save({wrapper: state, "epoch": 7} if wrapper else state, path)
        return path

    def test_round_trip_every_model(self):
        for key in export.ALL_KEYS:
            spec = export.SPECS[key]
            src = export.build_model(spec, True, 3)
            path = self.save_wrapped(src.state_dict(), key + ".pth", "state_dict")
            dst = export.build_model(spec, True, 0)
            export.load_weights(dst, path, spec)
            x = export.reference_input(spec, True, 3, 0)
            with torch.no_grad():
                a, b = export._as_tuple(src(x)), export._as_tuple(dst(x))
            for ta, tb in zip(a, b):
                self.assertTrue(torch.equal(ta, tb), key)

    def test_wrappers_and_prefixes(self):
        spec = export.SPECS["rdn_x2"]
        src = export.build_model(spec, True, 5)
        for wrapper in ("state_dict", "model", "state_dict_ema", None):
            path = self.save_wrapped(src.state_dict(), "w.pth", wrapper)
            state = export.read_checkpoint(path)
            self.assertEqual(sorted(state), sorted(src.state_dict()))

    def test_cli_round_trip(self):
        spec = export.SPECS["lvvit_s"]
        src = export.build_model(spec, True, 0)   # the weights of the default random export
        sd = {k: v for k, v in src.state_dict().items() if not k.endswith("num_batches_tracked")}
        path = self.save_wrapped(sd, "lvvit_s_tiny.pth.tar", "state_dict_ema")
        r = run_cli("lvvit_s", "--tiny", "--weights", path, "--out", self.dir)
        self.assertEqual(r.returncode, 0, r.stderr)
        m = load_json(os.path.join(self.dir, "lvvit_s_tiny.json"))
        self.assertEqual(m["weights"], "lvvit_s_tiny.pth.tar")
        ref_dir = zoo_test_util.tiny_export_dir()
        for f in ("b1.output.logits.npy", "b3.output.logits.npy", "b3.output64.logits.npy"):
            np.testing.assert_array_equal(np.load(os.path.join(self.dir, "lvvit_s_tiny." + f)),
                                          np.load(os.path.join(ref_dir, "lvvit_s_tiny." + f)))
        self.assertEqual(m["sha256"], load_json(os.path.join(ref_dir, "lvvit_s_tiny.json"))["sha256"])

    def test_deeplab_ignores_auxiliary_classifier(self):
        spec = export.SPECS["deeplabv2"]
        src = export.build_model(spec, True, 1)
        state = dict(src.state_dict())
        state["layer5.conv2d_list.0.weight"] = torch.zeros(19, 128, 3, 3)
        path = self.save_wrapped(state, "intrada.pth", None)
        dst = export.build_model(spec, True, 0)
        export.load_weights(dst, path, spec)
        self.assertTrue(torch.equal(dst.conv1.weight, src.conv1.weight))


class Errors(unittest.TestCase):
    """Bad input: exit status 1 and one line naming the file and what is wrong."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="kiln_zoo_err_")

    def tearDown(self):
        shutil.rmtree(self.dir)

    def assert_error(self, args, *fragments, subprocess=False):
        if subprocess:
            r = run_cli(*args)
            status, stderr = r.returncode, r.stderr
        else:
            status, stderr = run_main(*args)
        self.assertEqual(status, 1, stderr)
        lines = [l for l in stderr.splitlines() if l.startswith("export.py: error:")]
        self.assertEqual(len(lines), 1, stderr)
        for frag in fragments:
            self.assertIn(frag, lines[0])
        self.assertFalse([f for f in os.listdir(self.dir) if f.endswith(".onnx") or ".tmp" in f])
        return lines[0]

    def test_unknown_model(self):
        self.assert_error(["resnet50", "--out", self.dir], "unknown model 'resnet50'", "dpn131", subprocess=True)

    def test_missing_weights(self):
        missing = os.path.join(self.dir, "nope.pth")
        self.assert_error(["rdn_x2", "--tiny", "--weights", missing, "--out", self.dir], missing, "no such file")

    def test_not_a_checkpoint(self):
        bad = os.path.join(self.dir, "bad.pth")
        with open(bad, "wb") as f:
            f.write(b"this is not a checkpoint")
        self.assert_error(["rdn_x2", "--tiny", "--weights", bad, "--out", self.dir], bad, "not a PyTorch checkpoint")

    def test_wrong_model_checkpoint(self):
        path = os.path.join(self.dir, "dpn.pth")
        torch.save(export.SPECS["dpn131"].build(True).state_dict(), path)
        self.assert_error(["rdn_x2", "--tiny", "--weights", path, "--out", self.dir], path,
                          "does not match rdn_x2", "missing keys", "unexpected keys", subprocess=True)

    def test_shape_mismatch(self):
        path = os.path.join(self.dir, "full.pth")
        torch.save({"model": export.SPECS["rdn_x2"].build(True).state_dict()}, path)
        sd = torch.load(path)["model"]
        sd["sfe1.weight"] = torch.zeros(8, 3, 3, 3)
        torch.save({"model": sd}, path)
        self.assert_error(["rdn_x2", "--tiny", "--weights", path, "--out", self.dir], path, "sfe1.weight",
                          "[8, 3, 3, 3]", "[16, 3, 3, 3]")

    def test_no_state_dict(self):
        path = os.path.join(self.dir, "meta.pth")
        torch.save({"epoch": 3, "arch": "rdn"}, path)
        self.assert_error(["rdn_x2", "--tiny", "--weights", path, "--out", self.dir], path, "no state dict")

    def test_all_with_weights(self):
        self.assert_error(["--all", "--weights", "x.pth", "--out", self.dir], "--weights")


if __name__ == "__main__":
    unittest.main()
