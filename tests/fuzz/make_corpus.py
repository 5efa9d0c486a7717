#!/usr/bin/python3
"""Writes the seed corpora of the fuzz targets into tests/fuzz/corpus/<target>/ (small files:
each a valid or nearly valid input the fuzzer mutates from). Deterministic; rerun after changing
it and commit the result. Files named crash-* or regression-* there are found inputs, kept by
hand, and not touched.

Usage: /usr/bin/python3 tests/fuzz/make_corpus.py [--out tests/fuzz/corpus]
"""
import argparse
import io
import json
import random
import struct
import zlib
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper
from PIL import Image

INT64_MAX = 2**63 - 1
HUGE = 2**62 + 1  # 4611686018427387905: x4 overflows int64


def write(directory, name, data):
    directory.mkdir(parents=True, exist_ok=True)
    (directory / name).write_bytes(data if isinstance(data, bytes) else data.encode())


# ---- ONNX models: the kiln info path, with attributes and shape constants near INT64_MAX ----

def model(nodes, inputs, outputs, initializers=(), opset=13):
    graph = helper.make_graph(nodes, "fuzz", inputs, outputs, list(initializers))
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)],
                          producer_name="kiln-fuzz-corpus")
    m.ir_version = 8
    return m.SerializeToString()


def float_input(name, dims):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, dims)


def output(name):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, None)


def ints(name, values):
    return helper.make_tensor(name, TensorProto.INT64, [len(values)], values)


def onnx_seeds(rng):
    seeds = {}
    weight = helper.make_tensor("w", TensorProto.FLOAT, [2, 1, 3, 3], [0.5] * 18)
    x = float_input("x", [1, 1, 8, 8])
    seeds["relu_add"] = model(
        [helper.make_node("Relu", ["x"], ["r"]), helper.make_node("Add", ["r", "x"], ["y"])],
        [x], [output("y")])
    seeds["conv"] = model([helper.make_node("Conv", ["x", "w"], ["y"], pads=[1, 1, 1, 1])],
                          [x], [output("y")], [weight])
    # The strides=[0,0] of issue 16 and its neighbours; random attributes for the rest.
    for i, (strides, dilations, pads) in enumerate(
            [([0, 0], [1, 1], [0, 0, 0, 0]), ([1, 1], [0, 0], [0, 0, 0, 0]),
             ([1, 1], [1, 1], [-1, 0, 0, 0]), ([INT64_MAX, 1], [1, 1], [0, 0, 0, 0]),
             ([1, 1], [INT64_MAX, 1], [0, 0, 0, 0]), ([1, 1], [1, 1], [INT64_MAX, 0, 0, 0])]):
        seeds[f"conv_attributes_{i}"] = model(
            [helper.make_node("Conv", ["x", "w"], ["y"], strides=strides, dilations=dilations,
                              pads=pads)], [x], [output("y")], [weight])
    for op in ["MaxPool", "AveragePool"]:
        for i in range(4):
            attributes = {
                "kernel_shape": [rng.choice([0, 1, 2, 3, INT64_MAX]) for _ in range(2)],
                "strides": [rng.choice([0, 1, 2, INT64_MAX]) for _ in range(2)],
                "pads": [rng.choice([0, 1, 5, INT64_MAX]) for _ in range(4)],
            }
            if i == 0:
                attributes = {"kernel_shape": [2, 2], "strides": [0, 0]}
            if i == 1:
                attributes["auto_pad"] = rng.choice(["SAME_UPPER", "SAME_LOWER", "VALID"])
                del attributes["pads"]
            seeds[f"{op.lower()}_{i}"] = model([helper.make_node(op, ["x"], ["y"], **attributes)],
                                               [x], [output("y")])
    small = float_input("x", [1, 1])
    for op, constant in [("Expand", [HUGE, 4]), ("Tile", [HUGE, 4]), ("Reshape", [HUGE, 4]),
                         ("Expand", [INT64_MAX, INT64_MAX]), ("Reshape", [-1, 0])]:
        seeds[f"{op.lower()}_{len(seeds)}"] = model(
            [helper.make_node(op, ["x", "s"], ["y"])], [small], [output("y")],
            [ints("s", constant)])
    for constant in [[HUGE, 4], [2**40, 4], [0, INT64_MAX]]:
        seeds[f"constant_of_shape_{len(seeds)}"] = model(
            [helper.make_node("ConstantOfShape", ["s"], ["c"]),
             helper.make_node("Add", ["x", "c"], ["y"])],
            [small], [output("y")], [ints("s", constant)])
    seeds["huge_input"] = model([helper.make_node("Relu", ["x"], ["y"])],
                                [float_input("x", [HUGE, 3, 224, 224])], [output("y")])
    seeds["symbolic_batch"] = model([helper.make_node("Relu", ["x"], ["y"])],
                                    [float_input("x", ["batch", 3, 4, 4])], [output("y")])
    seeds["gemm"] = model(
        [helper.make_node("Gemm", ["x", "b"], ["y"], transB=1)], [float_input("x", [2, 3])],
        [output("y")], [helper.make_tensor("b", TensorProto.FLOAT, [4, 3], [1.0] * 12)])
    seeds["slice_concat"] = model(
        [helper.make_node("Slice", ["x", "st", "en"], ["s"]),
         helper.make_node("Concat", ["s", "s"], ["y"], axis=1)],
        [float_input("x", [2, 6])], [output("y")],
        [ints("st", [1]), ints("en", [INT64_MAX])])
    return seeds


