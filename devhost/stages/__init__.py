"""The demo's per-slice stages (`make demo`): each runs a slice locally and prints its figures."""
