"""Reading and writing text forms: YAML with line numbers, the streaming case reader, JSON, safe terminal text."""
