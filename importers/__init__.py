"""DMS exports in: sniff the real format, read, map headers, validate, upsert."""
