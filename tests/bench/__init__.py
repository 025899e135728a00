"""Benchmarks behind `make bench`: ratios and rates measured within one run, median of several."""
