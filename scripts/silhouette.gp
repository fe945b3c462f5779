# Mean silhouette score against the number of clusters k (the original work's figure),
# with the chosen k highlighted and labelled with its score.
#   gnuplot -e "infile='silhouette.tsv'; outfile='silhouette.png'; chosen=4" scripts/silhouette.gp
# infile: the `silhouette --k_max=...` sweep (TSV with header k, silhouette).
# outfile: *.png (pngcairo) or *.svg.
# chosen: the k to highlight; by default the best one (the highest score, the smallest k on
# a tie), as `ward --k=best` chooses it.
if (!exists("algorithm")) algorithm = "Ward"
if (outfile[strlen(outfile)-3:] eq ".svg") {
  set terminal svg size 800,500 dynamic font "DejaVu Sans,15"
} else {
  set terminal pngcairo size 800,500 font "DejaVu Sans,12"
}
set output outfile
set datafile separator "\t"
set datafile columnheaders
stats infile using 1 nooutput name "K"
stats infile using 2 nooutput name "S"
if (!exists("chosen")) {
  best = -2
  stats infile using (($2 > best) ? (best = $2, chosen = $1) : 0) nooutput
}
stats infile using ($1 == chosen ? $2 : NaN) nooutput name "C"
set title sprintf("Silhouette score of %s clusterings of the attention heads", algorithm)
set xlabel "number of clusters k"
set ylabel "mean silhouette score"
set xtics 1
set xrange [K_min - 0.5 : K_max + 0.5]
set yrange [S_min - 0.1 * (S_max - S_min) - 0.02 : S_max + 0.25 * (S_max - S_min) + 0.02]
set grid
set key off
set style textbox opaque noborder
set label 1 sprintf("k = %d: %.4f", chosen, C_max) at chosen, C_max offset -1.2, 1.2 right boxed \
    textcolor rgb "#c0392b" font ",13"
plot infile using 1:2 with linespoints lw 2 pt 7 ps 1.2 lc rgb "#2c7fb8", \
     infile using ($1 == chosen ? $1 : NaN):2 with points pt 7 ps 2.8 lc rgb "#c0392b"
