"""The side that reads models: fetching, signature checks, safe YAML loading."""
