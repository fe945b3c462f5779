"""Reference numbers for lib/analysis tests, from scikit-learn and SciPy (Debian's
python3-sklearn, python3-scipy). Only for regenerating pinned values; no test runs it.

  /usr/bin/python3 scripts/analysis_reference.py testdata/analysis/seed_head_metrics.csv
"""
import sys

import numpy as np
from scipy.cluster.hierarchy import fcluster, ward
from sklearn.cluster import AgglomerativeClustering, KMeans
from sklearn.metrics import silhouette_samples, silhouette_score
from sklearn.metrics.cluster import adjusted_rand_score
from sklearn.preprocessing import StandardScaler

path = sys.argv[1]
data = np.genfromtxt(path, delimiter=',', names=True)
X = np.column_stack([data['entropy'], data['sparsity'], data['distance']])
Xs = StandardScaler().fit_transform(X)
print('n', len(X), 'mean', X.mean(axis=0), 'std', X.std(axis=0))

print('# Ward sweep: k, silhouette, same partition as scipy fcluster(maxclust)')
Z = ward(Xs)
for k in range(2, 9):
    labels = AgglomerativeClustering(n_clusters=k, linkage='ward').fit_predict(Xs)
    same = adjusted_rand_score(labels, fcluster(Z, k, criterion='maxclust')) == 1.0
    print(k, '%.10f' % silhouette_score(Xs, labels), same, 'sizes', np.bincount(labels))

labels4 = AgglomerativeClustering(n_clusters=4, linkage='ward').fit_predict(Xs)
print('# Ward k=4 labels', ''.join(map(str, labels4)))
s = silhouette_samples(Xs, labels4)
print('# silhouette_samples k=4, rows 0..4', ['%.12f' % v for v in s[:5]])

print('# KMeans k=4: best-of-10 (n_init=10) inertia over random_state 0..99')
inertias = [KMeans(n_clusters=4, n_init=10, random_state=r).fit(Xs).inertia_ for r in range(100)]
print('min %.10f max %.10f median %.10f' % (min(inertias), max(inertias), np.median(inertias)))
single = [KMeans(n_clusters=4, n_init=1, random_state=r).fit(Xs).inertia_ for r in range(1000)]
print('single restarts: min %.10f max %.10f' % (min(single), max(single)))
km = KMeans(n_clusters=4, n_init=10, random_state=0).fit(Xs)
print('kmeans k=4 random_state=0 silhouette %.10f' % silhouette_score(Xs, km.labels_))
print('centroids (original units)', StandardScaler().fit(X).inverse_transform(km.cluster_centers_))

print('# Jensen-Shannon distance (silhouette/ward --distance=js): the profiles of')
print('# lib/analysis/dissimilarity_test.cc and ward_test.cc, rows normalised to sum 1')
from scipy.cluster.hierarchy import cut_tree
from scipy.spatial.distance import jensenshannon, squareform
P = np.array([[0.7, 0.2, 0.1, 0, 0], [0.6, 0.3, 0.1, 0, 0], [0.1, 0.1, 0.1, 0.2, 0.5],
              [0.05, 0.05, 0.2, 0.2, 0.5], [0.4, 0.4, 0.4, 0.4, 0.4], [1, 0, 0, 0, 0]])
n = len(P)
D = np.array([[jensenshannon(P[i], P[j], base=2) for j in range(n)] for i in range(n)])
np.fill_diagonal(D, 0)
print('js distances (upper triangle, row by row):')
for i in range(n):
    print(' '.join('%.15f' % D[i, j] for j in range(i + 1, n)))
Zjs = ward(squareform(D, checks=False))
print('ward linkage of the js distances (a, b, distance, size):')
for a, b, d, size in Zjs:
    print(int(a), int(b), '%.15f' % d, int(size))
for k in range(2, 5):
    labels = cut_tree(Zjs, n_clusters=k).ravel()
    print('k', k, 'labels', ''.join(map(str, labels)),
          'silhouette %.15f' % silhouette_score(D, labels, metric='precomputed'))
