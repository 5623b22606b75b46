"""Layer classes of dyngrad.nn, one module per family."""
