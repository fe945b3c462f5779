# Training and validation bits per byte against the optimizer step, from a training log
# (TSV: step epoch split loss bpc lr tokens_per_s elapsed_s). Writes OUT.png and OUT.svg.
#   gnuplot -e "log='models/dense.safetensors.log.tsv'; out='out/dense_loss'" scripts/loss_curves.gp
if (!exists("log")) log = 'train.log.tsv'
if (!exists("out")) out = 'loss_curves'
if (!exists("title")) title = 'Training curves: '.log

set datafile separator "\t"
set title title noenhanced
set xlabel 'optimizer step'
set ylabel 'bits per byte (log scale)'
set grid
set key top right
# Log scale: an untrained model can start hundreds of times above where it ends (the
# sparse original starts near 2000 bpc), and the end is what one wants to read.
set logscale y
set yrange [*:*]

# Each split's rows into a datablock of its own, so the lines join consecutive rows of
# that split (skipping rows inside one plot would break the line at each of them).
set table $train
plot log every ::1 using 1:5 with table if (strcol(3) eq 'train')
set table $valid
plot log every ::1 using 1:5 with table if (strcol(3) eq 'valid')
unset table

set terminal pngcairo size 960,600 font ',11'
set output out.'.png'
plot $train using 1:2 with lines lw 1.5 lc rgb '#1f77b4' title 'train', \
     $valid using 1:2 with linespoints lw 2 pt 7 ps 0.8 lc rgb '#d62728' title 'validation'

set terminal svg size 960,600 dynamic font ',11'
set output out.'.svg'
replot
unset output
