"""The GPU check's Markdown report from its results (gpu_check.py)."""


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


