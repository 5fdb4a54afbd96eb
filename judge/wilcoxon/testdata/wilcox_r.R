# Reference values for judge/wilcoxon: R's wilcox.test(x, y, conf.int = TRUE).
#
# Regenerate (R 4.2.x; the exact/asymptotic switch changed in R 4.6):
#   Rscript judge/wilcoxon/testdata/wilcox_r.R > judge/wilcoxon/testdata/wilcox_r.json
#
# Each case records the inputs and what R printed, with 17 significant digits,
# so the Go tests never need R at run time.
set.seed(20261125)

num <- function(v) {
  s <- ifelse(is.nan(v) | is.na(v), '"NaN"',
       ifelse(is.infinite(v), ifelse(v > 0, '"+Inf"', '"-Inf"'), sprintf("%.17g", v)))
  paste0("[", paste(s, collapse = ","), "]")
}

cases <- list()
add <- function(name, x, y, conf) {
  r <- suppressWarnings(wilcox.test(x, y, conf.int = TRUE, conf.level = conf))
  cases[[length(cases) + 1]] <<- sprintf(
    '{"name":"%s","x":%s,"y":%s,"confLevel":%s,"exact":%s,"estimate":%s,"confInt":%s,"achievedConfLevel":%s,"pValue":%s,"statistic":%s}',
    name, num(x), num(y), sprintf("%.17g", conf),
    if (grepl("exact", r$method)) "true" else "false",
    num(unname(r$estimate)), num(as.numeric(r$conf.int)),
    sprintf("%.17g", attr(r$conf.int, "conf.level")),
    sprintf("%.17g", r$p.value), sprintf("%.17g", unname(r$statistic)))
}

# The pinned contract example.
add("contract", c(10, 20, 30, 40), c(1, 2, 3, 4), 0.95)
add("contract-98", c(10, 20, 30, 40), c(1, 2, 3, 4), 0.98)
# Tiny samples: qwilcox returns 0, R bumps it to 1 and reports the achieved level.
add("tiny-2x2", c(5, 6), c(1, 2), 0.95)
add("tiny-1x3", c(5), c(1, 2, 3), 0.90)
# Exact (no ties, both n < 50) at several levels and shapes.
for (conf in c(0.90, 0.95, 0.98, 0.99)) {
  for (sz in list(c(5, 7), c(12, 9), c(20, 20), c(35, 49), c(3, 40))) {
    x <- round(rnorm(sz[1], 10.3, 2), 6)
    y <- round(rnorm(sz[2], 10, 2), 6)
    if (length(unique(c(x, y))) == length(c(x, y)))
      add(sprintf("exact-%dx%d-%g", sz[1], sz[2], conf), x, y, conf)
  }
}
# Ties force the normal approximation even for small samples.
for (conf in c(0.95, 0.98)) {
  add(sprintf("ties-small-%g", conf), c(1, 2, 2, 3, 5, 8), c(2, 3, 3, 4, 4, 4, 9), conf)
  add(sprintf("ties-counts-%g", conf), as.numeric(rpois(30, 6)), as.numeric(rpois(25, 4)), conf)
  add(sprintf("ties-shift-%g", conf), as.numeric(rpois(12, 20)), as.numeric(rpois(15, 20)), conf)
}
# Large samples (n >= 50) use the normal approximation without ties.
for (conf in c(0.90, 0.95, 0.98)) {
  add(sprintf("large-60x55-%g", conf), rnorm(60, 100, 15), rnorm(55, 100, 15), conf)
  add(sprintf("large-shift-50x80-%g", conf), rexp(50, 1 / 120), rexp(80, 1 / 100), conf)
  add(sprintf("large-200x3-%g", conf), rnorm(200), rnorm(3), conf)
}
# Extreme separation: the interval ends at the sample-based limits.
add("extreme-1x59", c(1), as.numeric(2:60), 0.95)
add("separated-60x60", as.numeric(101:160), as.numeric(1:60), 0.98)
# Ties and a large sample with many equal values (latency buckets).
add("buckets-70x70", as.numeric(sample(c(5, 10, 25, 50, 100), 70, TRUE)),
    as.numeric(sample(c(5, 10, 25, 50, 100), 70, TRUE, prob = c(3, 3, 2, 1, 1))), 0.98)

# Heavy ties at a low level: R's root finder stops within tol.root of the flat
# steps, and the two limits cross by less than that tolerance.
add("ties-crossed-limits", c(1542, 192.75, 192.75), c(rep(192.75, 8), 1030), 0.5)

cat("[\n", paste(unlist(cases), collapse = ",\n"), "\n]\n", sep = "")
