# One metric as a layer x head heat map, each cell labelled with its value.
#   gnuplot -e "infile='head_metrics.csv'; metric='entropy'; unit='nats'; outfile='entropy.png'" scripts/heatmap.gp
# infile: head_metrics CSV (layer, head, then the metrics); unit: the metric's unit, as
# `head_metrics --list_metrics` prints it (optional).
if (!exists("metric")) metric = "entropy"
if (!exists("unit")) unit = ""
if (outfile[strlen(outfile)-3:] eq ".svg") {
  set terminal svg size 640,760 dynamic font "DejaVu Sans,14"
} else {
  set terminal pngcairo size 640,760 font "DejaVu Sans,12"
}
set output outfile
set datafile separator ","
set datafile columnheaders
stats infile using "layer" nooutput name "L"
stats infile using "head" nooutput name "H"
stats infile using metric nooutput name "M"
set title "Attention ".metric." per head".(unit eq "" ? "" : " (".unit.")") noenhanced
set xlabel "head"
set ylabel "layer"
set xtics 1 out
set ytics 1 out
set xrange [-0.5 : H_max + 0.5]
set yrange [L_max + 0.5 : -0.5]
# A constant metric (say sparsity 0 everywhere in an untrained model) still gets a scale.
if (M_max > M_min) { set cbrange [M_min : M_max] } else { set cbrange [M_min - 0.5 : M_max + 0.5] }
set palette defined (0 "#440154", 0.25 "#3b528b", 0.5 "#21918c", 0.75 "#5ec962", 1 "#fde725")
set key off
format = metric eq "distance" ? "%.3g" : "%.2f"
middle = (M_min + M_max) / 2
# Cells as filled boxes rather than `with image`, which draws nothing for a single layer.
plot infile using "head":"layer":(0.5):(0.5):metric with boxxyerror fs solid 1.0 noborder \
       fc palette, \
     infile using "head":"layer":(sprintf(format, column(metric))): \
       (column(metric) > middle ? 0x000000 : 0xffffff) with labels font ",9" textcolor rgb variable
