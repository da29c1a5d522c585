"""guidance4j's GPU check: correctness on CUDA and the side-by-side with PyTorch, in one run.

Started by benchmarks/gpu-check.sh from an unpacked bundle (make-bundle.sh): needs Python with
PyTorch and numpy, the CUDA driver, and nothing else (the bundle brings the native library, the
smoke CLI, the jars and a Java runtime). Every step runs as a child process with its own time
limit, so a step that fails, hangs or crashes is reported and the rest still runs; results.json and
results.md in --out are rewritten after every step, so a run cut short keeps what it measured.

Steps: environment; the vendor ABI check (our cuDNN/cuBLASLt declarations against the real headers,
when present); g4j_smoke on CUDA with the vendor path on and off (every op against float64); the
tensor-core layout test; the committed network fixtures through `guidance4j forward` on CUDA; a
guided sampling run per dtype; ADM-64 forward at B=1/16/64 in f32/bf16/f16 against PyTorch eager on
the same weights, and a CFG step against a forward of 2B (GpuTiming); every conv shape of ADM-64,
attention and GroupNorm+SiLU at its shapes against PyTorch, and the device copy rate (ctypes on the
C API); optionally torch.compile (--compile).

--device cpu rehearses all of it on a CPU with a tiny network and small shapes.
"""

import argparse
import datetime
import glob
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from common import rel_l2, write_atomic  # noqa: E402
from report import markdown  # noqa: E402
import workers  # noqa: E402

# ---------------------------------------------------------------------------------------------
# The orchestrator


class Check:
    def __init__(self, args):
        self.args = args
        self.cuda = args.device == "cuda"
        self.start = time.time()
        self.deadline = self.start + args.budget
        self.out = os.path.abspath(args.out)
        os.makedirs(self.out, exist_ok=True)
        self.work = tempfile.mkdtemp(prefix="g4j-gpu-check-")
        self.root = os.path.abspath(args.root)
        self.repo = os.path.abspath(args.repo) if args.repo else None
        self.log_path = os.path.join(self.out, "log.txt")
        open(self.log_path, "w").close()
        self.results = {"started": now(), "device_mode": args.device, "steps": {}}
        self.env = dict(os.environ)
        self.env["GUIDANCE4J_LIBRARY_PATH"] = self.path("lib/libguidance4j.so")
        self.env.setdefault("PYTHONUNBUFFERED", "1")
        self.env.setdefault("G4J_VENDOR_LOG", "1")  # cuDNN's choice per shape, into log.txt

    # -- files of the bundle, else of the repository checkout
    def path(self, rel, repo_rel=None):
        p = os.path.join(self.root, rel)
        if os.path.exists(p) or self.repo is None:
            return p
        return os.path.join(self.repo, repo_rel or rel)

    def java(self):
        return [self.path("jre/bin/java"), "--enable-native-access=ALL-UNNAMED",
                "-Dguidance4j.library.path=" + self.path("lib/libguidance4j.so")]

    def cli(self):
        return self.java() + ["-cp", os.path.join(self.root, "jars", "*"), "org.guidance4j.cli.Main"]

    def remaining(self):
        return self.deadline - time.time()

    def log(self, text):
        with open(self.log_path, "a") as f:
            f.write(text if text.endswith("\n") else text + "\n")

    def say(self, text):
        print(f"[{time.time() - self.start:6.1f}s] {text}", flush=True)
        self.log(f"[{time.time() - self.start:6.1f}s] {text}")

    def run(self, argv, limit, env=None, cwd=None):
        """(rc, output, seconds); rc None on timeout. Output also goes to log.txt."""
        limit = max(5, min(limit, self.remaining() - 15))
        self.log("$ " + " ".join(argv))
        t0 = time.time()
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env or self.env,
                                cwd=cwd or self.work, start_new_session=True)
        try:
            out, _ = proc.communicate(timeout=limit)
            rc = proc.returncode
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            out, _ = proc.communicate()
            rc = None
        text = out.decode("utf-8", "replace")
        self.log(text)
        self.log(f"(exit {rc if rc is not None else 'TIMEOUT after %.0f s' % limit}, {time.time() - t0:.1f} s)")
        return rc, text, time.time() - t0

    def worker(self, name, extra, limit):
        """This script in worker mode: its JSON result, or an error dict."""
        out_json = os.path.join(self.work, f"{name}.json")
        argv = [sys.executable, os.path.abspath(__file__), "--worker", name, "--device", self.args.device,
                "--root", self.root, "--out", self.out, "--json", out_json] + (
                    ["--repo", self.repo] if self.repo else []) + extra
        rc, text, secs = self.run(argv, limit)
        data = {}
        if os.path.exists(out_json):
            with open(out_json) as f:
                data = json.load(f)
        if rc != 0:
            data["error"] = failure(rc, text)
        data["seconds"] = round(secs, 1)
        return data

    def step(self, name, fn, reserve=0):
        if self.remaining() < 20 + reserve:
            self.results["steps"][name] = {"status": "skipped", "why": "out of time (--budget)"}
            self.say(f"{name}: skipped, out of time")
            self.save()
            return
        self.say(f"{name} ...")
        t0 = time.time()
        try:
            res = fn()
        except Exception as e:  # a bug in this script must not end the check
            res = {"status": "error", "why": f"{type(e).__name__}: {e}"}
        res.setdefault("seconds", round(time.time() - t0, 1))
        self.results["steps"][name] = res
        self.say(f"{name}: {res.get('status', '?')} ({res['seconds']} s){' - ' + res['why'] if res.get('why') else ''}")
        self.save()

    def save(self):
        self.results["elapsed_s"] = round(time.time() - self.start, 1)
        write_atomic(os.path.join(self.out, "results.json"), json.dumps(self.results, indent=1, default=str) + "\n")
        write_atomic(os.path.join(self.out, "results.md"), markdown(self.results))


