"""Benchmarks for Loa (run with `make bench`); see bench/README.md and bench/RESULTS.md."""
