"""Generated tool modules, one per domain (see ../build_domains.py)."""
