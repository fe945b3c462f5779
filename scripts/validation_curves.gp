# Validation bits per byte against the optimizer step, one line per model, from training logs
# (TSV: step epoch split loss bpc lr tokens_per_s elapsed_s). Writes OUT.png and OUT.svg.
#   gnuplot -e "logs='a.tsv b.tsv'; names='a b'; out='out/validation'" scripts/validation_curves.gp
# Optional: baseline, the corpus' unigram entropy in bits per byte (tokenize --stats), drawn
# as the line every model should end below; title.
if (!exists("title")) title = 'Validation bits per byte'
here = ARG0[1:strstrt(ARG0, "validation_curves.gp") - 1]
n = words(logs)
# Each log's validation rows (awk keeps a line joining only consecutive validations).
valid_rows(k) = sprintf("< awk -F'\t' '$3 == \"valid\"' '%s'", word(logs, k))

set datafile separator "\t"
set title title noenhanced
set xlabel 'optimizer step'
set ylabel 'validation bits per byte (log scale)'
set grid
set key top right opaque noenhanced
set logscale y
lo = 1e300; hi = 0
do for [k = 1 : n] {
  stats valid_rows(k) using 5 nooutput name "V"
  lo = V_min < lo ? V_min : lo; hi = V_max > hi ? V_max : hi
}
if (exists("baseline")) { lo = baseline < lo ? baseline : lo; hi = baseline > hi ? baseline : hi }
lo = lo / 1.08; hi = hi * 1.08
set yrange [lo : hi]
call here."log_tics.gp" "y" sprintf("%.17g", lo) sprintf("%.17g", hi)

set terminal pngcairo size 960,600 font ',11'
set output out.'.png'
curves = "for [k = 1 : n] valid_rows(k) using 1:5 with linespoints lw 2 pt 7 ps 0.6 title word(names, k)"
if (exists("baseline")) {
  plot @curves, baseline with lines dt 2 lw 1.5 lc rgb '#555555' \
       title sprintf('unigram entropy of the corpus, %.2f bpc', baseline)
} else {
  plot @curves
}

set terminal svg size 960,600 dynamic font ',11'
set output out.'.svg'
replot
unset output
