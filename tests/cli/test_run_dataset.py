"""End-to-end tests of `kiln run` over datasets and of `kiln bench`: real processes, real files."""

import json
import os
import signal
import subprocess
import time

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from cli_support import KILN, KilnTestCase, run_kiln, small_model


def two_output_model(path):
    """image[N,3,4,4] -> relu = Relu(image), doubled = image * 2."""
    image = helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", 3, 4, 4])
    outputs = [helper.make_tensor_value_info(name, TensorProto.FLOAT, ["N", 3, 4, 4])
               for name in ("relu", "doubled")]
    two = numpy_helper.from_array(np.array([2.0], np.float32), "two")
    nodes = [helper.make_node("Relu", ["image"], ["relu"]),
             helper.make_node("Mul", ["image", "two"], ["doubled"])]
    graph = helper.make_graph(nodes, "g", [image], outputs, initializer=[two])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.save(model, str(path))
    return path


def matmul_chain_model(path, width=512, depth=8):
    """x[N,width] -> depth MatMuls: slow enough per sample to interrupt a run midway."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", width])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", width])
    rng = np.random.default_rng(1)
    nodes, weights, previous = [], [], "x"
    for i in range(depth):
        w = (rng.standard_normal((width, width)) / np.sqrt(width)).astype(np.float32)
        weights.append(numpy_helper.from_array(w, f"w{i}"))
        output = "y" if i == depth - 1 else f"h{i}"
        nodes.append(helper.make_node("MatMul", [previous, f"w{i}"], [output]))
        previous = output
    graph = helper.make_graph(nodes, "g", [x], [y], initializer=weights)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.save(model, str(path))
    return path


def write_samples(directory, count, shape=(3, 4, 4), seed=0, fmt="bin"):
    directory.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    samples = {}
    for i in range(count):
        x = rng.standard_normal(shape).astype(np.float32)
        stem = f"img_{i:04d}"
        if fmt == "bin":
            x.tofile(directory / f"{stem}.bin")
        else:
            np.save(directory / f"{stem}.npy", x)
        samples[stem] = x
    return samples


class RunDatasetTest(KilnTestCase):
    def test_outputs_names_contents_and_report(self):
        model = two_output_model(self.dir / "two.onnx")
        samples = write_samples(self.dir / "in", 10)
        result = run_kiln("run", model, "--input", self.dir / "in", "--output", self.dir / "out",
                          "--batch", "4", "--summary", self.dir / "summary.json")
        self.assertEqual(result.returncode, 0, result.stderr)
        names = sorted(p.name for p in (self.dir / "out").iterdir())
        expected_names = sorted([f"{stem}_{k}.bin" for stem in samples for k in (1, 2)]
                                + ["outputs.json"])
        self.assertEqual(names, expected_names)  # padding dropped, nothing half-written left
        for stem, x in samples.items():
            relu = np.fromfile(self.dir / "out" / f"{stem}_1.bin", np.float32).reshape(3, 4, 4)
            doubled = np.fromfile(self.dir / "out" / f"{stem}_2.bin", np.float32).reshape(3, 4, 4)
            np.testing.assert_array_equal(relu, np.maximum(x, 0))
            np.testing.assert_array_equal(doubled, x * 2)
        manifest = json.loads((self.dir / "out" / "outputs.json").read_text())
        self.assertEqual(manifest["outputs"][1], {"index": 2, "name": "doubled",
                                                  "dtype": "float32", "shape": [3, 4, 4]})
        # The seeds' lines, then kiln's summary.
        for line in ("[e2e] throughputRate: ", "[data read] throughputRate: ",
                     "[preprocess] throughputRate: ", "Interface throughputRate: ",
                     "[post] throughputRate: ", "samples: 10 run in 3 batches of 4 "
                     "(last padded with 2)", "batch latency (ms): mean", "peak RSS"):
            self.assertIn(line, result.stdout)
        summary = json.loads((self.dir / "summary.json").read_text())
        for key in ("kiln_version", "date", "model", "machine", "batch", "threads", "samples",
                    "e2e", "stages", "inference", "memory", "queues", "output", "interrupted"):
            self.assertIn(key, summary)
        self.assertEqual(len(summary["model"]["sha256"]), 64)
        self.assertEqual(summary["samples"], {"total": 10, "run": 10, "skipped": 0, "padded": 2,
                                              "batches": 3})
        self.assertEqual(set(summary["stages"]),
                         {"read", "preprocess", "infer", "postprocess", "write"})
        self.assertGreaterEqual(summary["e2e"]["seconds"],
                                summary["stages"]["infer"]["busy_seconds"])
        for key in ("mean", "p50", "p90", "p99", "min", "max", "cv"):
            self.assertIn(key, summary["inference"]["batch_latency_ms"])
        self.assertGreater(summary["memory"]["peak_rss_bytes"], 0)

    def test_info_list_and_text_outputs(self):
        model = two_output_model(self.dir / "two.onnx")
        samples = write_samples(self.dir / "prep", 3)
        # As the seeds write it: index, path, width, height; paths relative to the list.
        lines = [f"{i} prep/{stem}.bin 4 4" for i, stem in enumerate(reversed(list(samples)))]
        (self.dir / "data.info").write_text("\n".join(lines) + "\n")
        result = run_kiln("run", model, "--input", self.dir / "data.info", "--output",
                          self.dir / "out", "--outfmt", "txt", "--quiet")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertNotIn("kiln run 3/3", result.stdout)  # --quiet: no progress
        for stem, x in samples.items():
            text = (self.dir / "out" / f"{stem}_2.txt").read_text()
            self.assertEqual(len(text.splitlines()), 12)  # one line per innermost row
            np.testing.assert_array_equal(np.array(text.split(), np.float32), (x * 2).ravel())

    def test_several_inputs_one_directory_each(self):
        image = helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", 3, 4, 4])
        scale = helper.make_tensor_value_info("scale", TensorProto.FLOAT, ["N", 3, 4, 4])
        out = helper.make_tensor_value_info("out", TensorProto.FLOAT, ["N", 3, 4, 4])
        graph = helper.make_graph([helper.make_node("Mul", ["image", "scale"], ["out"])], "g",
                                  [image, scale], [out])
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
        model.ir_version = 8
        onnx.save(model, str(self.dir / "mul.onnx"))
        images = write_samples(self.dir / "images", 5, seed=1)
        scales = write_samples(self.dir / "scales", 5, seed=2, fmt="npy")
        result = run_kiln("run", self.dir / "mul.onnx", "--input",
                          f"scale={self.dir / 'scales'},image={self.dir / 'images'}",
                          "--output", self.dir / "out", "--batch", "2", "--outfmt", "npy")
        self.assertEqual(result.returncode, 0, result.stderr)
        for stem in images:
            np.testing.assert_array_equal(np.load(self.dir / "out" / f"{stem}_1.npy"),
                                          images[stem] * scales[stem])

    def test_ctrl_c_keeps_finished_outputs_and_resume_completes_the_run(self):
        model = matmul_chain_model(self.dir / "chain.onnx")
        samples = write_samples(self.dir / "in", 3000, shape=(512,))
        out = self.dir / "out"
        process = subprocess.Popen([KILN, "run", str(model), "--input", str(self.dir / "in"),
                                    "--output", str(out), "--threads", "1"],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.time() + 60
        while time.time() < deadline and (not out.exists() or len(os.listdir(out)) < 50):
            time.sleep(0.01)
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=60)
        self.assertEqual(process.returncode, 130, stderr)
        self.assertIn("run again with --resume", stderr)
        self.assertIn("INTERRUPTED", stdout)
        written = [p for p in out.iterdir() if p.name != "outputs.json"]
        self.assertGreater(len(written), 0)
        self.assertLess(len(written), len(samples), "the run ended before the signal")
        for path in written:
            self.assertRegex(path.name, r"^img_\d{4}_1\.bin$")  # no temporary files left
            self.assertEqual(path.stat().st_size, 512 * 4)

        resumed = run_kiln("run", model, "--input", self.dir / "in", "--output", out,
                           "--resume", "--threads", "1", timeout=300)
        self.assertEqual(resumed.returncode, 0, resumed.stderr)
        self.assertIn(f"{len(written)} skipped", resumed.stdout)
        reference = run_kiln("run", model, "--input", self.dir / "in", "--output",
                             self.dir / "reference", "--threads", "1", timeout=300)
        self.assertEqual(reference.returncode, 0, reference.stderr)
        for stem in samples:
            self.assertEqual((out / f"{stem}_1.bin").read_bytes(),
                             (self.dir / "reference" / f"{stem}_1.bin").read_bytes(), stem)

    def test_bad_inputs_are_one_line_errors(self):
        model = two_output_model(self.dir / "two.onnx")
        write_samples(self.dir / "in", 3)
        (self.dir / "in" / "img_0001.bin").write_bytes(b"\0" * 100)
        self.assert_user_error(
            run_kiln("run", model, "--input", self.dir / "in", "--output", self.dir / "out"),
            "img_0001.bin' has 100 bytes", "float32[3,4,4] = 192 bytes")

        np.save(self.dir / "in" / "img_0001.npy", np.zeros((3, 4, 4), np.float64))
        (self.dir / "in" / "img_0001.bin").unlink()
        self.assert_user_error(
            run_kiln("run", model, "--input", self.dir / "in"),
            "img_0001.npy' holds float64[3,4,4]", "takes one sample of float32[3,4,4]")

        (self.dir / "list.info").write_text("0 in/img_0000.bin 4 4\n1 in/missing.bin 4 4\n")
        self.assert_user_error(run_kiln("run", model, "--input", self.dir / "list.info"),
                               "list.info' line 2", "missing.bin' does not exist")

        (self.dir / "a_file").write_text("")
        write_samples(self.dir / "good", 2)
        self.assert_user_error(
            run_kiln("run", model, "--input", self.dir / "good", "--output",
                     self.dir / "a_file" / "out"),
            "--output", "a_file")

        self.assert_user_error(run_kiln("run", model, "--input", self.dir / "empty.info"),
                               "empty.info")
        self.assert_user_error(
            run_kiln("run", model, "--input", self.dir / "good", "--loop", "3"), "--loop")

    def test_fixed_batch_model_refuses_another_batch(self):
        model = small_model(self.dir / "fixed.onnx", batch=1)
        write_samples(self.dir / "in", 2)
        self.assert_user_error(
            run_kiln("run", model, "--input", self.dir / "in", "--batch", "4"), "fixed batch")


class BenchTest(KilnTestCase):
    def test_sweep_table_and_reports(self):
        model = two_output_model(self.dir / "two.onnx")
        result = run_kiln("bench", model, "--batch", "1,3", "--iterations", "4", "--warmup", "1",
                          "--streams", "2", "--threads", "2", "--summary", self.dir / "b.json",
                          "--markdown", self.dir / "b.md")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("samples/s", result.stdout)
        report = json.loads((self.dir / "b.json").read_text())
        self.assertEqual([r["batch"] for r in report["results"]], [1, 3])
        for row in report["results"]:
            self.assertEqual(row["runs"], 8)  # every timed run of both streams counted
            self.assertEqual(row["streams"], 2)
            self.assertEqual(row["threads_per_stream"], 1)
            self.assertGreater(row["samples_per_second"], 0)
            latency = row["batch_latency_ms"]
            self.assertLessEqual(latency["min"], latency["p50"])
            self.assertLessEqual(latency["p50"], latency["p99"])
            self.assertLessEqual(latency["p99"], latency["max"])
            self.assertAlmostEqual(row["samples_per_second"],
                                   row["batch"] * row["runs"] / row["seconds"], places=3)
            for key in ("weights_bytes", "arena_bytes", "peak_rss_bytes"):
                self.assertIn(key, row["memory"])
        markdown = (self.dir / "b.md").read_text()
        self.assertIn("| batch | streams | runs | samples/s |", markdown)
        self.assertEqual(markdown.count("\n| 1 | 2 | 8 |") + markdown.count("\n| 3 | 2 | 8 |"), 2)

    def test_real_inputs_fill_the_batch(self):
        model = small_model(self.dir / "relu.onnx")
        np.save(self.dir / "one.npy", np.ones((3, 4, 4), np.float32))
        result = run_kiln("bench", model, "--batch", "5", "--iterations", "2", "--input",
                          self.dir / "one.npy")
        self.assertEqual(result.returncode, 0, result.stderr)
        np.save(self.dir / "bad.npy", np.ones((2, 2), np.float32))
        self.assert_user_error(run_kiln("bench", model, "--iterations", "1", "--input",
                                        self.dir / "bad.npy"), "bad.npy", "float32[3,4,4]")

    def test_fixed_batch_and_bad_options(self):
        model = small_model(self.dir / "fixed.onnx", batch=1)
        self.assert_user_error(run_kiln("bench", model, "--batch", "1,8", "--iterations", "1"),
                               "--batch 8", "fixed batch of 1")
        result = run_kiln("bench", model, "--iterations", "2", "--duration", "1")
        self.assertNotEqual(result.returncode, 0)
