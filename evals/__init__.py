"""Evaluations and benchmarks: retrieval, QA answers, vignettes, and the combined suite."""
