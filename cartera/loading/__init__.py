"""Landing validated batches in the warehouse: raw rows (COPY), quarantine, load records, watermarks."""
