"""Benchmark and test tooling: the harness, the load test, throwaway servers.

Nothing in the product imports this package.
"""
