#!/usr/bin/python3
"""Exact-search anchor: FAISS IndexFlatIP on the same float32 vectors ArtMatch searches.

Usage: /usr/bin/python3 faiss_anchor.py VECTORS.f32 QUERIES.f32 DIM [K]
Files are raw little-endian float32, row-major. Prints JSON with the median and p99 ms per query
(one query at a time, as a server answers them) at 1 and 2 threads.
"""
import json
import sys
import time

import faiss
import numpy as np

vectors_path, queries_path, dim = sys.argv[1], sys.argv[2], int(sys.argv[3])
k = int(sys.argv[4]) if len(sys.argv) > 4 else 10
vectors = np.fromfile(vectors_path, dtype=np.float32).reshape(-1, dim)
queries = np.fromfile(queries_path, dtype=np.float32).reshape(-1, dim)
index = faiss.IndexFlatIP(dim)
index.add(vectors)
result = {"vectors": int(vectors.shape[0]), "dim": dim, "k": k, "queries": int(queries.shape[0])}
for threads in (1, 2):
    faiss.omp_set_num_threads(threads)
    index.search(queries[:5], k)  # warm-up
    times = []
    for q in queries:
        start = time.perf_counter()
        index.search(q.reshape(1, -1), k)
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    result[f"threads_{threads}"] = {"p50_ms": times[len(times) // 2], "p99_ms": times[int(len(times) * 0.99) - 1]}
print(json.dumps(result))
