# Reference values for the distribution helpers in judge/wilcoxon
# (qnorm, pwilcox, qwilcox) computed by R.
#   Rscript judge/wilcoxon/testdata/dist_r.R > judge/wilcoxon/testdata/dist_r.json
f <- function(v) sprintf("%.17g", v)
ps <- c(1e-300, 1e-20, 1e-10, 0.0005, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.4, 0.5, 0.6, 0.9, 0.95, 0.975, 0.99, 0.9995, 1 - 1e-12)
q <- sapply(ps, function(p) sprintf('{"p":%s,"q":%s}', f(p), f(qnorm(p))))
w <- c()
for (mn in list(c(1, 1), c(2, 3), c(4, 4), c(7, 5), c(12, 9), c(20, 20), c(35, 49), c(49, 49))) {
  m <- mn[1]; n <- mn[2]
  for (p in c(0.005, 0.01, 0.025, 0.05, 0.5, 0.9, 0.99))
    w <- c(w, sprintf('{"kind":"q","m":%d,"n":%d,"p":%s,"value":%s}', m, n, f(p), f(qwilcox(p, m, n))))
  for (qq in unique(round(c(0, 1, m * n / 4, m * n / 2, m * n / 2 + 1, 3 * m * n / 4, m * n - 1, m * n))))
    w <- c(w, sprintf('{"kind":"p","m":%d,"n":%d,"q":%s,"value":%s,"upper":%s}', m, n, f(qq),
                      f(pwilcox(qq, m, n)), f(pwilcox(qq, m, n, lower.tail = FALSE))))
}
cat('{"qnorm":[', paste(q, collapse = ",\n"), '],\n"wilcox":[', paste(w, collapse = ",\n"), ']}\n', sep = "")
