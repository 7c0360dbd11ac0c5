#!/usr/bin/env python3
"""PCA whitening learned from the catalogue's own vectors, measured on the first-stage search alone
(no verification, no verdicts): top1, recall@5, and the share of genuine best scores above the 98th
percentile of no-match queries' best scores (how well a threshold could separate them).

Usage:
  dotnet run -c Release --project benchmarks/ArtMatch.Benchmarks -- dump-descriptors ../shared/eval/dev /tmp/descriptors
  /usr/bin/python3 benchmarks/whitening.py /tmp/descriptors
The search mirrors the matcher: the photo's global vector against every catalogue vector, its
regions against whole catalogue pictures only, each picture keeping its best score.
"""
import sys
import numpy as np

DIM = 1280
folder = sys.argv[1]


def load(name):
    vectors = np.fromfile(f"{folder}/{name}.f32", dtype=np.float32).reshape(-1, DIM)
    rows = [line.rstrip("\n").split("\t") for line in open(f"{folder}/{name}.tsv")]
    return vectors, rows


catalogue, catalogue_rows = load("catalogue")
queries, query_rows = load("queries")
picture = np.array([int(r[0]) for r in catalogue_rows])
picture_object = {int(r[0]): r[1] for r in catalogue_rows}
starts = np.r_[0, np.nonzero(np.diff(picture))[0] + 1]          # rows of a picture are contiguous
whole = np.nonzero(np.array([r[2] == "0" for r in catalogue_rows]))[0]
query_of_row = np.array([int(r[0]) for r in query_rows])
query_region = np.array([int(r[2]) for r in query_rows])
expected = {int(r[0]): r[1] for r in query_rows}
global_rows, region_rows = np.nonzero(query_region == 0)[0], np.nonzero(query_region > 0)[0]


def measure(c, q, label):
    best = np.maximum.reduceat(q[global_rows] @ c.T, starts, axis=1)
    np.maximum.at(best, query_of_row[region_rows], q[region_rows] @ c[whole].T)
    top1 = top5 = matchable = 0
    genuine, impostor = [], []
    for i in range(best.shape[0]):
        order = np.argsort(-best[i])
        if expected[i]:
            matchable += 1
            rank = next(k for k, p in enumerate(order) if picture_object[p] == expected[i])
            top1 += rank == 0
            top5 += rank < 5
            genuine.append(best[i, order[rank]])
        else:
            impostor.append(best[i, order[0]])
    threshold = np.quantile(impostor, 0.98)
    print(f"{label}: top1 {top1 / matchable:.3f} recall@5 {top5 / matchable:.3f} "
          f"genuine above impostor 98th pct {np.mean(np.array(genuine) >= threshold):.3f}", flush=True)


measure(catalogue, queries, "raw")
mean = catalogue.mean(0)
centred = catalogue - mean
eigenvalues, eigenvectors = np.linalg.eigh(centred.T @ centred / len(centred))
eigenvalues, eigenvectors = eigenvalues[::-1], eigenvectors[:, ::-1]
for dims, power in [(1280, 0.5), (512, 0.5), (256, 0.5), (1280, 1.0), (512, 1.0)]:
    projection = (eigenvectors[:, :dims] / np.power(eigenvalues[:dims] + 1e-6, 0.5 * power)).astype(np.float32)

    def whiten(a):
        y = (a - mean) @ projection
        return (y / np.linalg.norm(y, axis=1, keepdims=True)).astype(np.float32)

    measure(whiten(catalogue), whiten(queries), f"whitened, {dims} dims, eigenvalue power {power}")
