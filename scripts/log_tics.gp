# Labelled ticks on a log-scale axis, so a range inside one decade is still readable
# (without them gnuplot labels only the powers of ten: "10" for distances 6 to 22).
#   call "log_tics.gp" "x" MIN MAX     # MIN > 0: the axis range
# Labels every m x 10^k (m = 1..9) when the range spans at most 1.5 decades, 1, 2 and 5 x 10^k
# up to 4 decades, the powers of ten beyond; minor ticks stay unlabelled at every m x 10^k.
tics_axis = ARG1
tics_lo = real(ARG2)
tics_hi = real(ARG3)
tics_span = log10(tics_hi / tics_lo)
tics_list = ""
do for [tics_e = floor(log10(tics_lo)) : ceil(log10(tics_hi))] {
  do for [tics_m = 1 : 9] {
    tics_v = tics_m * 10.0**tics_e
    tics_label = tics_span <= 1.5 || tics_m == 1 || (tics_span <= 4 && (tics_m == 2 || tics_m == 5))
    if (tics_v >= tics_lo && tics_v <= tics_hi) {
      tics_list = tics_list . sprintf('%s"%s" %.12g %d', tics_list eq "" ? "" : ", ", \
                                      tics_label ? gprintf("%g", tics_v) : "", tics_v, tics_label ? 0 : 1)
    }
  }
}
eval sprintf("set %stics (%s)", tics_axis, tics_list)
