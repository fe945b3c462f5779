# Labelled ticks on a log-scale axis, so a range inside one decade is still readable
# (without them gnuplot labels only the powers of ten: "10" for distances 6 to 22).
#   call "log_tics.gp" "x" MIN MAX     # MIN > 0: the axis range
# Ticks at m x 10^k: labelled for every m = 1..9 when the range spans at most 1.5 decades
# (and at halves of m under half a decade, at fifths under a seventh of one), for
# m = 1, 2, 5 up to 4 decades, at the powers of ten beyond; the other m get unlabelled ticks.
tics_axis = ARG1
tics_lo = real(ARG2)
tics_hi = real(ARG3)
tics_span = log10(tics_hi / tics_lo)
tics_step = tics_span <= 0.15 ? 2 : tics_span <= 0.5 ? 5 : 10  # in tenths of m
tics_list = ""
do for [tics_e = floor(log10(tics_lo)) : ceil(log10(tics_hi))] {
  do for [tics_i = 10 : 99] {
    tics_v = tics_i / 10.0 * 10.0**tics_e
    tics_m = tics_i / 10
    tics_label = tics_span <= 1.5 || (tics_i == 10) || \
                 (tics_span <= 4 && (tics_i == 20 || tics_i == 50))
    tics_wanted = tics_i % tics_step == 0 && (tics_label || tics_i % 10 == 0)
    if (tics_wanted && tics_v >= tics_lo && tics_v <= tics_hi) {
      tics_list = tics_list . sprintf('%s"%s" %.12g %d', tics_list eq "" ? "" : ", ", \
                                      tics_label ? gprintf("%g", tics_v) : "", tics_v, tics_label ? 0 : 1)
    }
  }
}
eval sprintf("set %stics (%s)", tics_axis, tics_list)
