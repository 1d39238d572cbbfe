"""Benchmarks of the platform (BENCHMARKS.md): run them, never assert their times."""