# ---- .npy ----

def npy_bytes(array):
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def npy_header(header, data=b""):
    header = header + " " * ((64 - (10 + len(header) + 1) % 64) % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode() + data


def npy_seeds():
    seeds = {
        "f4_2x3": npy_bytes(np.arange(6, dtype=np.float32).reshape(2, 3)),
        "u1_3": npy_bytes(np.arange(3, dtype=np.uint8)),
        "f8_scalar": npy_bytes(np.float64(1.5)),
        "b1_2x2": npy_bytes(np.array([[True, False], [False, True]])),
        "i8_1x2x1": npy_bytes(np.arange(2, dtype=np.int64).reshape(1, 2, 1)),
        "f2_4": npy_bytes(np.ones(4, dtype=np.float16)),
    }
    for i, shape in enumerate(["(-1, 3, 224, 224)", "(1.0, 3)", f"({HUGE}, 3, 224, 224)",
                               f"({INT64_MAX},)", "(3)", "(1,,2)", "()"]):
        seeds[f"lying_shape_{i}"] = npy_header(
            "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape + ", }", b"\0" * 12)
    seeds["fortran"] = npy_header("{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }",
                                  b"\0" * 8)
    seeds["big_endian"] = npy_header("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }",
                                     b"\0" * 8)
    version2 = npy_bytes(np.zeros(2, np.float32))
    seeds["version2"] = (b"\x93NUMPY\x02\x00" + struct.pack("<I", len(version2) - 10 - 64) +
                         version2[10:10 + 64] + b"\0" * 8)[: len(version2) + 2]
    return seeds


# ---- images ----

def image_bytes(image, format, **options):
    buffer = io.BytesIO()
    image.save(buffer, format, **options)
    return buffer.getvalue()


def gradient(mode, size):
    width, height = size
    rgb = Image.new("RGB", size)
    rgb.putdata([((x * 16) % 256, (y * 16) % 256, (x + y) * 8 % 256)
                 for y in range(height) for x in range(width)])
    return rgb.convert(mode)


def jpeg_declaring(width, height):
    jpeg = bytearray(image_bytes(gradient("RGB", (16, 16)), "JPEG", quality=50))
    frame = jpeg.index(b"\xff\xc0")
    jpeg[frame + 5:frame + 9] = struct.pack(">HH", height, width)
    return bytes(jpeg)


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(
        ">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_declaring(width, height):
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) +
            png_chunk(b"IDAT", zlib.compress(b"\0" * 64)) + png_chunk(b"IEND", b""))


def jpeg_seeds():
    return {
        "rgb_16x16": image_bytes(gradient("RGB", (16, 16)), "JPEG", quality=50),
        "gray_8x8": image_bytes(gradient("L", (8, 8)), "JPEG", quality=50),
        "progressive_24x8": image_bytes(gradient("RGB", (24, 8)), "JPEG", progressive=True),
        "cmyk_8x8": image_bytes(gradient("CMYK", (8, 8)), "JPEG", quality=50),
        "subsampled_17x9": image_bytes(gradient("RGB", (17, 9)), "JPEG", subsampling=2),
        "declares_65500x65500": jpeg_declaring(65500, 65500),
    }


def png_seeds():
    return {
        "rgb_8x8": image_bytes(gradient("RGB", (8, 8)), "PNG"),
        "gray_8x8": image_bytes(gradient("L", (8, 8)), "PNG"),
        "palette_8x8": image_bytes(gradient("RGB", (8, 8)).convert("P"), "PNG"),
        "one_bit_9x3": image_bytes(gradient("1", (9, 3)), "PNG"),
        "gray16_4x4": image_bytes(gradient("L", (4, 4)).convert("I;16"), "PNG"),
        "rgba_5x5": image_bytes(gradient("RGBA", (5, 5)), "PNG"),
        "gray_alpha_3x3": image_bytes(gradient("LA", (3, 3)), "PNG"),
        "optimized_8x8": image_bytes(gradient("RGB", (8, 8)), "PNG", optimize=True),
        "declares_40000x40000": png_declaring(40000, 40000),
        "declares_100000x100000": png_declaring(100000, 100000),
    }


