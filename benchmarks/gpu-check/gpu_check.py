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
import ctypes
import datetime
import glob
import json
import math
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))

# guided-diffusion's released 64x64 conditional model, with a null-class row for CFG.
ADM64_FLAGS = dict(attention_resolutions="32,16,8", class_cond=True, diffusion_steps=1000, dropout=0.0,
                   image_size=64, learn_sigma=True, noise_schedule="cosine", num_channels=192,
                   num_head_channels=64, num_res_blocks=3, resblock_updown=True, use_new_attention_order=True,
                   use_fp16=False, use_scale_shift_norm=True, null_class=True)
# The same family at toy size, for the CPU rehearsal.
TINY_FLAGS = dict(ADM64_FLAGS, image_size=16, num_channels=32, num_head_channels=16, num_res_blocks=1,
                  attention_resolutions="8,4", channel_mult="1,2,2", num_classes=10)

G4J_F32, G4J_F16, G4J_BF16 = 0, 1, 2


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


def write_atomic(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


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


def rel_l2(got, want):
    import numpy as np
    got = np.asarray(got, dtype=np.float64)
    want = np.asarray(want, dtype=np.float64)
    den = math.sqrt(float((want * want).sum())) or 1.0
    return math.sqrt(float(((got - want) ** 2).sum())) / den


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
# Workers (child processes of the check)


def load_reference(args):
    tools = os.path.join(args.root, "tools")
    if not os.path.exists(os.path.join(tools, "adm_reference.py")) and args.repo:
        tools = os.path.join(args.repo, "tools")
    sys.path.insert(0, tools)
    import adm_reference  # noqa: E402
    from convert_guided_diffusion import write_safetensors  # noqa: E402
    return adm_reference, write_safetensors


def sync(dev):
    import torch
    if dev == "cuda":
        torch.cuda.synchronize()


def timed(fn, dev, warmup, repeats):
    """Median wall time in ms of fn() (the device waited for after each call)."""
    for _ in range(warmup):
        fn()
    sync(dev)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        sync(dev)
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times), times