def failure(rc, text):
    tail = "\n".join(text.strip().splitlines()[-6:])
    return ("timed out" if rc is None else f"exit {rc}") + (": " + tail if tail else "")


def now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def torch_site():
    try:
        import torch
    except ImportError:
        return None
    return os.path.dirname(os.path.dirname(os.path.abspath(torch.__file__)))


# Run in a child: PyTorch runs one convolution and one matrix product on the GPU, then says which
# cuDNN and cuBLASLt files it mapped, so ours loads the very same ones.
LOADED_BY_TORCH = """
import torch, json
x = torch.randn(1, 8, 8, 8, device="cuda", dtype=torch.bfloat16)
torch.nn.functional.conv2d(x, torch.randn(8, 8, 3, 3, device="cuda", dtype=torch.bfloat16))
(torch.randn(64, 64, device="cuda") @ torch.randn(64, 64, device="cuda")).sum().item()
libs = set()
with open("/proc/self/maps") as f:
    for line in f:
        path = line.split()[-1]
        if "/libcudnn.so" in path or "/libcublasLt.so" in path:
            libs.add(path)
print(json.dumps(sorted(libs)))
"""


def vendor_dirs_of_torch(c):
    rc, text, _ = c.run([sys.executable, "-c", LOADED_BY_TORCH], 90)
    found = []
    if rc == 0:
        try:
            found = json.loads(text.strip().splitlines()[-1])
        except (ValueError, IndexError):
            found = []
    if not found:  # PyTorch's wheels, wherever their lib folders are
        site = torch_site()
        if site:
            found = glob.glob(os.path.join(site, "nvidia", "**", "libcudnn.so.9"), recursive=True) + glob.glob(
                os.path.join(site, "nvidia", "**", "libcublasLt.so.*"), recursive=True)
    dirs = []
    for f in found:
        if os.path.dirname(f) not in dirs:
            dirs.append(os.path.dirname(f))
    return found, dirs


# ---------------------------------------------------------------------------------------------
# Steps


