"""Production's writes, one module per process (STYLE.md §1): scheduling, progress, materials,
completion, devices, delays. Import from the module that owns a service."""
