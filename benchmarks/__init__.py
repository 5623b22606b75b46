"""Speed and memory against PyTorch and hand-written NumPy: python -m benchmarks."""
