#!/usr/bin/python3
"""Approximate-search peers on the scale benchmark's own vectors: FAISS and hnswlib beside ArtMatch.

Usage: /usr/bin/python3 ann_peers.py DIR [--only NAME,...] [--row-k N] [--timed N]
DIR is what `ArtMatch.Benchmarks scale --export DIR` wrote (ScaleExport.cs): rows.f32 (the index's
rows in its ranking space, float32), rows.picture.i32, queries.f32, truth.i32 (the exact top 10
pictures of the first recall_queries queries), meta.json (dim, the index's lists and probes, and
ArtMatch's own result).

Each peer indexes the same rows (inner product) and answers the same queries one at a time, as a
server would. A picture's score is its best row's, as in ArtMatch: a peer is asked for the --row-k
best rows (default 300: a picture has about 31 rows, and an exact search's best 100 rows held fewer
than 10 pictures for some queries: recall 0.94 at 100, 1.000 at 300 on 1,000 pictures) and the first
10 distinct pictures among them are its answer. Recall@10 is measured against the same exact answers
ArtMatch's recall_at_10 is; latency over the first --timed queries (default: the recall queries, 200).
Candidates:
  faiss-ivf-sq8    IndexIVFScalarQuantizer(QT_8bit): ArtMatch's lists count, trained on a 65,536-row
                   sample, nprobe = ArtMatch's probes (sweep x1, x2, x4)
  faiss-ivf-flat   IndexIVFFlat: the same lists and probes over float32 rows (4x the memory)
  faiss-flat-sq8   IndexScalarQuantizer(QT_8bit): every row scanned, int8 (what ArtMatch's exact scan does)
Debian's python3-faiss 1.7.3 is built GENERIC (faiss.get_compile_options(): no AVX2 kernels), so its
int8 scans run scalar code; the float32 inner products are compiler-vectorised.
  hnswlib          HNSW, M 16, ef_construction 100, float32 rows (hnswlib keeps no int8), ef sweep
Prints one JSON line per candidate: build_s, index_mb (resident growth while building), rss_mb,
recall_at_10, search_p50_ms/search_p99_ms (2 threads allowed; _1t one thread), sweep.
"""
import json
import os
import sys
import time

import numpy as np

K = 10


def rss_mb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def load():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def args():
    a = sys.argv[1:]
    if not a or a[0] in ("-h", "--help"):
        print(__doc__)
        sys.exit(0 if a else 2)
    only = None
    row_k = 300
    timed = None
    if "--only" in a:
        only = set(a[a.index("--only") + 1].split(","))
    if "--row-k" in a:
        row_k = int(a[a.index("--row-k") + 1])
    if "--timed" in a:
        timed = int(a[a.index("--timed") + 1])
    return a[0], only, row_k, timed


def objects(row_ids, picture_of):
    seen = []
    for r in row_ids:
        if r < 0:
            continue
        p = int(picture_of[r])
        if p not in seen:
            seen.append(p)
            if len(seen) == K:
                break
    return seen


