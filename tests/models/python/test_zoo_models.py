"""Architecture checks of the full-size zoo models: parameter counts, MACs, output shapes and
checkpoint key names. Models are only instantiated; MACs and shapes come from a forward on the
'meta' device, which computes nothing."""
import unittest

import torch

import zoo_test_util  # noqa: F401  (sets the import path)
import common
import deeplabv2
import dpn
import efficientdet
import export
import lvvit
import rdn


def meta_forward(model, shape):
    """Output shapes of ``model`` (moved to the meta device in place: its weights are lost)."""
    meta = model.to("meta").eval()
    with torch.no_grad():
        out = meta(torch.empty(*shape, device="meta"))
    return [tuple(o.shape) for o in (out if isinstance(out, tuple) else (out,))]


class PublishedFigures(unittest.TestCase):
    """Params and MACs within a few % of the papers' figures (MACs = the papers' "FLOPs")."""

    def check(self, model, shape, params, macs, tol=0.03):
        p = common.count_params(model)
        m = common.count_macs(model, shape, inplace=True)
        self.assertAlmostEqual(p / params, 1.0, delta=tol, msg="params %d vs %d" % (p, params))
        self.assertAlmostEqual(m / macs, 1.0, delta=tol, msg="MACs %d vs %d" % (m, macs))
        return p, m

    def test_dpn131(self):
        model = dpn.dpn131()
        p, m = self.check(model, (1, 3, 224, 224), 79.25e6, 16.1e9)
        self.assertEqual(p, 79254504)
        self.assertEqual(meta_forward(model, (2, 3, 224, 224)), [(2, 1000)])

    def test_lvvit_s(self):
        model = lvvit.lvvit_s()
        p, _ = self.check(model, (1, 3, 224, 224), 26.2e6, 6.6e9)
        self.assertEqual(p, 26151824)
        self.assertEqual(meta_forward(model, (2, 3, 224, 224)), [(2, 1000)])

    def test_efficientdet_d0(self):
        model = efficientdet.efficientdet_d0()
        p, _ = self.check(model, (1, 3, 512, 512), 3.9e6, 2.5e9)
        self.assertEqual(p, 3880067)   # tf_efficientdet_d0 in rwightman/efficientdet-pytorch
        self.assertEqual(common.count_params(model.backbone), 3595388)  # EfficientNet-B0 trunk
        self.assertEqual(meta_forward(model, (2, 3, 512, 512)), [(2, 49104, 90), (2, 49104, 4)])


class AnalyticCounts(unittest.TestCase):
    """RDN and DeepLab-v2 have no single published figure for this configuration: check them
    against counts written out by hand."""

    def test_rdn_x2(self):
        model = rdn.rdn_x2()
        self.assertEqual(common.count_params(model), rdn.analytic_params())
        self.assertEqual(common.count_params(model), 22123395)
        self.assertEqual(common.count_macs(model, (1, 3, 114, 114), inplace=True), rdn.analytic_macs())
        self.assertEqual(meta_forward(model, (2, 3, 114, 114)), [(2, 3, 228, 228)])

    def test_deeplabv2(self):
        model = deeplabv2.deeplabv2()
        self.assertEqual(common.count_params(model), deeplabv2.analytic_params())
        self.assertEqual(common.count_params(model), 43901068)
        self.assertEqual(common.count_macs(model, (1, 3, 512, 1024), inplace=True), deeplabv2.analytic_macs())
        # ceil-mode pool: 512x1024 -> 256x512 -> 129x257 -> layer2 65x129, kept by the dilated layers
        self.assertEqual(meta_forward(model, (2, 3, 512, 1024)), [(2, 19, 65, 129)])

    def test_tiny_analytic(self):
        self.assertEqual(common.count_params(rdn.rdn_x2(tiny=True)), rdn.analytic_params(16, 16, 3, 3))
        t = deeplabv2.deeplabv2(tiny=True)
        self.assertEqual(common.count_params(t), deeplabv2.analytic_params((1, 1, 2, 1), 8))
        self.assertEqual(common.count_macs(t, (1, 3, 128, 256)), deeplabv2.analytic_macs(128, 256, (1, 1, 2, 1), 8))


