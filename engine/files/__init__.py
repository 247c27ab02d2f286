"""Reading files and schemas: YAML with positions, JSON Schema checks, the workspace guard."""
