# Each derived pattern beside the attention it was fitted to: one row per cluster, its
# pattern's mask (black: allowed) on the left, its heads' mean attention on the right, from
# derive_patterns --masks and --means (.npy [clusters, L, L], float32, the same header size).
#   gnuplot -e "means='means.npy'; masks='masks.npy'; header=128; L=128; n=2; \
#               t1='cluster 0: window 3'; t2='cluster 1: ...'; outfile='patterns.png'" \
#           scripts/pattern_beside_mean.gp
# header: bytes before the data; n: the clusters; t1..tn: their titles.
cluster_title(c) = value(sprintf("t%d", c))
if (outfile[strlen(outfile)-3:] eq ".svg") {
  set terminal svg size 900,(380 * n + 60) dynamic font "DejaVu Sans,13"
} else {
  set terminal pngcairo size 900,(380 * n + 60) font "DejaVu Sans,11"
}
set output outfile
set multiplot layout n, 2 title "Derived patterns (left, black = attended) beside their cluster's mean attention (right)"
set xrange [-0.5 : L - 0.5]
set yrange [L - 0.5 : -0.5]
set xlabel "key position j"
set ylabel "query position i"
set size ratio -1
set tics out
do for [c = 1 : n] {
  offset = header + (c - 1) * L * L * 4
  set title cluster_title(c) noenhanced
  set palette defined (0 "#ffffff", 1 "#000000")
  unset logscale cb
  set cbrange [0 : 1]
  unset colorbox
  plot masks binary array=(L, L) format="%float32" skip=offset endian=little using 1 with image notitle
  set title "mean attention" noenhanced
  set palette defined (0 "#ffffff", 0.02 "#fde725", 0.2 "#5ec962", 0.5 "#21918c", 0.8 "#3b528b", 1 "#440154")
  set logscale cb
  set cbrange [1e-4 : 1]
  set format cb "10^{%L}"
  set colorbox
  plot means binary array=(L, L) format="%float32" skip=offset endian=little using ($1 > 0 ? $1 : 1e-9) with image notitle
}
unset multiplot
