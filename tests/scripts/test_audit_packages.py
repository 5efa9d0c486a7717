"""scripts/audit_packages against this machine's real build: green with scripts/packages.txt, and
red, naming the package and the file, once a package the build needs is taken off the list."""
import os
import subprocess
import tempfile
import unittest
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
AUDIT = REPO / "scripts" / "audit_packages"
BUILD_DIR = os.environ.get("KILN_BUILD_DIR", str(REPO / "build" / "release"))


def audit(package_list, *extra):
    return subprocess.run([str(AUDIT), "--build-dir", BUILD_DIR, "--packages", str(package_list),
                           *extra], capture_output=True, text=True, timeout=300)


def list_without(names):
    lines = (REPO / "scripts" / "packages.txt").read_text().splitlines()
    kept = [line for line in lines if line.split("#")[0].strip() not in names]
    assert len(kept) == len(lines) - len(names), f"{names} not all in packages.txt"
    handle = tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False)
    handle.write("\n".join(kept) + "\n")
    handle.close()
    return Path(handle.name)


class AuditPackagesTest(unittest.TestCase):
    def test_the_project_list_is_complete(self):
        result = audit(REPO / "scripts" / "packages.txt")
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertIn("audit_packages: OK", result.stdout)

    def test_dropping_the_opencl_dev_package_is_caught(self):
        # The bug this audit exists for: dnnl-config.cmake needs libOpenCL.so, which libdnnl-dev
        # only recommends.
        path = list_without({"ocl-icd-opencl-dev", "opencl-c-headers"})
        try:
            result = audit(path, "--no-python")
        finally:
            path.unlink()
        self.assertEqual(result.returncode, 1, result.stdout + result.stderr)
        self.assertIn("ocl-icd-opencl-dev: not in", result.stdout)
        self.assertIn("libOpenCL.so  (CMakeCache.txt OpenCL_LIBRARY)", result.stdout)

    def test_dropping_a_header_package_is_caught_through_ninja_deps(self):
        # nlohmann-json3-dev is header-only: only the compiler's dependency records show its use.
        path = list_without({"nlohmann-json3-dev"})
        try:
            result = audit(path, "--no-python")
        finally:
            path.unlink()
        self.assertEqual(result.returncode, 1, result.stdout + result.stderr)
        self.assertIn("nlohmann-json3-dev: not in", result.stdout)
        self.assertRegex(result.stdout, r"/usr/include/nlohmann/\S+\.hpp  \(ninja deps of ")

    def test_dropping_a_python_package_is_caught(self):
        path = list_without({"python3-skimage"})
        try:
            result = audit(path)
        finally:
            path.unlink()
        self.assertEqual(result.returncode, 1, result.stdout + result.stderr)
        self.assertIn("python3-skimage: not in", result.stdout)
        self.assertIn("python: import skimage in", result.stdout)


if __name__ == "__main__":
    unittest.main()
