# The heads in metric space: entropy against mean attention distance (log scale when
# every distance is positive), coloured by cluster, each point labelled L{layer}H{head}.
#   gnuplot -e "infile='clusters.csv'; outfile='metric_space.png'" scripts/metric_space.gp
# infile: a clustering tool's output (CSV with layer, head, the two metrics, cluster).
# Optional: xmetric, ymetric (default distance, entropy), xunit, yunit (their units, as
# `head_metrics --list_metrics` prints them), algorithm (named in the title, e.g. "Ward").
# Heads of one cluster sit close together, so labels go on the side of each point with
# fewer neighbours and are pushed apart vertically, with a leader line when moved.
if (!exists("xmetric")) xmetric = "distance"
if (!exists("ymetric")) ymetric = "entropy"
if (!exists("xunit")) xunit = ""
if (!exists("yunit")) yunit = ""
if (!exists("algorithm")) algorithm = ""
here = ARG0[1:strstrt(ARG0, "metric_space.gp") - 1]
if (outfile[strlen(outfile)-3:] eq ".svg") {
  set terminal svg size 1200,900 dynamic font "DejaVu Sans,14"
} else {
  set terminal pngcairo size 1200,900 font "DejaVu Sans,12"
}
set output outfile
set datafile separator ","
set datafile columnheaders
stats infile using xmetric nooutput name "D"
stats infile using ymetric nooutput name "E"
stats infile using "cluster" nooutput name "K"
logx = D_min > 0
ux(d) = logx ? log10(d) : d
xu(u) = logx ? 10**u : u
N = int(D_records)
array U[N]
array Y[N]
array T[N]
stats infile using (i = int($0) + 1, U[i] = ux(column(xmetric)), Y[i] = column(ymetric), \
                    T[i] = sprintf("L%dH%d", column("layer"), column("head")), 0) nooutput

# Axis ranges with margins; label sizes in axis units (about 7 px a character, 14 px a line
# on a plot area of about 1000 x 750 px).
u_lo = ux(D_min) - 0.08 * (ux(D_max) - ux(D_min)); u_hi = ux(D_max) + 0.12 * (ux(D_max) - ux(D_min))
y_lo = E_min - 0.08 * (E_max - E_min); y_hi = E_max + 0.06 * (E_max - E_min)
char_u = (u_hi - u_lo) * 7.0 / 1000
line_y = (y_hi - y_lo) * 14.0 / 750
gap_u = char_u

# Side: +1 (right) or -1 (left), whichever has fewer points within a label's reach.
array S[N]
do for [i=1:N] {
  left = 0; right = 0
  do for [j=1:N] {
    if (j != i && abs(Y[j] - Y[i]) < 2 * line_y) {
      if (U[j] > U[i] && U[j] - U[i] < 8 * char_u) { right = right + 1 }
      if (U[j] < U[i] && U[i] - U[j] < 8 * char_u) { left = left + 1 }
    }
  }
  S[i] = left < right ? -1 : 1
}
# Label extents along x, then place labels from the top down, each below any earlier
# label on the same side that it would overlap.
array A[N]
array B[N]
array LY[N]
array Done[N]
do for [i=1:N] {
  w = strlen(T[i]) * char_u
  A[i] = S[i] > 0 ? U[i] + gap_u : U[i] - gap_u - w
  B[i] = A[i] + w
  LY[i] = Y[i]
  Done[i] = 0
}
do for [n=1:N] {
  top = 0
  do for [i=1:N] { if (!Done[i] && (top == 0 || Y[i] > Y[top])) { top = i } }
  do for [pass=1:3] {
    do for [j=1:N] {
      if (Done[j] && A[top] < B[j] && A[j] < B[top] && LY[top] > LY[j] - line_y) {
        LY[top] = LY[j] - line_y
      }
    }
  }
  Done[top] = 1
}
do for [i=1:N] {
  if (S[i] > 0) {
    set label i T[i] at first xu(A[i]), first LY[i] left font ",8" textcolor rgb "#333333" front
  } else {
    set label i T[i] at first xu(B[i]), first LY[i] right font ",8" textcolor rgb "#333333" front
  }
  if (abs(LY[i] - Y[i]) > 0.3 * line_y) {
    set arrow i from first xu(U[i]), first Y[i] to first xu(S[i] > 0 ? A[i] : B[i]), first LY[i] \
        nohead lw 0.5 lc rgb "#999999" back
  }
}
units(u, log) = u eq "" ? (log ? " (log scale)" : "") : sprintf(" (%s%s)", u, log ? ", log scale" : "")
set xlabel xmetric.units(xunit, logx) noenhanced
set ylabel ymetric.units(yunit, 0) noenhanced
if (logx) { set logscale x; call here."log_tics.gp" "x" sprintf("%.17g", xu(u_lo)) sprintf("%.17g", xu(u_hi)) }
do for [i=1:N] { if (LY[i] < y_lo + line_y) { y_lo = LY[i] - line_y } }
set xrange [xu(u_lo) : xu(u_hi)]
set yrange [y_lo : y_hi]
set title sprintf("Attention heads in metric space, %d%s clusters", int(K_max) + 1, \
                  algorithm eq "" ? "" : " ".algorithm)
set grid
set key outside right top title "cluster"
plot for [c=0:int(K_max)] infile using (column("cluster") == c ? column(xmetric) : NaN):ymetric \
       with points pt 7 ps 1.3 lc c + 1 title sprintf("%d", c)
