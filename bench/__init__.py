"""Beacon's benchmarks: each figure is Beacon's cost against a raw baseline in the same run."""