# ---- text and JSON readers ----

def info_seeds():
    return {
        "one": "0 a.bin 224 224\n",
        "two": "0 a.bin 1 3\n1 ./a.bin 1 3\n",
        "comment_blank": "\n0 a.bin 1 3\n\n",
        "missing": "0 missing.bin 1 3\n",
        "junk": "a.bin\n\x01\x02\x03 \xff\n",
        "duplicate": "0 a.bin 1 3\n0 a.bin 1 3\n",
    }


def outputs_json_seeds():
    def manifest(outputs):
        return json.dumps({"format": "bin", "outputs": outputs}, indent=2) + "\n"
    return {
        "float32": manifest([{"index": 1, "name": "logits", "dtype": "float32", "shape": [4]},
                             {"index": 2, "name": "boxes", "dtype": "float32", "shape": [2, 2]}]),
        "int64": manifest([{"index": 1, "name": "y", "dtype": "int64", "shape": [2]}]),
        "shape_x": manifest([{"index": 1, "name": "y", "dtype": "float32", "shape": "x"}]),
        "huge_shape": manifest([{"index": 1, "name": "y", "dtype": "float32",
                                 "shape": [HUGE, 4]}]),
        "negative_index": manifest([{"index": -1, "name": "y", "dtype": "float32", "shape": []}]),
        "empty": "{}",
    }


def coco_annotation_seeds():
    def instances(annotations, images=None):
        return json.dumps({
            "images": images or [{"id": 1, "file_name": "a.jpg", "width": 640, "height": 480}],
            "annotations": annotations,
            "categories": [{"id": 1, "name": "person"}, {"id": 3, "name": "car"}],
        })
    box = {"id": 1, "image_id": 1, "category_id": 1, "bbox": [10, 20, 30, 40], "area": 1200,
           "iscrowd": 0}
    return {
        "one_box": instances([box]),
        "crowd": instances([dict(box, iscrowd=1), dict(box, id=2, category_id=3)]),
        "huge_ids": instances([dict(box, id=INT64_MAX, image_id=INT64_MAX)],
                              [{"id": INT64_MAX, "width": 1, "height": 1}]),
        "negative_box": instances([dict(box, bbox=[-1, -1, -5, 1e308])]),
        "no_annotations": instances([]),
    }


def coco_detection_seeds():
    detection = {"image_id": 1, "category_id": 1, "bbox": [1.5, 2.5, 10, 20], "score": 0.9}
    return {
        "one": json.dumps([detection]),
        "two": json.dumps([detection, dict(detection, category_id=3, score=0.001)]),
        "nan_token": '[{"image_id": 1, "category_id": 1, "bbox": [nan, 0, 1, 1], "score": 1}]',
        "huge": json.dumps([dict(detection, image_id=INT64_MAX, bbox=[1e308, 0, 1e308, 1])]),
        "empty": "[]",
    }


def images_json_seeds():
    image = {"stem": "000000000139", "file_name": "000000000139.jpg", "image_id": 139,
             "width": 640, "height": 426, "scale": 1.0}
    return {
        "one": json.dumps({"images": [image]}),
        "two": json.dumps({"images": [image, dict(image, stem="b", image_id=2, scale=0.5)]}),
        "huge": json.dumps({"images": [dict(image, width=INT64_MAX, height=HUGE, scale=1e308)]}),
        "wrong_types": json.dumps({"images": [dict(image, stem=1, width="x")]}),
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "corpus")
    args = parser.parse_args()
    rng = random.Random(16)
    targets = {
        "onnx_import": (onnx_seeds(rng), ".onnx"),
        "npy": (npy_seeds(), ".npy"),
        "info_list": (info_seeds(), ".info"),
        "jpeg": (jpeg_seeds(), ".jpg"),
        "png": (png_seeds(), ".png"),
        "outputs_json": (outputs_json_seeds(), ".json"),
        "coco_annotations": (coco_annotation_seeds(), ".json"),
        "coco_detections": (coco_detection_seeds(), ".json"),
        "images_json": (images_json_seeds(), ".json"),
    }
    for target, (seeds, suffix) in targets.items():
        directory = args.out / target
        for old in directory.glob("seed-*"):
            old.unlink()
        for name, data in seeds.items():
            write(directory, f"seed-{name}{suffix}", data)
        print(f"{target}: {len(seeds)} seeds")


if __name__ == "__main__":
    main()
