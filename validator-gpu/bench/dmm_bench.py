"""The DMM benchmark driver that validator-gpu/bench/dmm.sh runs (see there for usage)."""
import argparse, math, os, re, statistics, subprocess, sys, time

ap = argparse.ArgumentParser()
for a in ("gliad", "spinsat", "sizes", "maxcut", "out"):
    ap.add_argument("--" + a, required=True)
ap.add_argument("--instances", type=int, required=True)
ap.add_argument("--timeout", type=float, required=True)
ap.add_argument("--maxcut-seconds", type=float, required=True)
ap.add_argument("--maxcut-instances", type=int, default=3)
ap.add_argument("--threads", type=int, default=0)
args = ap.parse_args()
sizes = [int(s) for s in args.sizes.split()]
os.makedirs(args.out, exist_ok=True)


def read_cnf(path):
    clauses, cur = [], []
    with open(path) as f:
        for line in f:
            if line[:1] in "cp%" or not line.strip():
                continue
            for tok in line.split():
                lit = int(tok)
                if lit == 0:
                    clauses.append(cur)
                    cur = []
                else:
                    cur.append(lit)
    return clauses


def satisfies(clauses, lits):
    true = {l for l in lits if l != 0}
    return all(any(l in true for l in c) for c in clauses)


def v_lines(text):
    return [int(t) for line in text.splitlines() if line.startswith("v ") for t in line[2:].split()]


def run(cmd, timeout, out_file=None):
    t0 = time.monotonic()
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        dt = time.monotonic() - t0
        return dt, p.returncode, p.stdout
    except subprocess.TimeoutExpired:
        return None, None, ""


def gliad_solve(path, timeout, threads=None):
    cmd = [args.gliad, "solve", path, "--time-limit", str(timeout)]
    threads = threads or args.threads
    if threads:
        cmd += ["--threads", str(threads)]
    dt, rc, out = run(cmd, timeout + 5)
    if dt is not None and dt > timeout:
        return None, None
    return (dt, v_lines(out)) if rc == 10 else (None, None)


def gliad_solve_1(path, timeout):
    return gliad_solve(path, timeout, threads=1)


def cadical(path, timeout):
    dt, rc, out = run(["cadical", "-q", "-t", str(max(1, int(timeout))), path], timeout + 5)
    return (dt, v_lines(out)) if rc == 10 else (None, None)


def minisat(path, timeout):
    res = path + ".minisat"
    dt, rc, _ = run(["minisat", "-verb=0", path, res], timeout)
    if rc != 10:
        return None, None
    with open(res) as f:
        f.readline()
        return dt, [int(t) for t in f.read().split()]


def spinsat(path, timeout):
    dt, rc, out = run([args.spinsat, "-t", str(max(1, int(timeout))), path], timeout + 5)
    return (dt, v_lines(out)) if out and "s SATISFIABLE" in out else (None, None)


solvers = [("gliad solve", gliad_solve), ("gliad 1 thread", gliad_solve_1), ("CaDiCaL", cadical),
           ("MiniSat", minisat), ("spinsat", spinsat)]
times = {name: {} for name, _ in solvers}
print(f"# planted 3-SAT, ratio 4.3, {args.instances} instances per N, timeout {args.timeout:g} s, "
      f"gliad threads {args.threads or os.cpu_count()}", flush=True)
for n in sizes:
    for seed in range(1, args.instances + 1):
        path = os.path.join(args.out, f"planted-{n}-{seed}.cnf")
        if not os.path.exists(path):
            subprocess.run([args.gliad, "gen", "planted-3sat", "--vars", str(n), "--ratio", "4.3",
                            "--seed", str(seed), "--out", path], check=True)
        clauses = read_cnf(path)
        for name, fn in solvers:
            dt, lits = fn(path, args.timeout)
            if dt is not None and dt > args.timeout:
                dt = None
            if dt is not None and not satisfies(clauses, lits):
                print(f"!! {name} returned a wrong assignment on {path}", file=sys.stderr)
                dt = None
            times[name].setdefault(n, []).append(dt)
            shown = f"{dt:.2f}s" if dt is not None else "timeout"
            print(f"N={n:<6} seed={seed} {name:<12} {shown}", file=sys.stderr, flush=True)


def median(ts):
    vals = sorted(t if t is not None else math.inf for t in ts)
    m = statistics.median(vals)
    return m


def par2(ts):
    return sum(t if t is not None else 2 * args.timeout for t in ts) / len(ts)


def fmt(t):
    return "—" if math.isinf(t) else f"{t:.2f}"


