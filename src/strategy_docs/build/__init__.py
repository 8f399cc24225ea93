"""Building the matrix: plan, execute (warm kernels, executors), publish; the recipe in pipeline."""