def step_environment(c):
    res = {"status": "ok", "python": platform.python_version(), "bundle": {}}
    info = os.path.join(c.root, "BUNDLE.json")
    if os.path.exists(info):
        with open(info) as f:
            res["bundle"] = json.load(f)
    try:
        import torch
        res["torch"] = torch.__version__
        res["torch_cudnn"] = torch.backends.cudnn.version() if torch.backends.cudnn.is_available() else None
        if c.cuda:
            res["gpu"] = torch.cuda.get_device_name(0)
    except Exception as e:  # noqa: BLE001
        res["torch"] = f"unavailable: {e}"
    if c.cuda and shutil.which("nvidia-smi"):
        rc, text, _ = c.run(["nvidia-smi", "--query-gpu=name,driver_version,memory.total,clocks.max.sm",
                             "--format=csv,noheader"], 30)
        res["nvidia_smi"] = text.strip()
    if c.cuda and "G4J_VENDOR_LIBRARY_PATH" not in c.env:
        # The same cuDNN and cuBLASLt as PyTorch: the comparison is then of the same kernels.
        files, dirs = vendor_dirs_of_torch(c)
        res["torch_vendor_files"] = files
        if dirs:
            c.env["G4J_VENDOR_LIBRARY_PATH"] = ":".join(dirs)
    res["vendor_library_path"] = c.env.get("G4J_VENDOR_LIBRARY_PATH", "")
    rc, text, _ = c.run(c.cli() + ["info-device"], 60)
    res["info_device"] = text.strip()
    if rc != 0:
        res["status"] = "FAIL"
        res["why"] = failure(rc, text)
    return res


def step_abi(c):
    """Our cuDNN / cuBLASLt declarations against NVIDIA's headers, where PyTorch's wheels have them."""
    site = torch_site()
    found = {}
    for k, header in (("cudnn", "cudnn.h"), ("cublas", "cublasLt.h"), ("cuda", "cuda_runtime_api.h")):
        hits = glob.glob(os.path.join(site, "nvidia", "**", header), recursive=True) if site else []
        hits += [os.path.join(d, header) for d in ("/usr/local/cuda/include", "/usr/include")
                 if os.path.exists(os.path.join(d, header))]
        if hits:
            found[k] = os.path.dirname(hits[0])
    cxx = shutil.which("g++") or shutil.which("c++")
    if len(found) < 3 or cxx is None:
        return {"status": "skipped", "why": f"headers or compiler not found (found {sorted(found)}, compiler {cxx})"}
    src = os.path.join(c.root, "check", "abi_check.cpp")
    exe = os.path.join(c.work, "abi_check")
    # The toolkit's own headers first when there is one: a wheel's copies may lack crt/.
    cuda_inc = "/usr/local/cuda/include" if os.path.exists("/usr/local/cuda/include/cuda_runtime_api.h") \
        else found["cuda"]
    rc, text, _ = c.run([cxx, "-std=c++17", "-Wno-deprecated-declarations", "-I" + found["cudnn"],
                         "-I" + cuda_inc, "-I" + found["cublas"], "-I" + os.path.join(c.root, "check"),
                         src, "-o", exe], 90)
    if rc != 0:
        return {"status": "FAIL", "why": "abi_check.cpp did not compile (a failed static_assert names a "
                "declaration that differs): " + failure(rc, text)}
    rc, text, _ = c.run([exe], 20)
    return {"status": "ok" if rc == 0 else "FAIL", "text": text.strip(), "headers": found}


def step_smoke(c):
    exe = c.path("bin/g4j_smoke")
    argv = [exe, "--backend", "cuda", "--vendor", "both"] if c.cuda else [exe, "--backend", "cpu", "--quick"]
    rc, text, secs = c.run(argv, 300)
    with open(os.path.join(c.out, "smoke.txt"), "w") as f:
        f.write(text)
    res = {"argv": " ".join(argv[1:])}
    summary = [l for l in text.splitlines() if " checks: " in l]
    res["summary"] = summary[-1] if summary else ""
    res["vendor"] = [l for l in text.splitlines() if l.startswith("CUDA backend") or l.startswith("CUDA calls")]
    res["failures"] = [l for l in text.splitlines() if "FAIL" in l or "API ERROR" in l][:40]
    # Per backend (the column after the 20-character kernel name): rows passed / failed.
    per = {}
    for l in text.splitlines():
        be = l[21:29].strip() if len(l) > 30 else ""
        if be not in ("cpu", "cuda", "cuda-v", "cuda-hw"):
            continue
        d = per.setdefault(be, {"ok": 0, "fail": 0})
        bad = "FAIL" in l or "API ERROR" in l
        d["fail" if bad else "ok"] += 1
    res["per_backend"] = per
    res["status"] = "ok" if rc == 0 else "FAIL"
    if rc != 0:
        res["why"] = failure(rc, text)
    return res