def worker_torch_adm(args):
    """Builds the network with random weights, writes it for the Java side, times PyTorch eager."""
    import numpy as np
    import torch
    import torch.nn.functional as F
    ref, write_safetensors = load_reference(args)
    cuda = args.device == "cuda"
    dev = "cuda" if cuda else "cpu"
    flags = ADM64_FLAGS if cuda else TINY_FLAGS
    batches = [1, 16, 64] if cuda else [1, 2]
    warmup, repeats = (2, 5) if cuda else (1, 2)
    result = {"flags": flags, "torch": torch.__version__}

    def save():
        write_atomic(args.json, json.dumps(result, indent=1) + "\n")

    torch.manual_seed(0)
    net = ref.create_model(flags)
    with torch.no_grad():  # zero-initialised layers re-drawn, GroupNorm gains perturbed: every layer counts
        for m in net.modules():
            if isinstance(m, ref.ResBlock):
                m.out_layers[3].reset_parameters()
            elif isinstance(m, ref.AttentionBlock):
                m.proj_out.reset_parameters()
            elif isinstance(m, ref.GroupNorm32):
                m.weight.copy_(1 + 0.1 * torch.randn_like(m.weight))
                m.bias.copy_(0.1 * torch.randn_like(m.bias))
        net.out[2].reset_parameters()
    net.eval()
    os.makedirs(os.path.join(args.model_dir, "check"), exist_ok=True)
    write_safetensors(os.path.join(args.model_dir, "model.safetensors"), net.state_dict(), {"format": "pt"})
    with open(os.path.join(args.model_dir, "config.json"), "w") as f:
        json.dump({"kind": "adm_unet", **ref.model_config(flags)}, f, indent=2)
    result["parameters"] = sum(v.numel() for v in net.state_dict().values())
    net = net.to(dev)
    size = flags["image_size"]
    ncls = ref.model_config(flags)["num_classes"]

    def inputs(b, seed):
        g = torch.Generator().manual_seed(seed)
        x = torch.randn(b, 3, size, size, generator=g)
        t = torch.full((b,), 500.0)
        y = torch.tensor([(37 * i + 11) % ncls for i in range(b)], dtype=torch.int64)
        return x.to(dev), t.to(dev), y.to(dev)

    if cuda:
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
        torch.backends.cudnn.benchmark = True

    # The check batch (4) in float32, and PyTorch's own half-precision errors on it: the yardstick
    # for ours ("bf16/f16 within 2x PyTorch's own error").
    x, t, y = inputs(4, 1)
    with torch.no_grad():
        out32 = net(x, t, y).float()
        errs = {}
        variants = {"bf16_autocast": None}
        if cuda:
            variants["fp16_autocast"] = None
        for name in variants:
            dt = torch.bfloat16 if name.startswith("bf16") else torch.float16
            with torch.autocast(device_type=dev, dtype=dt):
                o = net(x, t, y).float()
            errs[name] = rel_l2(o.cpu().numpy(), out32.cpu().numpy())
    for k, v in (("x", x), ("t", t), ("y", y), ("out", out32)):
        np.save(os.path.join(args.model_dir, "check", f"{k}.npy"), v.cpu().numpy().astype(
            np.int64 if k == "y" else np.float32))
    result["torch_half_rel_l2"] = errs
    save()

    # Layer shapes at B=16 (B=2 on the CPU): every conv, GroupNorm and attention call, counted.
    shape_batch = 16 if cuda else 2
    convs, norms, attns = {}, {}, {}

    def on_conv(m, inp, out):
        xin = inp[0]
        if xin.dim() == 3:  # Conv1d over tokens: a 1x1 conv2d over (T, 1)
            h, w = xin.shape[2], 1
        else:
            h, w = xin.shape[2], xin.shape[3]
        k = m.kernel_size[0]
        key = (m.in_channels, m.out_channels, k, m.stride[0], m.padding[0], h, w, xin.dim() - 2)
        convs[key] = convs.get(key, 0) + 1

    def on_norm(m, inp, out):
        xin = inp[0]
        key = (xin.shape[1], int(np.prod(xin.shape[2:])), m.num_groups)
        norms[key] = norms.get(key, 0) + 1

    def on_attn(m, inp, out):
        qkv = inp[0]
        key = (m.n_heads, qkv.shape[1] // (3 * m.n_heads), qkv.shape[2])
        attns[key] = attns.get(key, 0) + 1

    hooks = []
    for m in net.modules():
        if isinstance(m, (torch.nn.Conv1d, torch.nn.Conv2d)):
            hooks.append(m.register_forward_hook(on_conv))
        elif isinstance(m, ref.GroupNorm32):
            hooks.append(m.register_forward_hook(on_norm))
        elif isinstance(m, (ref.QKVAttention, ref.QKVAttentionLegacy)):
            hooks.append(m.register_forward_hook(on_attn))
    with torch.no_grad():
        net(*inputs(shape_batch, 2))
    for h in hooks:
        h.remove()
    result["shape_batch"] = shape_batch
    result["convs"] = [{"cin": k[0], "cout": k[1], "k": k[2], "stride": k[3], "pad": k[4], "h": k[5], "w": k[6],
                        "dims": k[7], "count": v} for k, v in convs.items()]
    result["norms"] = [{"channels": k[0], "spatial": k[1], "groups": k[2], "count": v} for k, v in norms.items()]
    result["attentions"] = [{"heads": k[0], "head_dim": k[1], "tokens": k[2], "count": v} for k, v in attns.items()]
    save()

    # Forward times: strict f32 (no TF32), bf16 autocast, and the whole model in bf16 / fp16.
    timings = {}
    result["forward_ms"] = timings
    for variant in ("f32", "bf16_autocast", "fp16_autocast", "bf16", "fp16"):
        if variant.startswith("fp16") and not cuda:
            timings[variant] = {"skipped": "no fp16 convolutions on the CPU"}
            continue
        half = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(variant)
        model = net
        if half is not None:  # a copy of the whole network in that dtype
            model = ref.create_model(flags)
            model.load_state_dict(net.state_dict())
            model = model.eval().to(dev, half)
        timings[variant] = {}
        for b in batches:
            x, t, y = inputs(b, 3)
            if half is not None:
                x = x.to(half)

            def fwd():
                with torch.no_grad():
                    if variant.endswith("_autocast"):
                        dt = torch.bfloat16 if variant.startswith("bf16") else torch.float16
                        with torch.autocast(device_type=dev, dtype=dt):
                            return model(x, t, y)
                    return model(x, t, y)
            try:
                med, times = timed(fwd, dev, warmup, repeats)
                timings[variant][str(b)] = {"median": med, "times": times}
            except Exception as e:  # noqa: BLE001
                timings[variant][str(b)] = {"error": f"{type(e).__name__}: {e}"}
            save()
        del model
    if args.compile and cuda:
        try:
            compiled = torch.compile(net)
            x, t, y = inputs(16, 3)

            def fwd_c():
                with torch.no_grad(), torch.autocast(device_type="cuda", dtype=torch.bfloat16):
                    return compiled(x, t, y)
            t0 = time.time()
            fwd_c()
            sync(dev)
            compile_s = time.time() - t0
            med, times = timed(fwd_c, dev, 2, 5)
            result["compile"] = {"batch": 16, "dtype": "bf16_autocast", "compile_s": compile_s, "median": med}
        except Exception as e:  # noqa: BLE001
            result["compile"] = {"error": f"{type(e).__name__}: {e}"}
        save()
    save()


class G4j:
    """The C API through ctypes (guidance4j.h): just what the op timings need."""

    def __init__(self, path, device):
        self.lib = lib = ctypes.CDLL(path)
        lib.g4j_last_error.restype = ctypes.c_char_p
        i64, vp, i32, f32 = ctypes.c_int64, ctypes.c_void_p, ctypes.c_int, ctypes.c_float
        lib.g4j_conv2d.argtypes = [vp, i32] + [i64] * 8 + [vp] * 5
        lib.g4j_attention.argtypes = [vp, i32, i64, i64, i64, i64, i32, f32, vp, vp]
        lib.g4j_group_norm.argtypes = [vp, i32, i64, i64, i64, i64, f32, vp, vp, vp, vp, vp, i64, i32, vp]
        lib.g4j_memcpy.argtypes = [vp, vp, vp, ctypes.c_size_t]
        lib.g4j_cuda_vendor_info.argtypes = [ctypes.POINTER(i32), ctypes.c_char_p, ctypes.c_size_t]
        lib.g4j_cuda_path_counts.argtypes = [ctypes.POINTER(i64)]
        self.stream = vp()
        self.ok(lib.g4j_stream_create(device, ctypes.byref(self.stream)), "g4j_stream_create")

    def ok(self, status, what):
        if status != 0:
            raise RuntimeError(f"{what}: status {status}: {self.lib.g4j_last_error().decode()}")

    def sync(self):
        self.ok(self.lib.g4j_stream_synchronize(self.stream), "g4j_stream_synchronize")

    def vendor(self, on):
        self.ok(self.lib.g4j_cuda_set_vendor(1 if on else 0), "g4j_cuda_set_vendor")

    def vendor_info(self):
        mask = ctypes.c_int(0)
        buf = ctypes.create_string_buffer(4096)
        self.ok(self.lib.g4j_cuda_vendor_info(ctypes.byref(mask), buf, 4096), "g4j_cuda_vendor_info")
        return mask.value, buf.value.decode()

    def counts(self):
        arr = (ctypes.c_int64 * 4)()
        self.ok(self.lib.g4j_cuda_path_counts(arr), "g4j_cuda_path_counts")
        return list(arr)


def timed_ours(g, fn, budget_s=0.15, max_iter=200):
    """Median-free throughput timing: calls back to back on our stream, one wait at the end (the
    host cost of each call is part of the figure, as it is in a forward)."""
    fn()
    g.sync()
    t0 = time.perf_counter()
    fn()
    g.sync()
    once = max(time.perf_counter() - t0, 1e-6)
    n = int(min(max_iter, max(3, budget_s / once)))
    t0 = time.perf_counter()
    for _ in range(n):
        fn()
    g.sync()
    return (time.perf_counter() - t0) * 1e3 / n


def timed_torch(fn, dev, budget_s=0.15, max_iter=200):
    fn()
    sync(dev)
    t0 = time.perf_counter()
    fn()
    sync(dev)
    once = max(time.perf_counter() - t0, 1e-6)
    n = int(min(max_iter, max(3, budget_s / once)))
    t0 = time.perf_counter()
    for _ in range(n):
        fn()
    sync(dev)
    return (time.perf_counter() - t0) * 1e3 / n


def worker_ops(args):
    import torch
    import torch.nn.functional as F
    cuda = args.device == "cuda"
    dev = "cuda" if cuda else "cpu"
    with open(args.shapes) as f:
        shapes = json.load(f)
    lib_path = os.path.join(args.root, "lib", "libguidance4j.so")
    result = {}

    def save():
        write_atomic(args.json, json.dumps(result, indent=1) + "\n")

    if cuda:
        torch.backends.cudnn.benchmark = True
        torch.backends.cudnn.allow_tf32 = False
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.zeros(1, device="cuda")  # PyTorch's context first: ours shares the primary context
    g = G4j(lib_path, 0 if cuda else -1)
    mask, text = g.vendor_info()
    result["vendor_info"] = text
    result["vendor_mask"] = mask
    tdt, gdt = (torch.bfloat16, G4J_BF16) if cuda else (torch.float32, G4J_F32)
    result["dtype"] = "bf16" if cuda else "f32"
    b = shapes["shape_batch"]
    result["batch"] = b
    ptr = lambda t: ctypes.c_void_p(t.data_ptr()) if t is not None else None  # noqa: E731

    # -- every conv shape of the network: ours (vendor, hand-written) and PyTorch, with errors
    rows = []
    result["convs"] = rows
    for s in sorted(shapes["convs"], key=lambda s: -s["count"] * s["cin"] * s["cout"] * s["h"] * s["w"] * s["k"] ** 2):
        gen = torch.Generator(device="cpu").manual_seed(len(rows))
        x = torch.randn(b, s["cin"], s["h"], s["w"], generator=gen).to(dev, tdt)
        w = (torch.randn(s["cout"], s["cin"], s["k"], s["k"], generator=gen) / math.sqrt(s["cin"] * s["k"] ** 2)).to(dev, tdt)
        bias = torch.randn(s["cout"], generator=gen).to(dev, tdt)
        ho = (s["h"] + 2 * s["pad"] - s["k"]) // s["stride"] + 1
        wo = (s["w"] + 2 * s["pad"] - s["k"]) // s["stride"] + 1
        out = torch.empty(b, s["cout"], ho, wo, device=dev, dtype=tdt)
        want = F.conv2d(x.float(), w.float(), bias.float(), s["stride"], s["pad"])
        row = dict(s)

        def ours():
            g.ok(g.lib.g4j_conv2d(g.stream, gdt, b, s["cin"], s["h"], s["w"], s["cout"], s["k"], s["stride"], s["pad"],
                                  ptr(x), ptr(w), ptr(bias), None, ptr(out)), "g4j_conv2d")
        sync(dev)
        for name, on in (("vendor", True), ("hand", False)):
            if not cuda and name == "vendor":
                continue
            g.vendor(on)
            try:
                before = g.counts()
                row[f"{name}_us"] = timed_ours(g, ours) * 1e3
                after = g.counts()
                row[f"{name}_path"] = "vendor" if after[0] > before[0] else "hand-written"
                row[f"{name}_rel_l2"] = rel_l2(out.float().cpu().numpy(), want.cpu().numpy())
            except Exception as e:  # noqa: BLE001
                row[f"{name}_error"] = str(e)
        g.vendor(True)
        if s["dims"] == 1:
            x1, w1 = x.reshape(b, s["cin"], s["h"]), w.reshape(s["cout"], s["cin"], 1)
            row["torch_us"] = timed_torch(lambda: F.conv1d(x1, w1, bias), dev) * 1e3
        else:
            row["torch_us"] = timed_torch(lambda: F.conv2d(x, w, bias, s["stride"], s["pad"]), dev) * 1e3
        row["torch_rel_l2"] = rel_l2(F.conv2d(x, w, bias, s["stride"], s["pad"]).float().cpu().numpy(),
                                     want.cpu().numpy())
        rows.append(row)
        save()
        del x, w, bias, out, want

    # -- attention at the network's shapes against scaled_dot_product_attention
    arows = []
    result["attention"] = arows
    for s in shapes["attentions"]:
        h, d, t = s["heads"], s["head_dim"], s["tokens"]
        gen = torch.Generator(device="cpu").manual_seed(100 + len(arows))
        qkv = torch.randn(b, 3 * h * d, t, generator=gen).to(dev, tdt)
        out = torch.empty(b, h * d, t, device=dev, dtype=tdt)
        q, k, v = (z.reshape(b, h, d, t).transpose(2, 3).contiguous() for z in qkv.chunk(3, dim=1))
        row = dict(s)

        def ours_attn():
            g.ok(g.lib.g4j_attention(g.stream, gdt, b, h, d, t, 1, 1.0 / math.sqrt(d), ptr(qkv), ptr(out)),
                 "g4j_attention")
        sync(dev)
        row["ours_us"] = timed_ours(g, ours_attn) * 1e3
        if hasattr(F, "scaled_dot_product_attention"):
            sdpa = lambda: F.scaled_dot_product_attention(q, k, v)  # noqa: E731
            row["torch"] = "scaled_dot_product_attention"
        else:  # PyTorch < 2.0 (the CPU rehearsal): the same product written out
            sdpa = lambda: torch.softmax(q @ k.transpose(2, 3) / math.sqrt(d), dim=-1) @ v  # noqa: E731
            row["torch"] = "softmax(q k^T) v"
        row["torch_us"] = timed_torch(sdpa, dev) * 1e3
        ref_out = sdpa().float().transpose(2, 3).reshape(b, h * d, t)
        row["rel_l2_vs_torch"] = rel_l2(out.float().cpu().numpy(), ref_out.cpu().numpy())
        arows.append(row)
        save()

    # -- GroupNorm + SiLU at the network's shapes against F.group_norm + F.silu
    nrows = []
    result["group_norm_silu"] = nrows
    for s in shapes["norms"]:
        c_, sp, groups = s["channels"], s["spatial"], s["groups"]
        gen = torch.Generator(device="cpu").manual_seed(200 + len(nrows))
        x = torch.randn(b, c_, sp, generator=gen).to(dev, tdt)
        gamma = (1 + 0.1 * torch.randn(c_, generator=gen)).to(dev, tdt)
        beta = (0.1 * torch.randn(c_, generator=gen)).to(dev, tdt)
        out = torch.empty_like(x)
        row = dict(s)

        def ours_gn():
            g.ok(g.lib.g4j_group_norm(g.stream, gdt, b, c_, sp, groups, 1e-5, ptr(x), ptr(gamma), ptr(beta), None,
                                      None, c_, 1, ptr(out)), "g4j_group_norm")
        sync(dev)
        row["ours_us"] = timed_ours(g, ours_gn) * 1e3
        tgn = lambda: F.silu(F.group_norm(x, groups, gamma, beta, 1e-5))  # noqa: E731
        row["torch_us"] = timed_torch(tgn, dev) * 1e3
        row["bytes"] = 2 * x.numel() * x.element_size()
        row["ours_gb_s"] = row["bytes"] / (row["ours_us"] * 1e3)
        row["rel_l2_vs_torch"] = rel_l2(out.float().cpu().numpy(), tgn().float().cpu().numpy())
        nrows.append(row)
        save()

    # -- device copy rate: one large device-to-device copy, bytes read + written per second
    nbytes = (1 << 30) if cuda else (64 << 20)
    src = torch.empty(nbytes, dtype=torch.uint8, device=dev)
    dst = torch.empty_like(src)
    ours_ms = timed_ours(g, lambda: g.ok(g.lib.g4j_memcpy(g.stream, ptr(dst), ptr(src), nbytes), "g4j_memcpy"),
                         budget_s=0.3, max_iter=20)
    torch_ms = timed_torch(lambda: dst.copy_(src), dev, budget_s=0.3, max_iter=20)
    result["copy"] = {"bytes": nbytes, "ours_gb_s": 2 * nbytes / (ours_ms * 1e6),
                      "torch_gb_s": 2 * nbytes / (torch_ms * 1e6)}
    result["path_counts"] = dict(zip(["conv_cudnn", "conv_hand_written", "gemm_cublaslt", "gemm_hand_written"],
                                     g.counts()))
    save()


# ---------------------------------------------------------------------------------------------
# The report


def fmt(v, digits=1):
    """Times with `digits` decimals; small numbers (errors) with three significant digits."""
    if v is None:
        return "-"
    if isinstance(v, float):
        if v != 0 and (abs(v) < 1e-3 or abs(v) >= 1e6):
            return f"{v:.2e}"
        if abs(v) < 1:
            return f"{v:.3g}"
        return f"{v:.{digits}f}"
    return str(v)


def ratio(a, b):
    return f"{a / b:.2f}" if a and b else "-"


def markdown(r):
    s = r.get("steps", {})
    L = [f"# guidance4j GPU check ({r.get('device_mode')}), {r.get('started')}", ""]
    env = s.get("environment", {})
    if env:
        L += ["| environment | |", "|---|---|"]
        for k in ("gpu", "nvidia_smi", "torch", "torch_cudnn", "python", "vendor_library_path"):
            if env.get(k) not in (None, ""):
                L.append(f"| {k} | {str(env[k]).replace('|', '/')} |")
        b = env.get("bundle", {})
        if b:
            L.append(f"| bundle | commit {b.get('commit')}, built {b.get('built')}, {b.get('cmake_args')} |")
        for line in env.get("info_device", "").splitlines():
            if line.startswith("cuda vendor path") or line.startswith("  cuda") or line.startswith("native library"):
                L.append(f"| info-device | {line.strip().replace('|', '/')} |")
        L.append("")
    L += ["## Steps", "", "| step | status | seconds | note |", "|---|---|---|---|"]
    for k, v in s.items():
        note = v.get("why") or v.get("summary") or v.get("text") or ""
        note = str(note).replace("\n", " ").replace("|", "/")[:300]
        L.append(f"| {k} | {v.get('status')} | {v.get('seconds', '')} | {note} |")
    L.append("")
    sm = s.get("smoke", {})
    if sm.get("vendor") or sm.get("per_backend"):
        L += ["## Smoke (every op against float64)", ""]
        for line in sm.get("vendor", []):
            L.append(f"- {line}")
        for be, d in sm.get("per_backend", {}).items():
            L.append(f"- backend {be}: {d['ok']} rows ok, {d['fail']} failed")
        for line in sm.get("failures", [])[:20]:
            L.append(f"    - `{line.strip()}`")
        L.append("")
    fx = s.get("fixtures", {})
    if fx.get("rows"):
        L += ["## Network fixtures through `guidance4j forward` (relative L2 vs float64, limit 1e-5)", "",
              "| fixture | output | rel L2 | result |", "|---|---|---|---|"]
        for row in fx["rows"]:
            L.append(f"| {row['fixture']} | {row['output']} | {fmt(row.get('rel_l2'))} | {row['status']} "
                     f"{str(row.get('why', '')).replace(chr(10), ' ')[:200]} |")
        L.append("")
    sp = s.get("sampling", {})
    if sp.get("rows"):
        L += ["## Guided sampling (digits-unet, CFG scale 3, DDIM)", "",
              "| dtype | result | seconds | finite | rel L2 vs f32 |", "|---|---|---|---|---|"]
        for row in sp["rows"]:
            L.append(f"| {row['dtype']} | {row['status']} {str(row.get('why', '')).replace(chr(10), ' ')[:200]} | "
                     f"{row['seconds']} | {row.get('finite', '-')} | {fmt(row.get('rel_l2_vs_f32'))} |")
        L.append("")
    L += forward_table(s.get("adm_torch", {}), s.get("adm_ours", {}))
    L += ops_tables(s.get("ops", {}))
    return "\n".join(L) + "\n"


def forward_table(pt, ours):
    L = []
    tf = pt.get("forward_ms", {})
    runs = ours.get("runs", []) if isinstance(ours, dict) else []
    if not tf and not runs:
        return L
    L += ["## ADM forward: guidance4j vs PyTorch eager, same weights (median ms)", ""]
    if pt.get("parameters"):
        L.append(f"{pt['parameters'] / 1e6:.1f} M parameters; PyTorch {pt.get('torch')}, cudnn.benchmark, TF32 off. "
                 f"PyTorch's own error vs its f32 on the check batch: "
                 + ", ".join(f"{k} {fmt(v)}" for k, v in pt.get("torch_half_rel_l2", {}).items()))
        L.append("")
    ours_by = {}
    for run in runs:
        if "forward_ms" in run:
            ours_by[(run["dtype"], run["vendor"])] = run
    torch_for = {"F32": "f32", "BF16": "bf16_autocast", "F16": "fp16_autocast"}
    L += ["| dtype | batch | PyTorch eager | PyTorch, model in that dtype | ours, vendor | ours, hand-written "
          "| vendor / PyTorch | hand / PyTorch | ours vs PyTorch f32 (rel L2, vendor / hand) |",
          "|---|---|---|---|---|---|---|---|---|"]
    batches = sorted({int(b) for v in tf.values() if isinstance(v, dict) for b in v if b.isdigit()} |
                     {int(b) for run in ours_by.values() for b in run["forward_ms"]})
    for dt in ("F32", "BF16", "F16"):
        for b in batches:
            tv = tf.get(torch_for[dt], {}).get(str(b), {}).get("median")
            pure = {"F32": None, "BF16": tf.get("bf16", {}).get(str(b), {}).get("median"),
                    "F16": tf.get("fp16", {}).get(str(b), {}).get("median")}[dt]
            ov = ours_by.get((dt, True), {}).get("forward_ms", {}).get(str(b), {}).get("median")
            oh = ours_by.get((dt, False), {}).get("forward_ms", {}).get(str(b), {}).get("median")
            if tv is None and ov is None and oh is None:
                continue
            ev = ours_by.get((dt, True), {}).get("check_rel_l2")
            eh = ours_by.get((dt, False), {}).get("check_rel_l2")
            L.append(f"| {dt} | {b} | {fmt(tv)} | {fmt(pure)} | {fmt(ov)} | {fmt(oh)} | {ratio(ov, tv)} | "
                     f"{ratio(oh, tv)} | {fmt(ev)} / {fmt(eh)} |")
    L.append("")
    L.append("PyTorch eager: strict f32 (no TF32) for F32, autocast to bf16 / fp16 for BF16 / F16; "
             "'model in that dtype': the whole network converted (.to(bfloat16 / float16)).")
    for run in runs:
        if "error" in run or "skipped" in run:
            L.append(f"- ours {run.get('dtype')}: {run.get('error') or run.get('skipped')}")
    cfg = [(r["dtype"], r["vendor"], r["cfg_step"]) for r in runs if "cfg_step" in r]
    if cfg:
        L += ["", "| CFG step (B) vs a forward of 2B | dtype | vendor path | step ms | forward 2B ms | step / forward |",
              "|---|---|---|---|---|---|"]
        for dt, v, c in cfg:
            L.append(f"| B={c['batch']} | {dt} | {'on' if v else 'off'} | {fmt(c['step_median_ms'])} | "
                     f"{fmt(c['forward_2b_median_ms'])} | {ratio(c['step_median_ms'], c['forward_2b_median_ms'])} |")
    paths = [(r["dtype"], r["vendor"], r.get("calls_in_check"), r.get("path")) for r in runs if "path" in r]
    if paths:
        L += ["", "Which path ran (calls counted during one check forward):", ""]
        for dt, v, calls, text in paths:
            L.append(f"- {dt}, vendor {'on' if v else 'off'}: {calls}; {text}")
    if pt.get("compile"):
        L += ["", f"torch.compile (bf16 autocast, B=16): {pt['compile']}"]
    L.append("")
    return L


def ops_tables(o):
    L = []
    if not o.get("convs"):
        return L
    b = o.get("batch")
    L += [f"## Every conv shape of the network, B={b}, {o.get('dtype')} (us per call, with bias)", "",
          f"Vendor path: {o.get('vendor_info')}", "",
          "| cin->cout | k/s | input | count | PyTorch | ours vendor | ours hand | vendor/PyTorch | hand/vendor "
          "| rel L2 vs f32 (PyTorch / vendor / hand) |", "|---|---|---|---|---|---|---|---|---|---|"]
    rows = o["convs"]
    for r in rows:
        L.append(f"| {r['cin']}->{r['cout']} | {r['k']}/{r['stride']} | {r['h']}x{r['w']} | {r['count']} | "
                 f"{fmt(r.get('torch_us'))} | {fmt(r.get('vendor_us'))} ({r.get('vendor_path', '-')}) | "
                 f"{fmt(r.get('hand_us'))} | {ratio(r.get('vendor_us'), r.get('torch_us'))} | "
                 f"{ratio(r.get('hand_us'), r.get('vendor_us'))} | {fmt(r.get('torch_rel_l2'))} / "
                 f"{fmt(r.get('vendor_rel_l2'))} / {fmt(r.get('hand_rel_l2'))} |")
    # Sums over the network: each shape's time times how often the forward runs it.
    tot = {k: (sum(r["count"] * r[f"{k}_us"] for r in rows) if all(r.get(f"{k}_us") is not None for r in rows)
               else None) for k in ("torch", "vendor", "hand")}
    ms = {k: (f"**{v / 1e3:.2f} ms**" if v is not None else "-") for k, v in tot.items()}
    L.append(f"| **sum x count** | | | | {ms['torch']} | {ms['vendor']} | {ms['hand']} | "
             f"**{ratio(tot['vendor'], tot['torch'])}** | **{ratio(tot['hand'], tot['vendor'])}** | |")
    L += ["", f"Targets (issue 11): vendor sum <= 1.1x PyTorch's: {ratio(tot['vendor'], tot['torch'])}; "
          f"hand-written at least 50% of the vendor path's speed (hand / vendor <= 2): "
          f"{ratio(tot['hand'], tot['vendor'])}; hand-written / PyTorch: {ratio(tot['hand'], tot['torch'])}."]
    L.append("")
    if o.get("attention"):
        L += ["| attention heads x dim, tokens | count | PyTorch | PyTorch us | ours us | ours / PyTorch | rel L2 |",
              "|---|---|---|---|---|---|---|"]
        for r in o["attention"]:
            L.append(f"| {r['heads']}x{r['head_dim']}, {r['tokens']} | {r['count']} | {r.get('torch')} | "
                     f"{fmt(r.get('torch_us'))} | {fmt(r.get('ours_us'))} | {ratio(r.get('ours_us'), r.get('torch_us'))} | "
                     f"{fmt(r.get('rel_l2_vs_torch'))} |")
        L.append("")
    if o.get("group_norm_silu"):
        L += ["| GroupNorm+SiLU channels x spatial | count | PyTorch us | ours us | ours / PyTorch | ours GB/s | rel L2 |",
              "|---|---|---|---|---|---|---|"]
        for r in o["group_norm_silu"]:
            L.append(f"| {r['channels']}x{r['spatial']} | {r['count']} | {fmt(r.get('torch_us'))} | {fmt(r.get('ours_us'))} | "
                     f"{ratio(r.get('ours_us'), r.get('torch_us'))} | {fmt(r.get('ours_gb_s'))} | "
                     f"{fmt(r.get('rel_l2_vs_torch'))} |")
        L.append("")
    cp = o.get("copy")
    if cp:
        L += [f"Device copy rate ({cp['bytes'] >> 20} MiB, read + write): ours (g4j_memcpy) {cp['ours_gb_s']:.0f} GB/s, "
              f"PyTorch copy_ {cp['torch_gb_s']:.0f} GB/s.", ""]
    if o.get("path_counts"):
        L += [f"Calls per path in the op timings: {o['path_counts']}", ""]
    return L


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
        return worker_torch_adm(args)
    if args.worker == "ops":
        return worker_ops(args)
    return main_check(args)


if __name__ == "__main__":
    sys.exit(main() or 0)
