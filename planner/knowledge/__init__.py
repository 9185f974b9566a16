"""The knowledge base: its records (model), how they are loaded (loader) and checked across
files (validation, findings), and each state's law and money (states)."""