def step_mma(c):
    exe = c.path("bin/g4j_mma_layout_test")
    if not os.path.exists(exe):
        return {"status": "skipped", "why": "not in the bundle (built without nvcc)"}
    rc, text, _ = c.run([exe], 60)
    if rc == 77:
        return {"status": "skipped", "why": text.strip().splitlines()[-1] if text.strip() else "no GPU"}
    return {"status": "ok" if rc == 0 else "FAIL", "text": "\n".join(text.strip().splitlines()[-3:]),
            **({} if rc == 0 else {"why": failure(rc, text)})}


def fixture_dirs(c):
    base = c.path("fixtures", "java/src/test/resources/fixtures")
    dirs = sorted(glob.glob(os.path.join(base, "adm", "*", "config.json"))) + sorted(
        glob.glob(os.path.join(base, "edm2", "*", "config.json")))
    return [os.path.dirname(d) for d in dirs]


def step_fixtures(c):
    import numpy as np
    rows, ok = [], True
    device = "cuda" if c.cuda else "cpu"
    for d in fixture_dirs(c):
        name = os.path.relpath(d, os.path.dirname(os.path.dirname(d)))
        with open(os.path.join(d, "config.json")) as f:
            kind = json.load(f).get("kind", "adm_unet")
        base = c.cli() + ["forward", "--model", d, "--x", os.path.join(d, "x.npy"), "--device", device]
        if os.path.exists(os.path.join(d, "sigma.npy")):
            base += ["--sigma", os.path.join(d, "sigma.npy")]
        else:
            base += ["--t", os.path.join(d, "t.npy")]
        if os.path.exists(os.path.join(d, "y.npy")):
            base += ["--y", os.path.join(d, "y.npy")]
        checks = [("out", [], "logits.npy" if os.path.exists(os.path.join(d, "logits.npy")) else "out.npy")]
        if kind == "adm_classifier" and os.path.exists(os.path.join(d, "grad.npy")):
            checks.append(("grad", ["--grad"], "grad.npy"))
        for what, flags, want_file in checks:
            out = os.path.join(c.work, f"fixture-{name.replace('/', '-')}-{what}.npy")
            rc, text, secs = c.run(base + flags + ["--out", out], 90)
            row = {"fixture": name, "output": what, "seconds": round(secs, 1)}
            if rc != 0 or not os.path.exists(out):
                row.update(status="FAIL", why=failure(rc, text))
            else:
                err = rel_l2(np.load(out), np.load(os.path.join(d, want_file)))
                row.update(rel_l2=err, status="ok" if err < 1e-5 else "FAIL")
            ok = ok and row["status"] == "ok"
            rows.append(row)
    return {"status": "ok" if ok and rows else "FAIL", "tolerance": 1e-5, "rows": rows,
            **({} if rows else {"why": "no fixtures found"})}


def step_sampling(c):
    import numpy as np
    model = c.path("models/digits-unet")
    rows, ref = [], None
    dtypes = ["f32", "bf16", "f16"] if c.cuda else ["f32"]  # the CPU backend computes in F32 only
    for dt in dtypes:
        out = os.path.join(c.work, f"samples-{dt}.npy")
        argv = c.cli() + ["sample", "--model", model, "--guidance", "cfg", "--scale", "3", "--class",
                          "0,1,2,3,4,5,6,7,8,9", "--n", "40" if c.cuda else "10", "--steps", "50" if c.cuda else "10",
                          "--device", "cuda" if c.cuda else "cpu", "--dtype", dt, "--out", out]
        rc, text, secs = c.run(argv, 120)
        row = {"dtype": dt, "seconds": round(secs, 1)}
        if rc != 0 or not os.path.exists(out):
            row.update(status="FAIL", why=failure(rc, text))
        else:
            x = np.load(out)
            finite = bool(np.isfinite(x).all())
            row["finite"] = finite
            if dt == "f32":
                ref = x
            elif ref is not None:
                row["rel_l2_vs_f32"] = rel_l2(x, ref)
            row["status"] = "ok" if finite else "FAIL"
        rows.append(row)
    bad = [r["dtype"] for r in rows if r["status"] != "ok"]
    return {"status": "ok" if not bad else "FAIL", "rows": rows,
            **({"why": "failed: " + ", ".join(bad)} if bad else {})}


