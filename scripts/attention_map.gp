# Heat maps of a few heads' attention, one panel per head, from one dump_attention record
# [layers, heads, L, L] (.npy). Read as raw float32 after the npy header.
#   gnuplot -e "infile='heads.npy'; header=128; L=128; heads='0 1 3 6'; names='...'; \
#               title='sparse, layer 0'; outfile='attention.png'" scripts/attention_map.gp
# header: bytes before the data (the npy header); heads: the head numbers, in record order;
# names: one word per panel, shown after the head number (optional).
if (!exists("names")) names = ""
if (outfile[strlen(outfile)-3:] eq ".svg") {
  set terminal svg size 1100,1000 dynamic font "DejaVu Sans,14"
} else {
  set terminal pngcairo size 1100,1000 font "DejaVu Sans,12"
}
set output outfile
n = words(heads)
cols = n > 1 ? 2 : 1
rows = (n + cols - 1) / cols
set multiplot layout rows, cols title title noenhanced
set palette defined (0 "#ffffff", 0.02 "#fde725", 0.2 "#5ec962", 0.5 "#21918c", 0.8 "#3b528b", 1 "#440154")
set logscale cb
set cbrange [1e-4 : 1]
set format cb "10^{%L}"
set xrange [-0.5 : L - 0.5]
set yrange [L - 0.5 : -0.5]
set xlabel "key position j"
set ylabel "query position i"
set size ratio -1
set tics out
do for [p = 1 : n] {
  name = words(names) >= p ? word(names, p) : ""
  set title (name eq "" ? sprintf("head %s", word(heads, p)) : sprintf("head %s (%s)", word(heads, p), name)) noenhanced
  offset = header + (p - 1) * L * L * 4
  plot infile binary array=(L, L) format="%float32" skip=offset endian=little \
       using ($1 > 0 ? $1 : 1e-9) with image notitle
}
unset multiplot
