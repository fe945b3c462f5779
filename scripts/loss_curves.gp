# Training and validation bits per byte against the optimizer step, from a training log
# (TSV: step epoch split loss bpc lr tokens_per_s elapsed_s). Writes OUT.png and OUT.svg.
#   gnuplot -e "log='models/dense.safetensors.log.tsv'; out='out/dense_loss'" scripts/loss_curves.gp
# Optional: title; baseline, the corpus' unigram entropy in bits per byte (tokenize --stats),
# drawn as the line every model should end below.
if (!exists("log")) log = 'train.log.tsv'
if (!exists("out")) out = 'loss_curves'
if (!exists("title")) title = 'Training curves: '.log
here = ARG0[1:strstrt(ARG0, "loss_curves.gp") - 1]

set datafile separator "\t"
set title title noenhanced
set xlabel 'optimizer step'
set ylabel 'bits per byte (log scale)'
set grid
set key top right opaque
# Log scale: an untrained model can start hundreds of times above where it ends (the
# sparse original starts near 2000 bpc), and the end is what one wants to read.
set logscale y

# Each split's rows into a datablock of its own, so the lines join consecutive rows of
# that split (skipping rows inside one plot would break the line at each of them).
set table $train
plot log every ::1 using 1:5 with table if (strcol(3) eq 'train')
set table $valid
plot log every ::1 using 1:5 with table if (strcol(3) eq 'valid')
unset table

# The range the curves (and the baseline) span, with labelled ticks inside it.
lo = 1e300; hi = 0
if (|$train| > 0) { stats $train using 2 nooutput name "T"; lo = T_min; hi = T_max }
if (|$valid| > 0) {
  stats $valid using 2 nooutput name "V"
  lo = V_min < lo ? V_min : lo; hi = V_max > hi ? V_max : hi
}
if (exists("baseline")) { lo = baseline < lo ? baseline : lo; hi = baseline > hi ? baseline : hi }
if (hi > 0) {
  lo = lo / 1.08; hi = hi * 1.08
  set yrange [lo : hi]
  call here."log_tics.gp" "y" sprintf("%.17g", lo) sprintf("%.17g", hi)
}

set terminal pngcairo size 960,600 font ',11'
set output out.'.png'
curves = "$train using 1:2 with lines lw 1.5 lc rgb '#1f77b4' title 'train', " . \
         "$valid using 1:2 with linespoints lw 2 pt 7 ps 0.8 lc rgb '#d62728' title 'validation'"
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