def step_adm_torch(c):
    res = c.worker("torch-adm", ["--model-dir", os.path.join(c.work, "adm64")] + (["--compile"] if c.args.compile else []),
                   240)
    res["status"] = "FAIL" if "error" in res else "ok"
    if "error" in res:
        res["why"] = res["error"]
    return res


def step_adm_ours(c):
    model_dir = os.path.join(c.work, "adm64")
    if not os.path.exists(os.path.join(model_dir, "config.json")):
        return {"status": "skipped", "why": "no model directory (the PyTorch step failed)"}
    out_json = os.path.join(c.work, "gpu-timing.json")
    argv = c.java() + ["-cp", os.path.join(c.root, "bench", "benchmarks.jar"), "org.guidance4j.bench.GpuTiming",
                       model_dir, "--json", out_json, "--device", "cuda" if c.cuda else "cpu",
                       "--dtypes", "F32,BF16,F16", "--batches", "1,16,64" if c.cuda else "1,2",
                       "--vendor", "on,off" if c.cuda else "on", "--warmup", "2" if c.cuda else "1",
                       "--repeats", "5" if c.cuda else "2", "--cfg-batch", "16" if c.cuda else "1"]
    rc, text, secs = c.run(argv, 300)
    res = {}
    if os.path.exists(out_json):
        with open(out_json) as f:
            res = json.load(f)
    res["status"] = "ok" if rc == 0 else "FAIL"
    if rc != 0:
        res["why"] = failure(rc, text)
    return res


def step_ops(c):
    shapes = os.path.join(c.work, "torch-adm.json")
    if not os.path.exists(shapes):
        return {"status": "skipped", "why": "no layer shapes (the PyTorch step failed)"}
    res = c.worker("ops", ["--shapes", shapes], 200)
    res["status"] = "FAIL" if "error" in res else "ok"
    if "error" in res:
        res["why"] = res["error"]
    return res


def main_check(args):
    c = Check(args)
    c.say(f"guidance4j GPU check, device {args.device}; bundle {c.root}; output {c.out}")
    c.step("environment", lambda: step_environment(c))
    c.step("abi", lambda: step_abi(c))
    c.step("smoke", lambda: step_smoke(c))
    c.step("mma_layout", lambda: step_mma(c))
    c.step("fixtures", lambda: step_fixtures(c))
    c.step("sampling", lambda: step_sampling(c))
    c.step("adm_torch", lambda: step_adm_torch(c), reserve=60)
    c.step("adm_ours", lambda: step_adm_ours(c), reserve=30)
    c.step("ops", lambda: step_ops(c))
    c.results["finished"] = now()
    c.save()
    shutil.rmtree(c.work, ignore_errors=True)
    failed = [k for k, v in c.results["steps"].items() if v.get("status") == "FAIL" or v.get("status") == "error"]
    c.say(f"done in {time.time() - c.start:.0f} s; {os.path.join(c.out, 'results.md')}; "
          + ("failed steps: " + ", ".join(failed) if failed else "no step failed"))
    print("\n" + markdown(c.results))
    return 1 if failed else 0


# ---------------------------------------------------------------------------------------------


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--root", required=True, help="the unpacked bundle")
    p.add_argument("--repo", default=None, help="a repository checkout: data the bundle lacks comes from it")
    p.add_argument("--out", required=True, help="folder for results.md, results.json, log.txt, smoke.txt")
    p.add_argument("--device", choices=["cuda", "cpu"], default="cuda")
    p.add_argument("--budget", type=float, default=450.0, help="seconds; steps that would start later are skipped")
    p.add_argument("--compile", action="store_true", help="also time torch.compile's forward (~70 s more)")
    p.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    p.add_argument("--json", default=None, help=argparse.SUPPRESS)
    p.add_argument("--model-dir", default=None, help=argparse.SUPPRESS)
    p.add_argument("--shapes", default=None, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.worker == "torch-adm":
        return workers.worker_torch_adm(args)
    if args.worker == "ops":
        return workers.worker_ops(args)
    return main_check(args)


if __name__ == "__main__":
    sys.exit(main() or 0)
