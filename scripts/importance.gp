# What each head is worth against the cluster it fell into: one column of points per
# cluster, each head labelled L{layer}H{head}, a bar at the cluster's mean.
#   gnuplot -e "importance='importance.csv'; clusters='clusters.csv'; outfile='importance.png'" \
#           scripts/importance.gp
# importance: head_importance's CSV; clusters: a clustering tool's CSV (layer, head, ...,
# cluster; ward's or kmeans' output). The two are joined here on layer,head; a head with no
# cluster is left out. Optional: metric (default ablation_delta_bpc; or grad_importance,
# ablation_bpc), title (default "Head importance by cluster").
if (!exists("metric")) metric = "ablation_delta_bpc"
if (!exists("title")) title = "Head importance by cluster"
units = metric eq "grad_importance" ? "|d bpc / d mask| at mask 1" : \
        metric eq "ablation_delta_bpc" ? "bits per byte lost when the head alone is zeroed" : \
        "bits per byte with the head zeroed"
set datafile separator ","
set datafile columnheaders

# The join: cluster of head (layer, head) in C[layer * NH + head + 1], -1 where none.
stats importance using "layer" nooutput name "L"
stats importance using "head" nooutput name "H"
NL = int(L_max) + 1
NH = int(H_max) + 1
array C[NL * NH]
do for [i = 1 : NL * NH] { C[i] = -1 }
key(l, h) = int(l) * NH + int(h) + 1
known(l, h) = l >= 0 && l < NL && h >= 0 && h < NH
stats clusters using (known(column("layer"), column("head")) ? \
                      C[key(column("layer"), column("head"))] = int(column("cluster")) : 0) nooutput
K = 0
do for [i = 1 : NL * NH] { if (C[i] + 1 > K) { K = C[i] + 1 } }
if (K == 0) { print "importance.gp: no head of ".importance." has a cluster in ".clusters; exit status 1 }
cluster(l, h) = C[key(l, h)]

# Each head's place within its cluster's column (heads spread evenly, in layer-major order)
# and each cluster's size and mean.
array Size[K]
array Sum[K]
array Rank[NL * NH]
do for [c = 1 : K] { Size[c] = 0; Sum[c] = 0 }
stats importance using (c = cluster(column("layer"), column("head")), \
                        c < 0 ? 0 : (i = key(column("layer"), column("head")), Rank[i] = Size[c + 1], \
                                     Size[c + 1] = Size[c + 1] + 1, Sum[c + 1] = Sum[c + 1] + column(metric), 0)) \
      nooutput
stats importance using metric nooutput name "M"
x(l, h) = (c = cluster(l, h), c < 0 ? NaN : \
           c + (Size[c + 1] == 1 ? 0 : 0.6 * (Rank[key(l, h)] / (Size[c + 1] - 1.0) - 0.5)))
do for [c = 1 : K] {
  if (Size[c] > 0) {
    set arrow c from c - 1 - 0.4, Sum[c] / Size[c] to c - 1 + 0.4, Sum[c] / Size[c] nohead lw 2 lc c back
  }
}

if (outfile[strlen(outfile)-3:] eq ".svg") {
  set terminal svg size 1000,750 dynamic font "DejaVu Sans,14"
} else {
  set terminal pngcairo size 1000,750 font "DejaVu Sans,12"
}
set output outfile
set title title noenhanced
set xlabel "cluster"
set ylabel metric." (".units.")" noenhanced
set xrange [-0.7 : K - 0.3]
span = M_max > M_min ? M_max - M_min : 1
set yrange [(M_min < 0 ? M_min : 0) - 0.08 * span : M_max + 0.1 * span]
set xtics () out nomirror
do for [c = 1 : K] { set xtics add (sprintf("%d (%d head%s)", c - 1, Size[c], Size[c] == 1 ? "" : "s") c - 1) }
set grid ytics
set xzeroaxis lt -1 lw 1
set key off
set style textbox opaque noborder
plot for [c = 0 : K - 1] importance \
       using (cluster(column("layer"), column("head")) == c ? x(column("layer"), column("head")) : NaN):metric \
       with points pt 7 ps 1.4 lc c + 1, \
     importance using (x(column("layer"), column("head"))):metric: \
       (sprintf("L%dH%d", column("layer"), column("head"))) \
       with labels left offset 0.8, 0 font ",8" textcolor rgb "#333333"
