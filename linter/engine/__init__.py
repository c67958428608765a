"""The pipeline: hosts in, simulations and rules, one post-processing stage, results out."""
