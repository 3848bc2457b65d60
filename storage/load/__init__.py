"""Getting pages in fast: parse ahead in a worker, rows prepared there, batched writes, stable ids."""
