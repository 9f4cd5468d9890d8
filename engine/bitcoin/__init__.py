"""Bitcoin adapter: validate real Bitcoin blocks with the engine kernels."""