class ReferenceKeyNames(unittest.TestCase):
    """A few state-dict keys of each reference checkpoint, so --weights loads the real files."""

    def assert_keys(self, model, keys):
        sd = model.state_dict()
        for k in keys:
            self.assertIn(k, sd)

    def test_keys(self):
        self.assert_keys(dpn.dpn131(tiny=True), [
            "features.conv1_1.conv.weight", "features.conv1_1.bn.running_var",
            "features.conv2_1.c1x1_w_s1.conv.weight", "features.conv3_1.c1x1_w_s2.bn.weight",
            "features.conv2_2.c3x3_b.conv.weight", "features.conv5_bn_ac.bn.bias", "last_linear.bias"])
        self.assert_keys(rdn.rdn_x2(tiny=True), [
            "sfe1.weight", "sfe2.bias", "rdbs.0.layers.0.conv.weight", "rdbs.2.lff.weight", "gff.0.weight",
            "gff.1.bias", "upscale.0.weight", "output.weight"])
        self.assert_keys(lvvit.lvvit_s(tiny=True), [
            "cls_token", "pos_embed", "patch_embed.conv1.weight", "patch_embed.bn3.running_mean",
            "patch_embed.proj.bias", "blocks.0.attn.qkv.weight", "blocks.1.mlp.fc2.bias", "norm.weight",
            "head.weight", "aux_head.bias"])
        self.assertNotIn("blocks.0.attn.qkv.bias", lvvit.lvvit_s(tiny=True).state_dict())
        self.assert_keys(deeplabv2.deeplabv2(tiny=True), [
            "conv1.weight", "bn1.running_mean", "layer1.0.downsample.0.weight", "layer1.0.downsample.1.bias",
            "layer3.0.conv2.weight", "layer6.conv2d_list.3.bias"])
        self.assert_keys(efficientdet.efficientdet_d0(tiny=True), [
            "backbone.conv_stem.weight", "backbone.blocks.0.0.conv_dw.weight", "backbone.blocks.0.0.se.conv_reduce.bias",
            "backbone.blocks.1.0.conv_pwl.weight", "backbone.blocks.1.0.bn3.running_var",
            "fpn.resample.3.conv.conv.bias", "fpn.resample.3.conv.bn.weight",
            "fpn.cell.0.fnode.0.combine.edge_weights", "fpn.cell.0.fnode.2.combine.resample.1.conv.conv.weight",
            "fpn.cell.1.fnode.7.after_combine.conv.conv_pw.bias", "fpn.cell.1.fnode.7.after_combine.conv.bn.weight",
            "class_net.conv_rep.1.conv_dw.weight", "class_net.bn_rep.1.4.bn.running_mean",
            "box_net.predict.conv_pw.bias"])

    def test_deeplab_dilations_and_pool(self):
        m = deeplabv2.deeplabv2(tiny=True)
        self.assertTrue(m.maxpool.ceil_mode)
        self.assertEqual(m.layer3[0].conv2.dilation, (2, 2))
        self.assertEqual(m.layer4[0].conv2.dilation, (4, 4))
        self.assertEqual(m.layer2[0].conv1.stride, (2, 2))   # stride on the 1x1 conv
        self.assertEqual([c.dilation[0] for c in m.layer6.conv2d_list], [6, 12, 18, 24])


class WeightInit(unittest.TestCase):
    def test_random_weights_are_deterministic_and_order_one(self):
        spec = export.SPECS["dpn131"]
        a = export.build_model(spec, True, 0)
        b = export.build_model(spec, True, 0)
        c = export.build_model(spec, True, 1)
        x = export.reference_input(spec, True, 1, 0)
        with torch.no_grad():
            ya, yb, yc = a(x), b(x), c(x)
        self.assertTrue(torch.equal(ya, yb))
        self.assertFalse(torch.equal(ya, yc))
        self.assertLess(ya.abs().max().item(), 50.0)
        self.assertGreater(ya.std().item(), 0.05)
        bn = a.features.conv2_1.c1x1_a.bn
        self.assertFalse(torch.allclose(bn.running_var, torch.ones_like(bn.running_var)))
        self.assertFalse(torch.allclose(bn.running_mean, torch.zeros_like(bn.running_mean)))


if __name__ == "__main__":
    unittest.main()
