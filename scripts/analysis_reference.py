"""Reference numbers for lib/analysis tests, from scikit-learn and SciPy (Debian's
python3-sklearn, python3-scipy). Only for regenerating pinned values; no test runs it.

  /usr/bin/python3 scripts/analysis_reference.py ../shared/seed/head_metrics.csv
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