print("\n| N | " + " | ".join(f"{name} median / PAR-2 (s)" for name, _ in solvers) + " |")
print("|---:|" + "---:|" * len(solvers))
for n in sizes:
    row = [f"{fmt(median(times[name][n]))} / {par2(times[name][n]):.1f}" for name, _ in solvers]
    print(f"| {n} | " + " | ".join(row) + " |")
print("\nfitted exponent k of the median (time ∝ N^k, sizes with a finite median):")
for name, _ in solvers:
    pts = [(math.log(n), math.log(median(times[name][n]))) for n in sizes
           if not math.isinf(median(times[name][n])) and median(times[name][n]) > 0]
    if len(pts) >= 2:
        mx = sum(x for x, _ in pts) / len(pts)
        my = sum(y for _, y in pts) / len(pts)
        k = sum((x - mx) * (y - my) for x, y in pts) / sum((x - mx) ** 2 for x, _ in pts)
        print(f"  {name:<12} k = {k:.2f} over N = {[round(math.exp(x)) for x, _ in pts]}")
    else:
        print(f"  {name:<12} too few solved sizes to fit")

# Max-Cut as QUBO, equal wall time.
import dimod
from dwave.samplers import SimulatedAnnealingSampler



def read_qubo(path):
    q, offset = {}, 0.0
    with open(path) as f:
        for line in f:
            t = line.split()
            if not t or t[0] == "c":
                continue
            if t[0] == "p":
                offset = float(t[4]) if len(t) > 4 else 0.0
                continue
            i, j, v = int(t[0]), int(t[1]), float(t[2])
            q[(i, j)] = q.get((i, j), 0.0) + v
    return dimod.BinaryQuadraticModel.from_qubo(q, offset=offset)


def gliad_cut(path, extra=()):
    cmd = [args.gliad, "solve", path, "--time-limit", str(args.maxcut_seconds), *extra]
    if args.threads:
        cmd += ["--threads", str(args.threads)]
    p = subprocess.run(cmd, capture_output=True, text=True)
    energies = [float(l.split()[1]) for l in p.stdout.splitlines() if l.startswith("o ")]
    return -min(energies) if energies else float("nan")


def sa_cut(bqm, seed):
    """Best cut of dwave-samplers' SimulatedAnnealingSampler (defaults: 1000 sweeps a read) in
    the budget. Reads go in batches sized from the measured time per read, so the sampler's
    per-call set-up (~50 ms at N = 2000) is paid a few times rather than once per read."""
    sampler, best, reads, calls = SimulatedAnnealingSampler(), math.inf, 0, 0
    t0, per_read, batch = time.monotonic(), None, 2
    while True:
        left = args.maxcut_seconds - (time.monotonic() - t0)
        if per_read is not None:
            batch = min(int(left / per_read), max(1, int(1.0 / per_read)))
        if batch < 1:
            break
        c0 = time.monotonic()
        s = sampler.sample(bqm, num_reads=batch, seed=seed * 1000 + calls)
        per_read = (time.monotonic() - c0) / batch
        best = min(best, s.first.energy)
        reads += batch
        calls += 1
    return -best, reads


print(f"\n# random Max-Cut (QUBO, G(N, 12N): average degree 24), {args.maxcut_seconds:g} s each, "
      f"{args.maxcut_instances} instances per N; gliad threads {args.threads or os.cpu_count()}, "
      f"simulated annealing on one thread (it has no multi-threaded mode)")
print("| N | seed | gliad solve cut | gliad, random starts (ablation) | simulated annealing cut | SA reads |")
print("|---:|---:|---:|---:|---:|---:|")
for n in [int(s) for s in args.maxcut.split()]:
    rows = []
    for seed in range(1, args.maxcut_instances + 1):
        path = os.path.join(args.out, f"maxcut-{n}-{seed}.qubo")
        if not os.path.exists(path):
            subprocess.run([args.gliad, "gen", "maxcut", "--vars", str(n), "--edges", str(12 * n),
                            "--seed", str(seed), "--out", path], check=True)
        ours, ablation = gliad_cut(path), gliad_cut(path, ["--random-starts"])
        sa, reads = sa_cut(read_qubo(path), seed)
        rows.append((ours, ablation, sa))
        print(f"| {n} | {seed} | {ours:.0f} | {ablation:.0f} | {sa:.0f} | {reads} |", flush=True)
    mean = [statistics.mean(r[k] for r in rows) for k in range(3)]
    wins = sum(r[0] >= r[2] for r in rows)
    print(f"| {n} | mean | {mean[0]:.1f} | {mean[1]:.1f} | {mean[2]:.1f} | gliad ≥ SA on "
          f"{wins}/{len(rows)} |", flush=True)
