"""Production's reads, one module per screen or process: schedule, materials, trace, progress."""