def measure(search, queries, truth, picture_of, row_k):
    """Times every query one at a time; recall over the first len(truth) queries."""
    times, answers = [], []
    search(queries[:1], row_k)  # warm-up
    for q in queries:
        start = time.perf_counter()
        ids = search(q.reshape(1, -1), row_k)
        times.append((time.perf_counter() - start) * 1000)
        answers.append(ids)
    times.sort()
    recall = []
    for q, want in enumerate(truth):
        want = set(int(t) for t in want if t >= 0)
        got = set(objects(answers[q], picture_of))
        recall.append(len(got & want) / min(K, len(want)))
    p50 = times[len(times) // 2]
    p99 = times[max(0, int(np.ceil(0.99 * len(times))) - 1)]
    return round(float(np.mean(recall)), 4), round(p50, 3), round(p99, 3)


def faiss_peers(rows, queries, truth, picture_of, meta, row_k, only):
    import faiss
    dim = rows.shape[1]
    out = []
    lists = meta["ivf_lists"] or max(16, rows.shape[0] // 512)
    probes = meta["probes"]

    def run(name, build, settings, knob, one_thread=True):
        if only and name not in only:
            return
        before = rss_mb()
        started = time.perf_counter()
        index = build()
        build_s = time.perf_counter() - started
        index_mb = rss_mb() - before

        def search(q, k):
            return index.search(q, k)[1][0]

        result = {"name": name, "rows": int(rows.shape[0]), "build_s": round(build_s, 1),
                  "index_mb": round(index_mb), "rss_mb": round(rss_mb()), "load": load()}
        sweep = []
        for setting in settings:
            knob(index, setting)
            faiss.omp_set_num_threads(2)
            recall, p50, p99 = measure(search, queries, truth, picture_of, row_k)
            p50_1, p99_1 = p50, p99
            if one_thread:
                faiss.omp_set_num_threads(1)
                _, p50_1, p99_1 = measure(search, queries, truth, picture_of, row_k)
            sweep.append({"setting": setting, "recall_at_10": recall, "p50_ms": p50, "p99_ms": p99, "p50_ms_1t": p50_1, "p99_ms_1t": p99_1})
        head = sweep[0]
        result.update({"recall_at_10": head["recall_at_10"], "search_p50_ms": head["p50_ms"], "search_p99_ms": head["p99_ms"],
                       "search_p50_ms_1t": head["p50_ms_1t"], "search_p99_ms_1t": head["p99_ms_1t"], "sweep": sweep})
        out.append(result)
        print(json.dumps(result), flush=True)
        del index

    def trained(index, quantizer):
        index.own_fields = True
        quantizer.this.disown()
        sample = rows[np.random.default_rng(1).choice(rows.shape[0], min(rows.shape[0], 65536), replace=False)]
        faiss.omp_set_num_threads(2)
        index.train(sample)
        index.add(rows)
        return index

    def ivf():
        quantizer = faiss.IndexFlatIP(dim)
        return trained(faiss.IndexIVFScalarQuantizer(quantizer, dim, lists, faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT), quantizer)

    def ivf_flat():
        quantizer = faiss.IndexFlatIP(dim)
        return trained(faiss.IndexIVFFlat(quantizer, dim, lists, faiss.METRIC_INNER_PRODUCT), quantizer)

    def nprobe(index, p):
        index.nprobe = p

    run("faiss-ivf-sq8", ivf, [probes, probes * 2, probes * 4], nprobe)
    run("faiss-ivf-flat", ivf_flat, [probes, probes * 2, probes * 4], nprobe)

    def flat():
        index = faiss.IndexScalarQuantizer(dim, faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT)
        faiss.omp_set_num_threads(2)
        index.train(rows[:65536])
        index.add(rows)
        return index

    run("faiss-flat-sq8", flat, ["all rows"], lambda index, s: None, one_thread=False)
    return out


def hnsw_peer(rows, queries, truth, picture_of, row_k, only):
    if only and "hnswlib" not in only:
        return
    import hnswlib
    before = rss_mb()
    started = time.perf_counter()
    index = hnswlib.Index(space="ip", dim=rows.shape[1])
    index.init_index(max_elements=rows.shape[0], ef_construction=100, M=16, random_seed=1)
    index.add_items(rows, np.arange(rows.shape[0]), num_threads=2)
    build_s = time.perf_counter() - started
    index_mb = rss_mb() - before
    index.set_num_threads(1)

    def search(q, k):
        return index.knn_query(q, k=k)[0][0]

    result = {"name": "hnswlib", "rows": int(rows.shape[0]), "build_s": round(build_s, 1), "index_mb": round(index_mb),
              "rss_mb": round(rss_mb()), "load": load(), "M": 16, "ef_construction": 100}
    sweep = []
    for ef in (row_k, 2 * row_k, 4 * row_k):
        index.set_ef(max(ef, row_k))
        recall, p50, p99 = measure(search, queries, truth, picture_of, row_k)
        sweep.append({"setting": f"ef {ef}", "recall_at_10": recall, "p50_ms": p50, "p99_ms": p99})
    head = sweep[0]
    # One query runs on one thread in hnswlib: the 2-thread and 1-thread figures are the same run.
    result.update({"recall_at_10": head["recall_at_10"], "search_p50_ms": head["p50_ms"], "search_p99_ms": head["p99_ms"],
                   "search_p50_ms_1t": head["p50_ms"], "search_p99_ms_1t": head["p99_ms"], "sweep": sweep})
    print(json.dumps(result), flush=True)


def main():
    directory, only, row_k, timed = args()
    with open(os.path.join(directory, "meta.json")) as f:
        meta = json.load(f)
    dim = meta["dim"]
    rows = np.fromfile(os.path.join(directory, "rows.f32"), dtype=np.float32).reshape(-1, dim)
    picture_of = np.fromfile(os.path.join(directory, "rows.picture.i32"), dtype=np.int32)
    queries = np.fromfile(os.path.join(directory, "queries.f32"), dtype=np.float32).reshape(-1, dim)
    truth = np.fromfile(os.path.join(directory, "truth.i32"), dtype=np.int32).reshape(-1, meta["k"])
    queries = queries[:max(len(truth), timed or len(truth))]
    a = meta["artmatch"]
    print(json.dumps({"name": "artmatch", "rows": meta["rows"], "build_s": a["build_s"], "index": a["index"],
                      "rss_mb": a["rss_after_queries_mb"], "recall_at_10": a["recall_at_10"],
                      "search_p50_ms": a["search_p50_ms"], "search_p99_ms": a["search_p99_ms"],
                      "search_p50_ms_1t": a["search_p50_ms_1t"], "search_p99_ms_1t": a["search_p99_ms_1t"],
                      "load": a["load"], "sweep": a.get("probe_sweep", [])}), flush=True)
    faiss_peers(rows, queries, truth, picture_of, meta, row_k, only)
    hnsw_peer(rows, queries, truth, picture_of, row_k, only)


if __name__ == "__main__":
    main()
