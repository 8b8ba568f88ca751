"""What Tandem does for the couple: one module per feature (its `HANDLERS` and its store table),
the read-only views over their records (report, export), and the word lists only features read."""
